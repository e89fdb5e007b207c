// SPDX-License-Identifier: Apache-2.0
using System.Net;
using System.Security.Cryptography.X509Certificates;
using KeyCustody.Grpc.Internal;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace KeyCustody.Grpc;

/// <summary>Settings of a <see cref="GrpcServer"/>.</summary>
public sealed class GrpcServerOptions
{
    /// <summary>Where to listen. At least one is required.</summary>
    public IList<GrpcEndpoint> Endpoints { get; } = new List<GrpcEndpoint>();

    /// <summary>Largest request message accepted (after decompression); larger ones fail with RESOURCE_EXHAUSTED. Default 4 MiB.</summary>
    public int MaxReceiveMessageSize { get; set; } = GrpcProtocol.DefaultMaxMessageSize;

    /// <summary>Largest response message sent; a larger one fails the call with RESOURCE_EXHAUSTED. Default 4 MiB.</summary>
    public int MaxSendMessageSize { get; set; } = GrpcProtocol.DefaultMaxMessageSize;

    /// <summary>How long <see cref="GrpcServer.StopAsync"/> lets running calls finish before resetting them. Default 5 s.</summary>
    public TimeSpan ShutdownTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Where the server and Kestrel log. Handler exceptions are logged here, never sent to callers.</summary>
    public ILoggerFactory LoggerFactory { get; set; } = NullLoggerFactory.Instance;

    /// <summary>
    /// Minimum level for Kestrel's and the ASP.NET Core host's own categories ("Microsoft.*"). Default Warning:
    /// they log every request at Information. The gRPC layer's own category is not affected.
    /// </summary>
    public LogLevel FrameworkLogLevel { get; set; } = LogLevel.Warning;
}

/// <summary>How a TLS endpoint treats client certificates.</summary>
public enum GrpcClientCertificateMode
{
    /// <summary>No client certificate is requested.</summary>
    None,
    /// <summary>A certificate is requested; callers without one are accepted (Caller is null); a presented one must validate.</summary>
    Optional,
    /// <summary>The TLS handshake fails unless the client presents a certificate that validates.</summary>
    Required,
}

/// <summary>TLS settings of one endpoint (HTTP/2 negotiated with ALPN "h2").</summary>
public sealed class GrpcTlsOptions
{
    /// <summary>Creates TLS settings for <paramref name="serverCertificate"/> (which must carry its private key).</summary>
    public GrpcTlsOptions(X509Certificate2 serverCertificate)
    {
        ArgumentNullException.ThrowIfNull(serverCertificate);
        if (!serverCertificate.HasPrivateKey)
        {
            throw new ArgumentException("The server certificate must carry its private key.", nameof(serverCertificate));
        }

        ServerCertificate = serverCertificate;
    }

    /// <summary>The server's certificate with private key.</summary>
    public X509Certificate2 ServerCertificate { get; }

    /// <summary>Whether client certificates are requested or required. Default none.</summary>
    public GrpcClientCertificateMode ClientCertificateMode { get; init; } = GrpcClientCertificateMode.None;

    /// <summary>
    /// The CA certificates client certificates must chain to. The system trust store is never consulted;
    /// with a client-certificate mode other than none this must not be empty.
    /// </summary>
    public IReadOnlyList<X509Certificate2> TrustedClientCertificateAuthorities { get; init; } = [];
}

/// <summary>One listening endpoint: a TCP address (TLS or loopback plaintext) or a Unix socket.</summary>
public sealed class GrpcEndpoint
{
    private GrpcEndpoint(IPEndPoint? ipEndPoint, string? unixSocketPath, GrpcTlsOptions? tls)
    {
        IPEndPoint = ipEndPoint;
        UnixSocketPath = unixSocketPath;
        Tls = tls;
    }

    /// <summary>The TCP address (port 0 picks a free port), or null for a Unix socket.</summary>
    public IPEndPoint? IPEndPoint { get; }

    /// <summary>The Unix socket path, or null for TCP.</summary>
    public string? UnixSocketPath { get; }

    /// <summary>TLS settings, or null for plaintext HTTP/2 (allowed only on loopback and Unix sockets).</summary>
    public GrpcTlsOptions? Tls { get; }

    /// <summary>A TCP endpoint; without <paramref name="tls"/> the address must be loopback.</summary>
    public static GrpcEndpoint Tcp(IPEndPoint endPoint, GrpcTlsOptions? tls = null)
    {
        ArgumentNullException.ThrowIfNull(endPoint);
        return new GrpcEndpoint(endPoint, null, tls);
    }

    /// <summary>A plaintext HTTP/2 endpoint on a Unix socket (file permissions guard access).</summary>
    public static GrpcEndpoint UnixSocket(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        return new GrpcEndpoint(null, path, null);
    }

    /// <inheritdoc />
    public override string ToString() =>
        UnixSocketPath is not null ? "unix:" + UnixSocketPath : (Tls is null ? "http://" : "https://") + IPEndPoint;
}

/// <summary>An endpoint as bound after <see cref="GrpcServer.StartAsync"/>: port 0 resolved to the real port.</summary>
public sealed class GrpcBoundEndpoint
{
    internal GrpcBoundEndpoint(GrpcEndpoint endpoint, IPEndPoint? boundEndPoint)
    {
        Endpoint = endpoint;
        BoundEndPoint = boundEndPoint;
    }

    /// <summary>The endpoint as configured.</summary>
    public GrpcEndpoint Endpoint { get; }

    /// <summary>The bound TCP address, or null for a Unix socket.</summary>
    public IPEndPoint? BoundEndPoint { get; }

    /// <summary>The bound TCP port, or 0 for a Unix socket.</summary>
    public int Port => BoundEndPoint?.Port ?? 0;

    /// <summary>An address <see cref="Client.GrpcChannel.ForAddress"/> accepts: "http://127.0.0.1:PORT", "https://…" or "unix:PATH".</summary>
    public string Address => Endpoint.UnixSocketPath is not null
        ? "unix:" + Endpoint.UnixSocketPath
        : (Endpoint.Tls is null ? "http://" : "https://") + FormatHost(BoundEndPoint!);

    private static string FormatHost(IPEndPoint endPoint)
    {
        IPAddress address = endPoint.Address;
        if (address.Equals(IPAddress.Any))
        {
            address = IPAddress.Loopback;
        }
        else if (address.Equals(IPAddress.IPv6Any))
        {
            address = IPAddress.IPv6Loopback;
        }

        return new IPEndPoint(address, endPoint.Port).ToString();
    }
}
