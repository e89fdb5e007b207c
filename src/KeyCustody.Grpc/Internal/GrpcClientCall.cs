// SPDX-License-Identifier: Apache-2.0
using System.Globalization;
using System.IO.Pipelines;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Authentication;
using Google.Protobuf;
using KeyCustody.Grpc.Client;

namespace KeyCustody.Grpc.Internal;

/// <summary>
/// One client call on HttpClient: sends the request, reads the response headers, then messages, then the status
/// from the trailers (or from the headers for a Trailers-Only response). Every failure surfaces as
/// <see cref="RpcException"/>.
/// </summary>
internal sealed class GrpcClientCall : IAsyncDisposable
{
    private const string UserAgent = "keycustody-grpc-dotnet/1.0";

    private readonly CancellationTokenSource _cts;
    private readonly CancellationTokenSource? _deadlineCts;
    private readonly CancellationToken _callerToken;
    private readonly CancellationToken _extraToken;
    private readonly GrpcChannelOptions _options;
    private HttpRequestMessage? _request;
    private HttpResponseMessage? _response;
    private PipeReader? _reader;
    private string? _encoding;
    private RpcException? _trailersOnlyError;
    private bool _finished;

    private GrpcClientCall(GrpcChannelOptions options, CancellationTokenSource cts, CancellationTokenSource? deadlineCts, CancellationToken callerToken, CancellationToken extraToken)
    {
        _extraToken = extraToken;
        _options = options;
        _cts = cts;
        _deadlineCts = deadlineCts;
        _callerToken = callerToken;
    }

    /// <summary>Response headers (custom metadata only), available once the call has started.</summary>
    public Metadata ResponseHeaders { get; private set; } = new();

    /// <summary>Trailers (custom metadata only), available once the call has finished.</summary>
    public Metadata? Trailers { get; private set; }

    public static async Task<GrpcClientCall> StartAsync(
        HttpClient http, Uri baseAddress, GrpcChannelOptions channelOptions, string method, IMessage request,
        CallOptions options, CancellationToken extraToken)
    {
        if (!GrpcServiceRegistry.IsValidMethodName(method))
        {
            throw new ArgumentException($"'{method}' is not a full method name like \"/package.Service/Method\".", nameof(method));
        }

        TimeSpan? remaining = options.Deadline is { } deadline ? deadline - DateTimeOffset.UtcNow : null;
        if (remaining is { } r && r <= TimeSpan.Zero)
        {
            throw new RpcException(StatusCode.DeadlineExceeded, "Deadline exceeded before the call started.");
        }

        byte[] payload = request.ToByteArray();
        bool compress = channelOptions.CompressRequests;
        if (payload.Length > channelOptions.MaxSendMessageSize)
        {
            throw new RpcException(StatusCode.ResourceExhausted,
                $"Sending message larger than max ({payload.Length} vs. {channelOptions.MaxSendMessageSize}).");
        }

        byte[] body = GrpcFraming.Frame(compress ? GrpcFraming.Compress(payload) : payload, compress);

        CancellationTokenSource cts = extraToken.CanBeCanceled
            ? CancellationTokenSource.CreateLinkedTokenSource(options.CancellationToken, extraToken)
            : CancellationTokenSource.CreateLinkedTokenSource(options.CancellationToken);
        CancellationTokenSource? deadlineCts = null;
        if (remaining is { } timeout && timeout < TimeSpan.FromMilliseconds(int.MaxValue - 1))
        {
            deadlineCts = new CancellationTokenSource(timeout);
            deadlineCts.Token.Register(static s => ((CancellationTokenSource)s!).Cancel(), cts);
        }

        var call = new GrpcClientCall(channelOptions, cts, deadlineCts, options.CancellationToken, extraToken);
        try
        {
            // The request lives as long as the call: HTTP/2 may still be sending its body after the headers arrived.
            var message = new HttpRequestMessage(HttpMethod.Post, new Uri(baseAddress, method))
            {
                Version = HttpVersion.Version20,
                VersionPolicy = HttpVersionPolicy.RequestVersionExact,
                Content = new ByteArrayContent(body),
            };
            call._request = message;
            message.Content.Headers.ContentType = new MediaTypeHeaderValue(GrpcProtocol.ContentType);
            message.Headers.TryAddWithoutValidation("te", "trailers");
            message.Headers.TryAddWithoutValidation("user-agent", UserAgent);
            message.Headers.TryAddWithoutValidation(GrpcProtocol.AcceptEncodingHeader, GrpcProtocol.SupportedEncodings);
            if (compress)
            {
                message.Headers.TryAddWithoutValidation(GrpcProtocol.EncodingHeader, GrpcProtocol.Gzip);
            }

            if (remaining is { } t)
            {
                message.Headers.TryAddWithoutValidation(GrpcProtocol.TimeoutHeader, GrpcProtocol.FormatTimeout(t));
            }

            foreach (Metadata.Entry entry in options.Headers ?? [])
            {
                if (!message.Headers.TryAddWithoutValidation(entry.Key, entry.Value))
                {
                    message.Content.Headers.TryAddWithoutValidation(entry.Key, entry.Value);
                }
            }

            call._response = await http.SendAsync(message, HttpCompletionOption.ResponseHeadersRead, cts.Token).ConfigureAwait(false);
            await call.ReadHeadersAsync().ConfigureAwait(false);
            return call;
        }
        catch (Exception e)
        {
            await call.DisposeAsync().ConfigureAwait(false);
            throw call.Map(e);
        }
    }

    /// <summary>The next message, or null when the response ended (then call <see cref="ThrowIfFailed"/>).</summary>
    public async Task<byte[]?> ReadMessageAsync()
    {
        if (_finished)
        {
            return null;
        }

        try
        {
            byte[]? message = await GrpcFraming.ReadMessageAsync(_reader!, _options.MaxReceiveMessageSize, _encoding, _cts.Token).ConfigureAwait(false);
            if (message is null)
            {
                _finished = true;
                ReadTrailers();
            }

            return message;
        }
        catch (RpcException e) when (e.StatusCode is StatusCode.ResourceExhausted or StatusCode.Internal or StatusCode.Unimplemented)
        {
            // A frame the client rejects: the response is abandoned (the stream is reset on dispose).
            _finished = true;
            throw;
        }
        catch (Exception e)
        {
            _finished = true;
            throw Map(e);
        }
    }

    /// <summary>Throws the call's status as <see cref="RpcException"/> unless it is OK. Only valid once the response ended.</summary>
    public void ThrowIfFailed()
    {
        if (_trailersOnlyError is not null)
        {
            throw _trailersOnlyError;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_reader is not null)
        {
            await _reader.CompleteAsync().ConfigureAwait(false);
        }

        // Disposing an unfinished response resets the stream (RST_STREAM CANCEL), which is how gRPC cancels.
        _response?.Dispose();
        _request?.Dispose();
        _deadlineCts?.Dispose();
        _cts.Dispose();
    }

    private async Task ReadHeadersAsync()
    {
        HttpResponseMessage response = _response!;
        if (response.StatusCode != HttpStatusCode.OK)
        {
            string? message = FirstValue(response.Headers, GrpcProtocol.MessageHeader);
            string detail = $"Bad gRPC response: HTTP status {(int)response.StatusCode}" +
                (message is null ? "." : ": " + GrpcProtocol.DecodeMessage(message));
            throw new RpcException(MapHttpStatus(response.StatusCode), detail, MetadataCodec.FromHttpHeaders(response.Headers));
        }

        ResponseHeaders = MetadataCodec.FromHttpHeaders(response.Headers);
        string? status = FirstValue(response.Headers, GrpcProtocol.StatusHeader);
        if (status is not null)
        {
            // Trailers-Only: the status came with the headers and there is no body worth reading.
            _finished = true;
            Trailers = ResponseHeaders;
            _trailersOnlyError = StatusToException(status, FirstValue(response.Headers, GrpcProtocol.MessageHeader), Trailers);
            return;
        }

        string? contentType = response.Content.Headers.ContentType?.ToString();
        if (!GrpcProtocol.IsGrpcContentType(contentType))
        {
            throw new RpcException(StatusCode.Internal, $"Bad gRPC response: content-type '{contentType}' is not application/grpc.");
        }

        _encoding = FirstValue(response.Headers, GrpcProtocol.EncodingHeader);
        if (_encoding is not null && _encoding != GrpcProtocol.Identity && _encoding != GrpcProtocol.Gzip)
        {
            throw new RpcException(StatusCode.Internal, $"The server used grpc-encoding '{_encoding}', which this client did not offer.");
        }

        Stream body = await response.Content.ReadAsStreamAsync(_cts.Token).ConfigureAwait(false);
        _reader = PipeReader.Create(body);
    }

    private void ReadTrailers()
    {
        HttpResponseHeaders trailing = _response!.TrailingHeaders;
        Trailers = MetadataCodec.FromHttpHeaders(trailing);
        string? status = FirstValue(trailing, GrpcProtocol.StatusHeader);
        _trailersOnlyError = status is null
            ? new RpcException(StatusCode.Internal, "The server ended the response without a grpc-status.", Trailers)
            : StatusToException(status, FirstValue(trailing, GrpcProtocol.MessageHeader), Trailers);
    }

    private static RpcException? StatusToException(string statusText, string? message, Metadata trailers)
    {
        if (!int.TryParse(statusText, NumberStyles.None, CultureInfo.InvariantCulture, out int code))
        {
            return new RpcException(StatusCode.Unknown, $"The server sent an unparsable grpc-status '{statusText}'.", trailers);
        }

        if (code == 0)
        {
            return null;
        }

        // Codes outside 0–16 are reported as they are; callers treat unknown values like UNKNOWN.
        return new RpcException((StatusCode)code, GrpcProtocol.DecodeMessage(message), trailers);
    }

    /// <summary>HTTP status to gRPC code for responses that are not gRPC (PROTOCOL-HTTP2.md / http-grpc-status-mapping.md).</summary>
    internal static StatusCode MapHttpStatus(HttpStatusCode status) => (int)status switch
    {
        400 => StatusCode.Internal,
        401 => StatusCode.Unauthenticated,
        403 => StatusCode.PermissionDenied,
        404 => StatusCode.Unimplemented,
        429 or 502 or 503 or 504 => StatusCode.Unavailable,
        _ => StatusCode.Unknown,
    };

    /// <summary>RST_STREAM error code to gRPC code (PROTOCOL-HTTP2.md, "Errors").</summary>
    internal static StatusCode MapHttp2Error(long errorCode) => errorCode switch
    {
        0x7 => StatusCode.Unavailable,        // REFUSED_STREAM: not processed, safe to retry
        0x8 => StatusCode.Cancelled,          // CANCEL
        0xb => StatusCode.ResourceExhausted,  // ENHANCE_YOUR_CALM
        0xc => StatusCode.PermissionDenied,   // INADEQUATE_SECURITY
        _ => StatusCode.Internal,
    };

    private Exception Map(Exception e)
    {
        switch (e)
        {
            case RpcException:
            case ArgumentException:
                return e;
            case OperationCanceledException:
                if (_callerToken.IsCancellationRequested || _extraToken.IsCancellationRequested)
                {
                    return new RpcException(StatusCode.Cancelled, "The call was cancelled by the caller.", null, e);
                }

                if (_deadlineCts?.IsCancellationRequested == true)
                {
                    return new RpcException(StatusCode.DeadlineExceeded, "Deadline exceeded.", null, e);
                }

                return new RpcException(StatusCode.Cancelled, "The call was cancelled.", null, e);
        }

        for (Exception? inner = e; inner is not null; inner = inner.InnerException)
        {
            if (inner is HttpProtocolException protocol)
            {
                return new RpcException(MapHttp2Error(protocol.ErrorCode),
                    $"The HTTP/2 stream was reset (error code 0x{protocol.ErrorCode:x}).", null, e);
            }

            if (inner is AuthenticationException)
            {
                return new RpcException(StatusCode.Unavailable, "TLS handshake failed: " + inner.Message, null, e);
            }
        }

        return e is HttpRequestException or IOException
            ? new RpcException(StatusCode.Unavailable, "Connection failed: " + e.Message, null, e)
            : new RpcException(StatusCode.Internal, "The call failed in the client: " + e.GetType().Name, null, e);
    }

    private static string? FirstValue(HttpHeaders headers, string name) =>
        headers.NonValidated.TryGetValues(name, out HeaderStringValues values) ? values.FirstOrDefault() : null;
}
