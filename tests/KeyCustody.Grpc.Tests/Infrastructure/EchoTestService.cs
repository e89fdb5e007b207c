// SPDX-License-Identifier: Apache-2.0
using System.Text;
using Google.Protobuf;
using KeyCustody.Grpc.Tests.Echo;

namespace KeyCustody.Grpc.Tests.Infrastructure;

/// <summary>The test service behind every server test; it records what the handlers observed.</summary>
public sealed class EchoTestService
{
    public const string EchoMethod = "/keycustody.test.v1.EchoService/Echo";
    public const string EchoStreamMethod = "/keycustody.test.v1.EchoService/EchoStream";
    public const string SecretExceptionText = "handler-internal-detail-7f3a";

    private readonly object _lock = new();
    private TaskCompletionSource<bool> _handlerCancelled = NewSignal<bool>();
    private TaskCompletionSource<bool> _handlerWaiting = NewSignal<bool>();
    private TaskCompletionSource<StatusCode> _writeFailed = NewSignal<StatusCode>();
    private TaskCompletionSource<bool> _streamStarted = NewSignal<bool>();

    /// <summary>Completes when a handler waiting for cancellation saw its token cancelled.</summary>
    public Task<bool> HandlerCancelled
    {
        get
        {
            lock (_lock)
            {
                return _handlerCancelled.Task;
            }
        }
    }

    /// <summary>Completes when a handler started waiting for cancellation.</summary>
    public Task<bool> HandlerWaiting
    {
        get
        {
            lock (_lock)
            {
                return _handlerWaiting.Task;
            }
        }
    }

    /// <summary>Completes with the status of the first failed write of a stream_until_write_fails call.</summary>
    public Task<StatusCode> WriteFailed
    {
        get
        {
            lock (_lock)
            {
                return _writeFailed.Task;
            }
        }
    }

    /// <summary>
    /// How many writes of stream_until_write_fails calls succeeded although the call's token had already been
    /// cancelled (by the deadline, a reset or shutdown) before the write began. Must stay 0.
    /// </summary>
    public int WritesAfterCallEnded { get; private set; }

    /// <summary>Completes when a stream_until_write_fails handler started.</summary>
    public Task<bool> StreamStarted
    {
        get
        {
            lock (_lock)
            {
                return _streamStarted.Task;
            }
        }
    }

    /// <summary>Resets the signals before a test that uses them.</summary>
    public void ResetSignals()
    {
        lock (_lock)
        {
            _handlerCancelled = NewSignal<bool>();
            _handlerWaiting = NewSignal<bool>();
            _writeFailed = NewSignal<StatusCode>();
            WritesAfterCallEnded = 0;
            _streamStarted = NewSignal<bool>();
        }
    }

    public void AddTo(GrpcServiceRegistry registry)
    {
        registry.AddUnary<EchoRequest, EchoResponse>(EchoMethod, EchoRequest.Parser, EchoAsync);
        registry.AddServerStreaming<EchoRequest, EchoResponse>(EchoStreamMethod, EchoRequest.Parser, EchoStreamAsync);
    }

    private async Task<EchoResponse> EchoAsync(EchoRequest request, ServerCallContext context)
    {
        await ApplyBehaviourAsync(request, context);
        return Answer(request, context, 0);
    }

    private async Task EchoStreamAsync(EchoRequest request, IServerStreamWriter<EchoResponse> writer, ServerCallContext context)
    {
        if (request.StreamUntilWriteFails)
        {
            await StreamUntilWriteFailsAsync(request, writer, context);
            return;
        }

        for (int i = 0; i < request.Count; i++)
        {
            await writer.WriteAsync(Answer(request, context, i));
        }

        await ApplyBehaviourAsync(request, context);
    }

    private async Task StreamUntilWriteFailsAsync(EchoRequest request, IServerStreamWriter<EchoResponse> writer, ServerCallContext context)
    {
        // Deliberately ignores the token: the transport itself must refuse writes once the call has ended.
        lock (_lock)
        {
            _streamStarted.TrySetResult(true);
        }

        for (int i = 0; ; i++)
        {
            bool endedBefore = context.CancellationToken.IsCancellationRequested;
            try
            {
                await writer.WriteAsync(Answer(request, context, i), CancellationToken.None);
                if (endedBefore)
                {
                    lock (_lock)
                    {
                        WritesAfterCallEnded++;
                    }
                }
            }
            catch (RpcException e)
            {
                lock (_lock)
                {
                    _writeFailed.TrySetResult(e.StatusCode);
                }

                throw;
            }
        }
    }

    private async Task ApplyBehaviourAsync(EchoRequest request, ServerCallContext context)
    {
        if (request.TrailerValue.Length > 0)
        {
            context.ResponseTrailers.Add("x-echo-trailer", request.TrailerValue);
            context.ResponseTrailers.Add("x-echo-trailer-bin", Encoding.UTF8.GetBytes(request.TrailerValue));
        }

        if (request.ThrowUnhandled)
        {
            throw new InvalidOperationException(SecretExceptionText);
        }

        if (request.WaitForCancellation)
        {
            lock (_lock)
            {
                _handlerWaiting.TrySetResult(true);
            }

            try
            {
                await Task.Delay(Timeout.Infinite, context.CancellationToken);
            }
            catch (OperationCanceledException)
            {
                lock (_lock)
                {
                    _handlerCancelled.TrySetResult(true);
                }

                throw;
            }
        }

        if (request.FailCode != 0)
        {
            var trailers = new Metadata();
            if (request.TrailerValue.Length > 0)
            {
                trailers.Add("x-error-trailer", request.TrailerValue);
            }

            throw new RpcException((StatusCode)request.FailCode, request.FailMessage, trailers);
        }
    }

    private static EchoResponse Answer(EchoRequest request, ServerCallContext context, int index) => new()
    {
        Text = request.Text,
        Index = index,
        CallerSubject = context.Caller?.Subject ?? string.Empty,
        CallerUris = string.Join(",", context.Caller?.UriNames ?? []),
        HeaderValue = context.RequestHeaders.GetValue("x-echo-header") ?? string.Empty,
        HeaderBinHex = context.RequestHeaders.GetValueBytes("x-echo-bin") is { } bytes ? Convert.ToHexStringLower(bytes) : string.Empty,
        Padding = request.ResponsePadding > 0 ? ByteString.CopyFrom(new byte[request.ResponsePadding]) : ByteString.Empty,
        Peer = context.Peer,
        PayloadSize = request.Payload.Length,
        Transport = context.Transport.ToString(),
    };

    private static TaskCompletionSource<T> NewSignal<T>() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
