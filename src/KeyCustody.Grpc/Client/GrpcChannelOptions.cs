// SPDX-License-Identifier: Apache-2.0
using System.Security.Cryptography.X509Certificates;
using KeyCustody.Grpc.Internal;

namespace KeyCustody.Grpc.Client;

/// <summary>Settings of a <see cref="GrpcChannel"/>.</summary>
public sealed class GrpcChannelOptions
{
    /// <summary>
    /// For https: accept exactly this server certificate (compared byte for byte), whatever its name or issuer.
    /// Takes precedence over <see cref="TrustedCertificateAuthorities"/>.
    /// </summary>
    public X509Certificate2? PinnedServerCertificate { get; init; }

    /// <summary>
    /// For https: the CAs the server certificate must chain to (the system store is not used when this is set);
    /// the host name must still match. With neither this nor a pin, the system trust store validates.
    /// </summary>
    public IReadOnlyList<X509Certificate2> TrustedCertificateAuthorities { get; init; } = [];

    /// <summary>For https: the client certificate (with private key) to present, or null.</summary>
    public X509Certificate2? ClientCertificate { get; init; }

    /// <summary>Largest response message accepted (after decompression); larger fails with RESOURCE_EXHAUSTED. Default 4 MiB.</summary>
    public int MaxReceiveMessageSize { get; init; } = GrpcProtocol.DefaultMaxMessageSize;

    /// <summary>Largest request message sent; larger fails with RESOURCE_EXHAUSTED before anything is sent. Default 4 MiB.</summary>
    public int MaxSendMessageSize { get; init; } = GrpcProtocol.DefaultMaxMessageSize;

    /// <summary>Compress request messages with gzip (grpc-encoding: gzip). Default false.</summary>
    public bool CompressRequests { get; init; }

    /// <summary>How long establishing a connection (TCP and TLS) may take. Default 15 s.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(15);
}
