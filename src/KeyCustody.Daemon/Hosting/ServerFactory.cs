// SPDX-License-Identifier: Apache-2.0
using System.Net;
using System.Security.Cryptography.X509Certificates;
using KeyCustody.Core;
using KeyCustody.Daemon.Options;
using KeyCustody.Grpc;
using Microsoft.Extensions.Logging;

namespace KeyCustody.Daemon.Hosting;

/// <summary>Builds the gRPC server's endpoints from <see cref="ListenOptions"/>.</summary>
internal static class ServerFactory
{
    /// <summary>The server options: a TLS endpoint with optional client certificates (CI callers present one; officers need not) and/or a Unix socket.</summary>
    public static GrpcServerOptions Create(ListenOptions listen, ILoggerFactory loggerFactory)
    {
        var options = new GrpcServerOptions
        {
            MaxReceiveMessageSize = listen.MaxMessageBytes,
            MaxSendMessageSize = listen.MaxMessageBytes,
            LoggerFactory = loggerFactory,
            ShutdownTimeout = TimeSpan.FromSeconds(5),
        };
        if (listen.Tcp is { } tcp)
        {
            X509Certificate2 server;
            X509Certificate2Collection clientCas = [];
            try
            {
                server = X509Certificate2.CreateFromPemFile(tcp.CertificatePem, tcp.PrivateKeyPem);
                clientCas.ImportFromPemFile(tcp.ClientCaPem);
            }
            catch (Exception ex) when (ex is System.Security.Cryptography.CryptographicException or IOException)
            {
                throw new CustodyException(CustodyStatus.NotProvisioned,
                    $"The TLS material in {tcp.CertificatePem} / {tcp.PrivateKeyPem} / {tcp.ClientCaPem} cannot be loaded: {ex.Message}");
            }

            if (clientCas.Count == 0)
            {
                throw new CustodyException(CustodyStatus.NotProvisioned, $"{tcp.ClientCaPem} holds no CA certificate.");
            }

            var tls = new GrpcTlsOptions(server)
            {
                // Optional at the TLS layer: officers authenticate by SSH signatures and may come without a
                // certificate; the signing handlers refuse callers without a verified one (UNAUTHENTICATED).
                ClientCertificateMode = GrpcClientCertificateMode.Optional,
                TrustedClientCertificateAuthorities = [.. clientCas],
            };
            options.Endpoints.Add(GrpcEndpoint.Tcp(new IPEndPoint(IPAddress.Parse(tcp.Address), tcp.Port), tls));
        }

        if (listen.UnixSocket is { } socket)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(socket)!);
            if (File.Exists(socket))
            {
                // A socket left by a daemon that did not stop cleanly; binding would fail with EADDRINUSE.
                File.Delete(socket);
            }

            options.Endpoints.Add(GrpcEndpoint.UnixSocket(socket));
        }

        return options;
    }
}
