// SPDX-License-Identifier: Apache-2.0
using System.Net;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using KeyCustody.Grpc.Internal;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace KeyCustody.Grpc;

/// <summary>
/// A gRPC server on Kestrel HTTP/2: TLS endpoints (ALPN h2, optional or required client certificates validated
/// against configured CAs only), and plaintext h2c on loopback or a Unix socket. Serves the methods of a
/// <see cref="GrpcServiceRegistry"/>.
/// </summary>
public sealed class GrpcServer : IAsyncDisposable
{
    private static readonly Oid s_clientAuthentication = new("1.3.6.1.5.5.7.3.2");
    private static readonly TimeSpan s_statusGrace = TimeSpan.FromSeconds(2);

    private readonly GrpcServerOptions _options;
    private readonly GrpcServiceRegistry _registry;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stopStreams = new();
    private readonly CancellationTokenSource _stopUnary = new();
    private readonly List<(GrpcEndpoint Endpoint, ListenOptions Listen)> _listeners = [];
    private WebApplication? _app;
    private GrpcRequestHandler? _handler;
    private int _state;

    /// <summary>Creates a server; nothing listens until <see cref="StartAsync"/>.</summary>
    public GrpcServer(GrpcServerOptions options, GrpcServiceRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(registry);
        _options = options;
        _registry = registry;
        _logger = options.LoggerFactory.CreateLogger("KeyCustody.Grpc.Server");
    }

    /// <summary>The endpoints as bound (port 0 resolved). Empty before <see cref="StartAsync"/> completes.</summary>
    public IReadOnlyList<GrpcBoundEndpoint> BoundEndpoints { get; private set; } = [];

    /// <summary>Requests being processed right now (their request delegate has not returned).</summary>
    internal int ActiveRequests => _handler?.ActiveRequests ?? 0;

    /// <summary>
    /// Binds every endpoint and starts serving.
    /// </summary>
    /// <exception cref="InvalidOperationException">
    /// No endpoint, a plaintext endpoint on a non-loopback address, a client-certificate mode without trusted CAs,
    /// or the server was already started.
    /// </exception>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        if (Interlocked.CompareExchange(ref _state, 1, 0) != 0)
        {
            throw new InvalidOperationException("The server has already been started.");
        }

        Validate(_options);
        foreach (GrpcEndpoint endpoint in _options.Endpoints)
        {
            if (endpoint.UnixSocketPath is { } path)
            {
                PrepareUnixSocketPath(path);
            }
        }

        _registry.Freeze();

        WebApplicationBuilder builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.Services.AddSingleton<ILoggerFactory>(new FrameworkLogFilter(_options.LoggerFactory, _options.FrameworkLogLevel));
        builder.Services.AddSingleton(typeof(ILogger<>), typeof(Logger<>));
        builder.WebHost.UseKestrelCore();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = null;
            foreach (GrpcEndpoint endpoint in _options.Endpoints)
            {
                if (endpoint.UnixSocketPath is { } path)
                {
                    kestrel.ListenUnixSocket(path, listen => ConfigureEndpoint(endpoint, listen));
                }
                else
                {
                    kestrel.Listen(endpoint.IPEndPoint!, listen => ConfigureEndpoint(endpoint, listen));
                }
            }
        });
        // Kestrel's own cut-off comes after ours, so calls ended at ShutdownTimeout still get their status out.
        builder.WebHost.UseShutdownTimeout(_options.ShutdownTimeout + s_statusGrace);

        _app = builder.Build();
        _handler = new GrpcRequestHandler(_registry, _options, _logger, _stopStreams.Token, _stopUnary.Token);
        _app.Run(_handler.HandleAsync);
        await _app.StartAsync(cancellationToken).ConfigureAwait(false);

        BoundEndpoints = _listeners
            .Select(l => new GrpcBoundEndpoint(l.Endpoint, l.Endpoint.UnixSocketPath is null ? l.Listen.IPEndPoint : null))
            .ToArray();
        foreach (GrpcBoundEndpoint bound in BoundEndpoints)
        {
            GrpcLog.Listening(_logger, bound.Address);
        }
    }

    /// <summary>
    /// Stops accepting calls. Server-streaming calls (Watch-style streams that would never end on their own) end
    /// at once with UNAVAILABLE; unary calls may finish for up to <see cref="GrpcServerOptions.ShutdownTimeout"/>,
    /// then end with UNAVAILABLE too.
    /// </summary>
    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        if (Interlocked.CompareExchange(ref _state, 2, 1) != 1 || _app is null)
        {
            return;
        }

        await _stopStreams.CancelAsync().ConfigureAwait(false);
        _stopUnary.CancelAfter(_options.ShutdownTimeout);
        await _app.StopAsync(cancellationToken).ConfigureAwait(false);
        GrpcLog.Stopped(_logger);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        if (_app is not null)
        {
            await _app.DisposeAsync().ConfigureAwait(false);
            _app = null;
        }

        // Kestrel's listening socket unlinks its socket file when it closes.
        _stopStreams.Dispose();
        _stopUnary.Dispose();
    }

    private void ConfigureEndpoint(GrpcEndpoint endpoint, ListenOptions listen)
    {
        _listeners.Add((endpoint, listen));
        var feature = new GrpcEndpointFeature(endpoint);
        listen.Use(next => connection =>
        {
            connection.Features.Set(feature);
            return next(connection);
        });
        if (endpoint.Tls is not { } tls)
        {
            listen.Protocols = HttpProtocols.Http2;
            listen.Use(Http2PrefaceGate.Create(_logger));
            return;
        }

        // HTTP/1.1 stays enabled on TLS endpoints only so that such clients get a clear 426 instead of a failed handshake.
        listen.Protocols = HttpProtocols.Http1AndHttp2;
        listen.UseHttps(new HttpsConnectionAdapterOptions
        {
            ServerCertificate = tls.ServerCertificate,
            SslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
            ClientCertificateMode = tls.ClientCertificateMode switch
            {
                GrpcClientCertificateMode.Required => ClientCertificateMode.RequireCertificate,
                GrpcClientCertificateMode.Optional => ClientCertificateMode.AllowCertificate,
                _ => ClientCertificateMode.NoCertificate,
            },
            ClientCertificateValidation = (certificate, chain, _) =>
            {
                bool trusted = ValidateClientCertificate(certificate, chain, tls.TrustedClientCertificateAuthorities);
                if (trusted)
                {
                    TrustedClientCertificates.AddOrUpdate(certificate, s_trustedMark);
                }

                // With optional certificates an untrusted one does not fail the handshake: the call then runs with
                // no caller identity and the service answers UNAUTHENTICATED, which clients can act on (a TLS alert
                // surfaces as UNAVAILABLE). Required mode still rejects it during the handshake.
                return trusted || tls.ClientCertificateMode == GrpcClientCertificateMode.Optional;
            },
        });
    }

    /// <summary>Client certificates that passed <see cref="ValidateClientCertificate"/>; only these become a call's caller.</summary>
    internal static readonly System.Runtime.CompilerServices.ConditionalWeakTable<X509Certificate2, object> TrustedClientCertificates = new();

    private static readonly object s_trustedMark = new();

    /// <summary>
    /// Builds the client's chain against the configured CAs only (never the system store) and requires the
    /// clientAuth extended key usage when the certificate restricts usage. Revocation is not checked: the
    /// appliance has no CRL or OCSP reach; revoke by removing the CA or the caller's enrolment.
    /// </summary>
    private bool ValidateClientCertificate(X509Certificate2 certificate, X509Chain? presented, IReadOnlyList<X509Certificate2> trusted)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.ApplicationPolicy.Add(s_clientAuthentication);
        foreach (X509Certificate2 ca in trusted)
        {
            chain.ChainPolicy.CustomTrustStore.Add(ca);
        }

        if (presented is not null)
        {
            foreach (X509ChainElement element in presented.ChainElements)
            {
                if (!element.Certificate.RawDataMemory.Span.SequenceEqual(certificate.RawDataMemory.Span))
                {
                    chain.ChainPolicy.ExtraStore.Add(element.Certificate);
                }
            }
        }

        if (chain.Build(certificate))
        {
            return true;
        }

        string reason = string.Join("; ", chain.ChainStatus.Select(s => s.Status.ToString()));
        GrpcLog.ClientCertificateRejected(_logger, certificate.Subject, reason.Length == 0 ? "chain did not build" : reason);
        return false;
    }

    private static void Validate(GrpcServerOptions options)
    {
        if (options.Endpoints.Count == 0)
        {
            throw new InvalidOperationException("GrpcServerOptions.Endpoints is empty: configure at least one endpoint.");
        }

        if (options.MaxReceiveMessageSize <= 0 || options.MaxSendMessageSize <= 0)
        {
            throw new InvalidOperationException("MaxReceiveMessageSize and MaxSendMessageSize must be positive.");
        }

        foreach (GrpcEndpoint endpoint in options.Endpoints)
        {
            if (endpoint.Tls is null && endpoint.IPEndPoint is { } ip && !IPAddress.IsLoopback(ip.Address))
            {
                throw new InvalidOperationException(
                    $"Refusing plaintext HTTP/2 on {ip}: without TLS the server may listen only on a loopback address or a Unix socket. Configure a server certificate for this endpoint.");
            }

            if (endpoint.Tls is { ClientCertificateMode: not GrpcClientCertificateMode.None, TrustedClientCertificateAuthorities.Count: 0 })
            {
                throw new InvalidOperationException(
                    $"Endpoint {endpoint} asks for client certificates but trusts no CA: set TrustedClientCertificateAuthorities.");
            }
        }
    }

    /// <summary>
    /// A socket file left by a process that died makes bind fail with "address in use". Replace it only when it
    /// is a dead socket: a live one means another server, and a regular file is somebody's data.
    /// </summary>
    private static void PrepareUnixSocketPath(string path)
    {
        if (!File.Exists(path))
        {
            return;
        }

        using (var probe = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified))
        {
            try
            {
                probe.Connect(new UnixDomainSocketEndPoint(path));
                throw new InvalidOperationException($"Another process is already serving on the Unix socket {path}.");
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionRefused)
            {
                // Nobody listens: a stale socket, or not a socket at all.
            }
        }

        try
        {
            // Opening a socket as a file fails (ENXIO); opening a regular file succeeds.
            using var file = new FileStream(path, FileMode.Open, FileAccess.Read);
        }
        catch (IOException)
        {
            File.Delete(path);
            return;
        }

        throw new InvalidOperationException($"{path} exists and is not a socket; refusing to replace it with the gRPC socket.");
    }
}
