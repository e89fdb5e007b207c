// SPDX-License-Identifier: Apache-2.0
using System.Net;
using KeyCustody.Grpc.Client;
using KeyCustody.Grpc.Health;
using KeyCustody.Testing;
using Microsoft.Extensions.Logging;
using Xunit;

namespace KeyCustody.Grpc.Tests.Infrastructure;

/// <summary>
/// A running <see cref="GrpcServer"/> with the echo and health services on four endpoints: loopback h2c, TLS with
/// an optional client certificate, TLS with a required one, and a Unix socket. One per test class (xunit class
/// fixture), on OS-assigned ports and a private temp folder.
/// </summary>
public sealed class TestGrpcServer : IAsyncLifetime
{
    public const int MaxMessageSize = 64 * 1024;

    private readonly TempDirectory _dir = new("keycustody-grpc-server");
    private GrpcServer? _server;

    public TestPki Pki { get; } = new();

    public EchoTestService Echo { get; } = new();

    public HealthService Health { get; } = new();

    public CapturingLoggerProvider Logs { get; } = new();

    public string H2cAddress { get; private set; } = string.Empty;

    public int H2cPort { get; private set; }

    public string TlsAddress { get; private set; } = string.Empty;

    public int TlsPort { get; private set; }

    public string MutualTlsAddress { get; private set; } = string.Empty;

    public int MutualTlsPort { get; private set; }

    public string UnixAddress { get; private set; } = string.Empty;

    public string UnixSocketPath => _dir.File("grpc.sock");

    /// <summary>Requests the server is still processing.</summary>
    public int ActiveRequests => _server?.ActiveRequests ?? 0;

    public async Task InitializeAsync()
    {
        var registry = new GrpcServiceRegistry();
        Echo.AddTo(registry);
        Health.AddTo(registry);
        var options = new GrpcServerOptions
        {
            MaxReceiveMessageSize = MaxMessageSize,
            MaxSendMessageSize = MaxMessageSize,
            LoggerFactory = LoggerFactory.Create(b => b.AddProvider(Logs).SetMinimumLevel(LogLevel.Debug)),
            // Everything, so the log-hygiene test also covers what Kestrel would write.
            FrameworkLogLevel = LogLevel.Debug,
        };
        options.Endpoints.Add(GrpcEndpoint.Tcp(new IPEndPoint(IPAddress.Loopback, 0)));
        options.Endpoints.Add(GrpcEndpoint.Tcp(new IPEndPoint(IPAddress.Loopback, 0), new GrpcTlsOptions(Pki.Server)
        {
            ClientCertificateMode = GrpcClientCertificateMode.Optional,
            TrustedClientCertificateAuthorities = [Pki.Ca],
        }));
        options.Endpoints.Add(GrpcEndpoint.Tcp(new IPEndPoint(IPAddress.Loopback, 0), new GrpcTlsOptions(Pki.Server)
        {
            ClientCertificateMode = GrpcClientCertificateMode.Required,
            TrustedClientCertificateAuthorities = [Pki.Ca],
        }));
        options.Endpoints.Add(GrpcEndpoint.UnixSocket(UnixSocketPath));
        _server = new GrpcServer(options, registry);
        await _server.StartAsync();

        H2cAddress = _server.BoundEndpoints[0].Address;
        H2cPort = _server.BoundEndpoints[0].Port;
        TlsAddress = _server.BoundEndpoints[1].Address;
        TlsPort = _server.BoundEndpoints[1].Port;
        MutualTlsAddress = _server.BoundEndpoints[2].Address;
        MutualTlsPort = _server.BoundEndpoints[2].Port;
        UnixAddress = _server.BoundEndpoints[3].Address;
    }

    /// <summary>A channel for one of the transports: "h2c", "tls" (server-auth only), "mtls" (client cert) or "unix".</summary>
    public GrpcChannel CreateChannel(string transport, GrpcChannelOptions? template = null)
    {
        int maxReceive = template?.MaxReceiveMessageSize ?? MaxMessageSize * 4;
        int maxSend = template?.MaxSendMessageSize ?? MaxMessageSize * 4;
        bool compress = template?.CompressRequests ?? false;
        return transport switch
        {
            "h2c" => GrpcChannel.ForAddress(H2cAddress, new GrpcChannelOptions { MaxReceiveMessageSize = maxReceive, MaxSendMessageSize = maxSend, CompressRequests = compress }),
            "unix" => GrpcChannel.ForAddress(UnixAddress, new GrpcChannelOptions { MaxReceiveMessageSize = maxReceive, MaxSendMessageSize = maxSend, CompressRequests = compress }),
            "tls" => GrpcChannel.ForAddress(TlsAddress, new GrpcChannelOptions
            {
                TrustedCertificateAuthorities = [Pki.Ca],
                MaxReceiveMessageSize = maxReceive,
                MaxSendMessageSize = maxSend,
                CompressRequests = compress,
            }),
            "mtls" => GrpcChannel.ForAddress(MutualTlsAddress, new GrpcChannelOptions
            {
                TrustedCertificateAuthorities = [Pki.Ca],
                ClientCertificate = Pki.Client,
                MaxReceiveMessageSize = maxReceive,
                MaxSendMessageSize = maxSend,
                CompressRequests = compress,
            }),
            _ => throw new ArgumentOutOfRangeException(nameof(transport), transport, "unknown transport"),
        };
    }

    public async Task DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }

        Pki.Dispose();
        _dir.Dispose();
    }
}
