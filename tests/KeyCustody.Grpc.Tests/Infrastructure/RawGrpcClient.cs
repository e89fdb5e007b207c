// SPDX-License-Identifier: Apache-2.0
using System.Buffers;
using System.Net;
using System.Net.Http.Headers;
using KeyCustody.Grpc.Internal;

namespace KeyCustody.Grpc.Tests.Infrastructure;

/// <summary>What a raw HTTP/2 request got back, with the gRPC status wherever the server put it.</summary>
public sealed record RawGrpcResponse(
    HttpStatusCode HttpStatus,
    string? StatusInHeaders,
    string? StatusInTrailers,
    string? Message,
    byte[] Body,
    HttpResponseHeaders Headers,
    HttpResponseHeaders Trailers)
{
    /// <summary>The gRPC status from the trailers, or from the headers for a Trailers-Only response.</summary>
    public int? GrpcStatus => int.TryParse(StatusInTrailers ?? StatusInHeaders, out int code) ? code : null;

    /// <summary>The decoded grpc-message.</summary>
    public string DecodedMessage => GrpcProtocol.DecodeMessage(Message);

    /// <summary>The length-prefixed messages in the body.</summary>
    public IReadOnlyList<byte[]> Messages
    {
        get
        {
            var list = new List<byte[]>();
            var buffer = new System.Buffers.ReadOnlySequence<byte>(Body);
            while (GrpcFraming.TryReadFrame(ref buffer, int.MaxValue, out _, out System.Buffers.ReadOnlySequence<byte> payload))
            {
                list.Add(payload.ToArray());
            }

            return list;
        }
    }
}

/// <summary>
/// Sends hand-made gRPC requests over HTTP/2 prior knowledge with HttpClient: any path, content-type, headers and
/// body bytes, with no client-side deadline, so the server's own behaviour is what gets observed.
/// </summary>
public sealed class RawGrpcClient : IDisposable
{
    private readonly HttpClient _http;
    private readonly Uri _base;

    public RawGrpcClient(string address, int maxConnections = 1)
    {
        _base = new Uri(address);
        _http = new HttpClient(new SocketsHttpHandler
        {
            UseProxy = false,
            EnableMultipleHttp2Connections = maxConnections > 1,
            MaxConnectionsPerServer = maxConnections,
            AutomaticDecompression = DecompressionMethods.None,
        })
        {
            Timeout = Timeout.InfiniteTimeSpan,
        };
    }

    public async Task<RawGrpcResponse> SendAsync(
        string path,
        byte[] body,
        string contentType = "application/grpc",
        IEnumerable<(string Name, string Value)>? headers = null,
        CancellationToken cancellationToken = default)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(_base, path))
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = new ByteArrayContent(body),
        };
        request.Content.Headers.TryAddWithoutValidation("content-type", contentType);
        request.Headers.TryAddWithoutValidation("te", "trailers");
        foreach ((string name, string value) in headers ?? [])
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        using HttpResponseMessage response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        byte[] bytes = await response.Content.ReadAsByteArrayAsync(cancellationToken);
        return new RawGrpcResponse(
            response.StatusCode,
            First(response.Headers, "grpc-status"),
            First(response.TrailingHeaders, "grpc-status"),
            First(response.TrailingHeaders, "grpc-message") ?? First(response.Headers, "grpc-message"),
            bytes,
            response.Headers,
            response.TrailingHeaders);
    }

    public void Dispose() => _http.Dispose();

    private static string? First(HttpHeaders headers, string name) =>
        headers.NonValidated.TryGetValues(name, out HeaderStringValues values) ? values.FirstOrDefault() : null;
}
