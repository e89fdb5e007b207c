// SPDX-License-Identifier: Apache-2.0
using System.Buffers;
using System.IO.Pipelines;
using Google.Protobuf;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace KeyCustody.Grpc.Internal;

/// <summary>
/// One server call: reads the single request message, runs the handler, writes responses and ends the call with a
/// status exactly once. Whatever ends the call first wins: the handler returning, the deadline (grpc-timeout),
/// the client resetting the stream, or the server stopping. All writes to the HTTP response happen under one lock
/// and only while the call is open, so nothing is written after the deadline, and a handler that ignores its
/// token cannot touch a response that Kestrel has already recycled.
/// </summary>
internal sealed class GrpcServerCall
{
    private const int NoCause = 0;
    private const int DeadlineCause = 1;
    private const int AbortedCause = 2;
    private const int StoppingCause = 3;

    // Timers cannot run longer than int.MaxValue milliseconds; a longer deadline behaves as no deadline.
    private static readonly TimeSpan s_maxTimer = TimeSpan.FromMilliseconds(int.MaxValue - 1);

    private readonly HttpContext _http;
    private readonly GrpcServerOptions _options;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _lock = new(1, 1);
    private readonly CancellationTokenSource _callCts = new();
    private readonly TaskCompletionSource _ended = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private CancellationTokenSource? _deadlineCts;
    private CancellationTokenRegistration _abortRegistration;
    private CancellationTokenRegistration _stopRegistration;
    private CancellationTokenRegistration _deadlineRegistration;
    private int _endCause;
    private bool _completed;
    private bool _flushing;

    public GrpcServerCall(
        HttpContext http,
        GrpcServerOptions options,
        ILogger logger,
        string method,
        Metadata requestHeaders,
        TimeSpan? timeout,
        CallerIdentity? caller,
        string peer,
        GrpcTransportKind transport,
        bool isLocal)
    {
        _http = http;
        _options = options;
        _logger = logger;
        DateTimeOffset? deadline = timeout is null ? null : DateTimeOffset.UtcNow + timeout.Value;
        Context = new ServerCallContext(method, requestHeaders, deadline, _callCts.Token, caller, peer, transport, isLocal);
        Timeout = timeout;
    }

    public ServerCallContext Context { get; }

    private TimeSpan? Timeout { get; }

    /// <summary>Runs the call to its end; returns once the status has been sent (or the stream is gone).</summary>
    public async Task RunAsync(ServerMethod method, string? encoding, CancellationToken serverStopping)
    {
        _abortRegistration = _http.RequestAborted.Register(static s => ((GrpcServerCall)s!).End(AbortedCause), this);
        _stopRegistration = serverStopping.Register(static s => ((GrpcServerCall)s!).End(StoppingCause), this);
        if (Timeout is { } timeout && timeout < s_maxTimer)
        {
            _deadlineCts = new CancellationTokenSource(timeout);
            _deadlineRegistration = _deadlineCts.Token.Register(static s => ((GrpcServerCall)s!).End(DeadlineCause), this);
        }

        Task? handlerTask = null;
        try
        {
            byte[] payload = await ReadSingleMessageAsync(encoding, _callCts.Token).ConfigureAwait(false);
            handlerTask = InvokeAsync(method, payload);
            await Task.WhenAny(handlerTask, _ended.Task).ConfigureAwait(false);
            if (handlerTask.IsCompleted)
            {
                await FinishFromHandlerAsync(handlerTask).ConfigureAwait(false);
            }
        }
        catch (RpcException e)
        {
            await CompleteAsync(e.StatusCode, e.Detail, e.Trailers).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (Volatile.Read(ref _endCause) != NoCause)
        {
            // End() is completing the call with the status of whatever cancelled it.
        }
        catch (Exception e) when (handlerTask is null)
        {
            // Reading the request failed for a transport reason (a reset stream, a malformed body).
            if (_http.RequestAborted.IsCancellationRequested)
            {
                End(AbortedCause);
            }
            else
            {
                GrpcLog.RequestRejected(_logger, "request body could not be read: " + e.GetType().Name);
                await CompleteAsync(StatusCode.Internal, "The request body could not be read.", null).ConfigureAwait(false);
            }
        }

        await _ended.Task.ConfigureAwait(false);
        _abortRegistration.Dispose();
        _stopRegistration.Dispose();
        _deadlineRegistration.Dispose();
        _deadlineCts?.Dispose();
        if (handlerTask is { IsCompleted: false })
        {
            // The call ended (deadline, reset, shutdown) while the handler still runs: it has been cancelled and
            // can no longer write. Observe its end so a late failure is logged rather than lost.
            _ = handlerTask.ContinueWith(
                static (t, s) =>
                {
                    var self = (GrpcServerCall)s!;
                    if (t.Exception?.InnerException is { } e && e is not OperationCanceledException && e is not RpcException)
                    {
                        GrpcLog.HandlerFailedAfterEnd(self._logger, self.Context.Method, e);
                    }

                    self._callCts.Dispose();
                },
                this,
                CancellationToken.None,
                TaskContinuationOptions.ExecuteSynchronously,
                TaskScheduler.Default);
        }
        else
        {
            _callCts.Dispose();
        }
    }

    /// <summary>Sends one response message (5-byte prefix + payload) and flushes it.</summary>
    public async Task WriteMessageAsync(IMessage message, CancellationToken cancellationToken)
    {
        byte[] payload = message.ToByteArray();
        if (payload.Length > _options.MaxSendMessageSize)
        {
            throw new RpcException(StatusCode.ResourceExhausted,
                $"Sending message larger than max ({payload.Length} vs. {_options.MaxSendMessageSize}).");
        }

        using CancellationTokenSource? linked = cancellationToken.CanBeCanceled
            ? CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _callCts.Token)
            : null;
        CancellationToken token = linked?.Token ?? _callCts.Token;
        try
        {
            await _lock.WaitAsync(token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            throw EndedException(cancellationToken);
        }

        try
        {
            if (_completed || Volatile.Read(ref _endCause) != NoCause)
            {
                throw EndedException(cancellationToken);
            }

            HttpResponse response = _http.Response;
            if (!response.HasStarted)
            {
                SetResponseHeaders(response);
            }

            PipeWriter writer = response.BodyWriter;
            Span<byte> header = writer.GetSpan(GrpcFraming.HeaderSize);
            GrpcFraming.WriteHeader(header, compressed: false, payload.Length);
            writer.Advance(GrpcFraming.HeaderSize);
            writer.Write(payload);

            // Never hand a cancellable token to Kestrel's FlushAsync: a cancelled flush aborts the stream
            // (RST_STREAM), and the caller would never see the status. End() and the caller's token interrupt a
            // flush stuck on flow control with CancelPendingFlush instead, which keeps the stream usable for
            // the trailers.
            Volatile.Write(ref _flushing, true);
            FlushResult flushed;
            try
            {
                if (Volatile.Read(ref _endCause) != NoCause)
                {
                    throw EndedException(cancellationToken);
                }

                using CancellationTokenRegistration onCancel = cancellationToken.CanBeCanceled
                    ? cancellationToken.Register(static w => ((PipeWriter)w!).CancelPendingFlush(), writer)
                    : default;
                flushed = await writer.FlushAsync(CancellationToken.None).ConfigureAwait(false);
            }
            finally
            {
                Volatile.Write(ref _flushing, false);
            }

            if (flushed.IsCanceled || Volatile.Read(ref _endCause) != NoCause)
            {
                throw EndedException(cancellationToken);
            }
        }
        catch (OperationCanceledException) when (Volatile.Read(ref _endCause) != NoCause || cancellationToken.IsCancellationRequested)
        {
            throw EndedException(cancellationToken);
        }
        catch (Exception e) when (e is not RpcException && _http.RequestAborted.IsCancellationRequested)
        {
            throw new RpcException(StatusCode.Cancelled, "The client cancelled the call.", null, e);
        }
        finally
        {
            _lock.Release();
        }
    }

    internal static void SetResponseHeaders(HttpResponse response)
    {
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = GrpcProtocol.ContentType;
        response.Headers[GrpcProtocol.AcceptEncodingHeader] = GrpcProtocol.SupportedEncodings;
    }

    private async Task InvokeAsync(ServerMethod method, byte[] payload)
    {
        // Async so a synchronous throw (a request that does not parse) is observed like any other handler failure.
        await method.InvokeAsync(this, payload).ConfigureAwait(false);
    }

    private async Task FinishFromHandlerAsync(Task handlerTask)
    {
        try
        {
            await handlerTask.ConfigureAwait(false);
            await CompleteAsync(StatusCode.OK, string.Empty, null).ConfigureAwait(false);
        }
        catch (RpcException e)
        {
            await CompleteAsync(e.StatusCode, e.Detail, e.Trailers).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (Volatile.Read(ref _endCause) != NoCause)
        {
            // The handler honoured its token; End() sends the status.
        }
        catch (Exception e)
        {
            GrpcLog.HandlerFailed(_logger, Context.Method, e);
            await CompleteAsync(StatusCode.Internal, "Exception was thrown by handler.", null).ConfigureAwait(false);
        }
    }

    private async Task<byte[]> ReadSingleMessageAsync(string? encoding, CancellationToken cancellationToken)
    {
        PipeReader reader = _http.Request.BodyReader;
        byte[] message = await GrpcFraming.ReadMessageAsync(reader, _options.MaxReceiveMessageSize, encoding, cancellationToken).ConfigureAwait(false)
            ?? throw new RpcException(StatusCode.Internal, "The request carried no message; this method takes exactly one.");

        // Unary and server-streaming calls take exactly one message: anything after it is a protocol error.
        while (true)
        {
            ReadResult result = await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            bool extra = !result.Buffer.IsEmpty;
            reader.AdvanceTo(result.Buffer.End);
            if (extra)
            {
                throw new RpcException(StatusCode.Internal, "Additional data after the request message; this method takes exactly one.");
            }

            if (result.IsCompleted)
            {
                return message;
            }
        }
    }

    private void End(int cause)
    {
        if (Interlocked.CompareExchange(ref _endCause, cause, NoCause) != NoCause)
        {
            return;
        }

        try
        {
            _callCts.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // The call finished concurrently.
        }
        catch (AggregateException e)
        {
            // A handler's cancellation callback threw; the call still ends.
            GrpcLog.HandlerFailed(_logger, Context.Method, e);
        }

        if (Volatile.Read(ref _flushing))
        {
            // Unblock a write waiting on flow control so the status can follow.
            try
            {
                _http.Response.BodyWriter.CancelPendingFlush();
            }
            catch (Exception e) when (e is InvalidOperationException or ObjectDisposedException)
            {
                // The response is already finished.
            }
        }

        (StatusCode code, string detail) = cause switch
        {
            DeadlineCause => (StatusCode.DeadlineExceeded, "Deadline exceeded."),
            StoppingCause => (StatusCode.Unavailable, "The server is shutting down."),
            _ => (StatusCode.Cancelled, "The client cancelled the call."),
        };
        _ = CompleteAsync(code, detail, null);
    }

    private RpcException EndedException(CancellationToken callerToken)
    {
        if (callerToken.IsCancellationRequested && Volatile.Read(ref _endCause) == NoCause)
        {
            return new RpcException(StatusCode.Cancelled, "The write was cancelled by the handler's token.");
        }

        return Volatile.Read(ref _endCause) switch
        {
            DeadlineCause => new RpcException(StatusCode.DeadlineExceeded, "Deadline exceeded."),
            StoppingCause => new RpcException(StatusCode.Unavailable, "The server is shutting down."),
            AbortedCause => new RpcException(StatusCode.Cancelled, "The client cancelled the call."),
            _ => new RpcException(StatusCode.Internal, "The call has already completed; nothing more can be written."),
        };
    }

    private async Task CompleteAsync(StatusCode code, string detail, Metadata? extraTrailers)
    {
        await _lock.WaitAsync().ConfigureAwait(false);
        try
        {
            if (_completed)
            {
                return;
            }

            _completed = true;
            GrpcLog.CallEnded(_logger, Context.Method, Context.Peer, code, detail);
            if (Volatile.Read(ref _endCause) == AbortedCause || _http.RequestAborted.IsCancellationRequested)
            {
                return;
            }

            HttpResponse response = _http.Response;
            if (!response.HasStarted)
            {
                // Trailers-Only: no message was sent, so the status travels in the headers.
                SetResponseHeaders(response);
                foreach ((string key, string value) in StatusFields(code, detail, extraTrailers))
                {
                    response.Headers.Append(key, value);
                }
            }
            else
            {
                foreach ((string key, string value) in StatusFields(code, detail, extraTrailers))
                {
                    response.AppendTrailer(key, value);
                }
            }

            await response.CompleteAsync().ConfigureAwait(false);
        }
        catch (Exception e)
        {
            // Only a stream that is already gone makes this fail; the caller cannot be told anything more.
            GrpcLog.StatusNotSent(_logger, Context.Method, e);
        }
        finally
        {
            _lock.Release();
            _ended.TrySetResult();
        }
    }

    private IEnumerable<(string Key, string Value)> StatusFields(StatusCode code, string detail, Metadata? extraTrailers)
    {
        yield return (GrpcProtocol.StatusHeader, ((int)code).ToString(System.Globalization.CultureInfo.InvariantCulture));
        if (!string.IsNullOrEmpty(detail))
        {
            yield return (GrpcProtocol.MessageHeader, GrpcProtocol.EncodeMessage(detail));
        }

        foreach (Metadata.Entry entry in Context.ResponseTrailers)
        {
            yield return (entry.Key, entry.Value);
        }

        if (extraTrailers is not null && !ReferenceEquals(extraTrailers, Context.ResponseTrailers))
        {
            foreach (Metadata.Entry entry in extraTrailers)
            {
                yield return (entry.Key, entry.Value);
            }
        }
    }
}
