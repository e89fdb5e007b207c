// SPDX-License-Identifier: Apache-2.0
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Primitives;

namespace KeyCustody.Grpc.Internal;

/// <summary>
/// The request delegate: checks the HTTP-level requirements of gRPC (HTTP/2, POST, content-type), finds the method,
/// reads grpc-timeout, grpc-encoding and metadata, then hands over to a <see cref="GrpcServerCall"/>.
/// </summary>
internal sealed class GrpcRequestHandler(
    GrpcServiceRegistry registry, GrpcServerOptions options, ILogger logger, CancellationToken stopStreams, CancellationToken stopUnary)
{
    private const int MaxEchoedPathLength = 200;
    private const int MaxDrainBytes = 64 * 1024;
    private static readonly TimeSpan s_drainTimeout = TimeSpan.FromSeconds(1);
    private int _activeRequests;

    /// <summary>Requests whose delegate has not returned yet (diagnostics and tests).</summary>
    public int ActiveRequests => Volatile.Read(ref _activeRequests);

    public async Task HandleAsync(HttpContext http)
    {
        Interlocked.Increment(ref _activeRequests);
        try
        {
            await HandleCoreAsync(http).ConfigureAwait(false);
            await DrainRemainingBodyAsync(http).ConfigureAwait(false);
        }
        finally
        {
            Interlocked.Decrement(ref _activeRequests);
        }
    }

    /// <summary>
    /// After the response is complete, reads what is left of a small request body. Kestrel keeps a stream that the
    /// application finished before the client's END_STREAM as "not yet cleaned up", and once 100 of those pile up
    /// on a connection it refuses new streams with ENHANCE_YOUR_CALM (its HTTP/2 rapid-reset defence). Early
    /// answers (415, UNIMPLEMENTED, RESOURCE_EXHAUSTED…) would otherwise feed that pile. Bounded in bytes and
    /// time, so a client that keeps its stream open cannot hold the request here.
    /// </summary>
    private static async Task DrainRemainingBodyAsync(HttpContext http)
    {
        if (!HttpProtocol.IsHttp2(http.Request.Protocol) || http.RequestAborted.IsCancellationRequested)
        {
            return;
        }

        try
        {
            await http.Response.CompleteAsync().ConfigureAwait(false);
            using var cts = CancellationTokenSource.CreateLinkedTokenSource(http.RequestAborted);
            cts.CancelAfter(s_drainTimeout);
            long drained = 0;
            while (true)
            {
                ReadResult result = await http.Request.BodyReader.ReadAsync(cts.Token).ConfigureAwait(false);
                drained += result.Buffer.Length;
                http.Request.BodyReader.AdvanceTo(result.Buffer.End);
                if (result.IsCompleted || drained > MaxDrainBytes)
                {
                    return;
                }
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or InvalidOperationException or BadHttpRequestException)
        {
            // The client reset the stream or took too long: Kestrel resets it, nothing else to do.
        }
    }

    private async Task HandleCoreAsync(HttpContext http)
    {
        HttpRequest request = http.Request;
        HttpResponse response = http.Response;
        if (!HttpProtocol.IsHttp2(request.Protocol))
        {
            // Only reachable on TLS endpoints (ALPN http/1.1); cleartext endpoints answer HTTP/1.x before Kestrel parses it.
            GrpcLog.RequestRejected(logger, "HTTP/1.x request");
            response.StatusCode = StatusCodes.Status426UpgradeRequired;
            response.Headers.Upgrade = "h2";
            response.Headers.Connection = "Upgrade, close";
            response.ContentType = "text/plain";
            await response.WriteAsync("gRPC requires HTTP/2.\n").ConfigureAwait(false);
            return;
        }

        if (!HttpMethods.IsPost(request.Method))
        {
            RejectHttp(response, StatusCodes.Status405MethodNotAllowed, $"gRPC requires POST, not {request.Method}.");
            return;
        }

        if (!GrpcProtocol.IsGrpcContentType(request.ContentType))
        {
            RejectHttp(response, StatusCodes.Status415UnsupportedMediaType,
                $"Content-Type '{Truncate(request.ContentType ?? string.Empty)}' is not supported; gRPC requires application/grpc.");
            return;
        }

        string path = request.Path.Value ?? string.Empty;
        if (!registry.TryGetMethod(path, out ServerMethod? method))
        {
            WriteTrailersOnly(response, StatusCode.Unimplemented, $"Method {Truncate(path)} is not implemented by this server.");
            return;
        }

        string? encoding = SingleValue(request.Headers[GrpcProtocol.EncodingHeader]);
        if (encoding is not null && encoding != GrpcProtocol.Identity && encoding != GrpcProtocol.Gzip)
        {
            WriteTrailersOnly(response, StatusCode.Unimplemented,
                $"grpc-encoding '{Truncate(encoding)}' is not supported; supported: {GrpcProtocol.SupportedEncodings}.");
            return;
        }

        TimeSpan? timeout = null;
        string? timeoutText = SingleValue(request.Headers[GrpcProtocol.TimeoutHeader]);
        if (timeoutText is not null)
        {
            if (!GrpcProtocol.TryParseTimeout(timeoutText, out TimeSpan parsed))
            {
                WriteTrailersOnly(response, StatusCode.Internal, $"Malformed grpc-timeout '{Truncate(timeoutText)}'.");
                return;
            }

            timeout = parsed;
        }

        // Message size is enforced per message (MaxReceiveMessageSize); Kestrel's whole-body cap would cut
        // a call off with a transport error instead of RESOURCE_EXHAUSTED.
        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } bodySize)
        {
            bodySize.MaxRequestBodySize = null;
        }

        (string peer, GrpcTransportKind transport, bool isLocal) = DescribePeer(http);
        // Only a certificate the endpoint's CAs vouched for identifies the caller (see GrpcServer: optional mode lets
        // untrusted ones through the handshake so the service can answer UNAUTHENTICATED).
        CallerIdentity? caller = http.Connection.ClientCertificate is { } certificate
            && GrpcServer.TrustedClientCertificates.TryGetValue(certificate, out _)
                ? new CallerIdentity(certificate)
                : null;
        var call = new GrpcServerCall(http, options, logger, path, ReadMetadata(request.Headers), timeout, caller, peer, transport, isLocal);
        await call.RunAsync(method, encoding, method.IsServerStreaming ? stopStreams : stopUnary).ConfigureAwait(false);
    }

    /// <summary>Answers with status in the headers and no body (the spec's Trailers-Only response).</summary>
    internal static void WriteTrailersOnly(HttpResponse response, StatusCode code, string detail)
    {
        GrpcServerCall.SetResponseHeaders(response);
        response.Headers[GrpcProtocol.StatusHeader] = ((int)code).ToString(System.Globalization.CultureInfo.InvariantCulture);
        response.Headers[GrpcProtocol.MessageHeader] = GrpcProtocol.EncodeMessage(detail);
    }

    /// <summary>Custom metadata from request headers: protocol headers are left out, -bin values are base64-decoded.</summary>
    internal static Metadata ReadMetadata(IHeaderDictionary headers)
    {
        var metadata = new Metadata();
        foreach ((string name, StringValues values) in headers)
        {
            foreach (string? value in values)
            {
                if (value is not null)
                {
                    MetadataCodec.AddReceived(metadata, name, value);
                }
            }
        }

        return metadata;
    }

    private void RejectHttp(HttpResponse response, int httpStatus, string detail)
    {
        GrpcLog.RequestRejected(logger, detail);
        response.StatusCode = httpStatus;
        response.Headers[GrpcProtocol.StatusHeader] = ((int)StatusCode.Internal).ToString(System.Globalization.CultureInfo.InvariantCulture);
        response.Headers[GrpcProtocol.MessageHeader] = GrpcProtocol.EncodeMessage(detail);
    }

    private static (string Peer, GrpcTransportKind Transport, bool IsLocal) DescribePeer(HttpContext http)
    {
        GrpcEndpoint? endpoint = http.Features.Get<GrpcEndpointFeature>()?.Endpoint;
        bool tls = http.Features.Get<ITlsConnectionFeature>() is not null;
        if (endpoint?.UnixSocketPath is { } path)
        {
            return ("unix:" + path, GrpcTransportKind.UnixSocket, true);
        }

        GrpcTransportKind transport = tls ? GrpcTransportKind.Tls : GrpcTransportKind.Tcp;
        IPAddress? remote = http.Connection.RemoteIpAddress;
        if (remote is null)
        {
            return ("unknown", transport, false);
        }

        if (remote.IsIPv4MappedToIPv6)
        {
            remote = remote.MapToIPv4();
        }

        string peer = remote.AddressFamily == AddressFamily.InterNetworkV6
            ? $"ipv6:[{remote}]:{http.Connection.RemotePort}"
            : $"ipv4:{remote}:{http.Connection.RemotePort}";
        return (peer, transport, IPAddress.IsLoopback(remote));
    }

    private static string? SingleValue(StringValues values) => values.Count == 0 ? null : values[0];

    private static string Truncate(string text) => text.Length <= MaxEchoedPathLength ? text : text[..MaxEchoedPathLength] + "…";
}
