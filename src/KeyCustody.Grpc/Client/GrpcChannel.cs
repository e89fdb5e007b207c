// SPDX-License-Identifier: Apache-2.0
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Google.Protobuf;
using KeyCustody.Grpc.Internal;

namespace KeyCustody.Grpc.Client;

/// <summary>
/// A gRPC client connection to one server over HttpClient HTTP/2: plaintext h2c (prior knowledge), TLS (ALPN h2,
/// with a pinned server certificate or private CAs, optionally a client certificate) or a Unix socket.
/// Thread-safe; create one per server and reuse it.
/// </summary>
public sealed class GrpcChannel : IDisposable
{
    private static readonly Oid s_serverAuthentication = new("1.3.6.1.5.5.7.3.1");

    private readonly HttpClient _http;
    private readonly Uri _baseAddress;
    private readonly GrpcChannelOptions _options;

    private GrpcChannel(string target, Uri baseAddress, HttpMessageHandler handler, GrpcChannelOptions options)
    {
        Target = target;
        _baseAddress = baseAddress;
        _options = options;
        _http = new HttpClient(handler, disposeHandler: true)
        {
            Timeout = Timeout.InfiniteTimeSpan,
            DefaultRequestVersion = HttpVersion.Version20,
            DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
    }

    /// <summary>The address this channel was created for.</summary>
    public string Target { get; }

    /// <summary>
    /// Creates a channel. <paramref name="address"/> is "http://host:port" (plaintext h2c), "https://host:port"
    /// (TLS), or a Unix socket as "unix:PATH", "unix:///PATH" or an absolute path "/PATH" (plaintext).
    /// </summary>
    /// <exception cref="ArgumentException">The address has none of those forms.</exception>
    public static GrpcChannel ForAddress(string address, GrpcChannelOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(address);
        options ??= new GrpcChannelOptions();
        var handler = new SocketsHttpHandler
        {
            UseProxy = false,
            AllowAutoRedirect = false,
            UseCookies = false,
            AutomaticDecompression = DecompressionMethods.None,
            EnableMultipleHttp2Connections = true,
            ConnectTimeout = options.ConnectTimeout,
        };

        if (address.StartsWith('/') || address.StartsWith("unix:", StringComparison.Ordinal))
        {
            string path = address.StartsWith("unix://", StringComparison.Ordinal) ? address["unix://".Length..]
                : address.StartsWith("unix:", StringComparison.Ordinal) ? address["unix:".Length..] : address;
            if (path.Length == 0)
            {
                throw new ArgumentException($"'{address}' names no socket path.", nameof(address));
            }

            handler.ConnectCallback = async (_, cancellationToken) =>
            {
                var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                try
                {
                    await socket.ConnectAsync(new UnixDomainSocketEndPoint(path), cancellationToken).ConfigureAwait(false);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            };
            return new GrpcChannel(address, new Uri("http://localhost/"), handler, options);
        }

        if (!Uri.TryCreate(address, UriKind.Absolute, out Uri? uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps) ||
            uri.AbsolutePath != "/")
        {
            throw new ArgumentException($"'{address}' is not an address like http://host:port, https://host:port or unix:PATH.", nameof(address));
        }

        if (uri.Scheme == Uri.UriSchemeHttps)
        {
            handler.SslOptions = CreateSslOptions(options);
        }

        return new GrpcChannel(address, uri, handler, options);
    }

    /// <summary>Calls a unary method and returns its response.</summary>
    /// <exception cref="RpcException">The call failed; carries status, decoded detail and trailers.</exception>
    public async Task<TResponse> UnaryAsync<TRequest, TResponse>(
        string method, TRequest request, MessageParser<TResponse> responseParser, CallOptions options = default)
        where TRequest : IMessage<TRequest>
        where TResponse : IMessage<TResponse>
    {
        UnaryResult<TResponse> result = await UnaryCallAsync(method, request, responseParser, options).ConfigureAwait(false);
        return result.Response;
    }

    /// <summary>Calls a unary method and returns its response with the response headers and trailers.</summary>
    /// <exception cref="RpcException">The call failed; carries status, decoded detail and trailers.</exception>
    public async Task<UnaryResult<TResponse>> UnaryCallAsync<TRequest, TResponse>(
        string method, TRequest request, MessageParser<TResponse> responseParser, CallOptions options = default)
        where TRequest : IMessage<TRequest>
        where TResponse : IMessage<TResponse>
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(responseParser);
        await using GrpcClientCall call = await GrpcClientCall.StartAsync(
            _http, _baseAddress, _options, method, request, options, CancellationToken.None).ConfigureAwait(false);
        byte[]? payload = await call.ReadMessageAsync().ConfigureAwait(false);
        if (payload is null)
        {
            call.ThrowIfFailed();
            throw new RpcException(StatusCode.Internal, "The server ended a unary call without a response message.", call.Trailers);
        }

        if (await call.ReadMessageAsync().ConfigureAwait(false) is not null)
        {
            throw new RpcException(StatusCode.Internal, "The server sent more than one response message for a unary call.");
        }

        call.ThrowIfFailed();
        return new UnaryResult<TResponse>(ParseResponse(responseParser, payload), call.ResponseHeaders, call.Trailers ?? new Metadata());
    }

    /// <summary>
    /// Calls a server-streaming method. The call starts when enumeration starts; leaving the enumeration early
    /// cancels it. Headers and trailers are readable on the returned object as they arrive.
    /// </summary>
    public ServerStreamingCall<TResponse> ServerStreamingAsync<TRequest, TResponse>(
        string method, TRequest request, MessageParser<TResponse> responseParser, CallOptions options = default)
        where TRequest : IMessage<TRequest>
        where TResponse : IMessage<TResponse>
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(responseParser);
        return new ServerStreamingCall<TResponse>(
            token => GrpcClientCall.StartAsync(_http, _baseAddress, _options, method, request, options, token),
            payload => ParseResponse(responseParser, payload));
    }

    /// <inheritdoc />
    public void Dispose() => _http.Dispose();

    private static T ParseResponse<T>(MessageParser<T> parser, byte[] payload)
        where T : IMessage<T>
    {
        try
        {
            return parser.ParseFrom(payload);
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new RpcException(StatusCode.Internal, "The response message could not be parsed.", null, e);
        }
    }

    private static SslClientAuthenticationOptions CreateSslOptions(GrpcChannelOptions options)
    {
        var ssl = new SslClientAuthenticationOptions
        {
            EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
            RemoteCertificateValidationCallback = (_, certificate, chain, errors) => ValidateServer(options, certificate, chain, errors),
        };
        if (options.ClientCertificate is { } client)
        {
            if (!client.HasPrivateKey)
            {
                throw new ArgumentException("The client certificate must carry its private key.", nameof(options));
            }

            // Present the configured certificate whatever CA names the server lists.
            ssl.ClientCertificates = [client];
            ssl.LocalCertificateSelectionCallback = (_, _, _, _, _) => client;
        }

        return ssl;
    }

    private static bool ValidateServer(GrpcChannelOptions options, X509Certificate? presented, X509Chain? presentedChain, SslPolicyErrors errors)
    {
        if (presented is null)
        {
            return false;
        }

        if (options.PinnedServerCertificate is { } pinned)
        {
            // A pin is an exact identity: name and issuer do not matter.
            return SHA256.HashData(presented.GetRawCertData()).AsSpan().SequenceEqual(SHA256.HashData(pinned.RawData));
        }

        if (options.TrustedCertificateAuthorities.Count == 0)
        {
            return errors == SslPolicyErrors.None;
        }

        if ((errors & (SslPolicyErrors.RemoteCertificateNameMismatch | SslPolicyErrors.RemoteCertificateNotAvailable)) != 0)
        {
            return false;
        }

        using var certificate = X509CertificateLoader.LoadCertificate(presented.GetRawCertData());
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.ApplicationPolicy.Add(s_serverAuthentication);
        foreach (X509Certificate2 ca in options.TrustedCertificateAuthorities)
        {
            chain.ChainPolicy.CustomTrustStore.Add(ca);
        }

        if (presentedChain is not null)
        {
            foreach (X509ChainElement element in presentedChain.ChainElements)
            {
                chain.ChainPolicy.ExtraStore.Add(element.Certificate);
            }
        }

        return chain.Build(certificate);
    }
}
