// SPDX-License-Identifier: Apache-2.0
namespace KeyCustody.Grpc;

/// <summary>How a call reached the server.</summary>
public enum GrpcTransportKind
{
    /// <summary>Plaintext HTTP/2 (h2c) over loopback TCP.</summary>
    Tcp,
    /// <summary>HTTP/2 over TLS (ALPN h2) over TCP.</summary>
    Tls,
    /// <summary>Plaintext HTTP/2 over a Unix domain socket.</summary>
    UnixSocket,
}

/// <summary>Everything a server handler knows about the call besides its request message.</summary>
public sealed class ServerCallContext
{
    internal ServerCallContext(
        string method,
        Metadata requestHeaders,
        DateTimeOffset? deadline,
        CancellationToken cancellationToken,
        CallerIdentity? caller,
        string peer,
        GrpcTransportKind transport,
        bool isLocal)
    {
        Method = method;
        RequestHeaders = requestHeaders;
        Deadline = deadline;
        CancellationToken = cancellationToken;
        Caller = caller;
        Peer = peer;
        Transport = transport;
        IsLocal = isLocal;
    }

    /// <summary>
    /// Creates a context outside a server, for unit tests of handlers (the server builds its own for real calls).
    /// </summary>
    public static ServerCallContext Create(
        string method,
        Metadata? requestHeaders = null,
        DateTimeOffset? deadline = null,
        CancellationToken cancellationToken = default,
        CallerIdentity? caller = null,
        string peer = "unix:test",
        GrpcTransportKind transport = GrpcTransportKind.UnixSocket) =>
        new(method, requestHeaders ?? new Metadata(), deadline, cancellationToken, caller, peer, transport,
            transport == GrpcTransportKind.UnixSocket || peer.StartsWith("ipv4:127.", StringComparison.Ordinal) || peer.StartsWith("ipv6:[::1]", StringComparison.Ordinal));

    /// <summary>The full method name, e.g. "/keycustody.v1.SigningService/Sign".</summary>
    public string Method { get; }

    /// <summary>Custom request metadata (reserved protocol headers such as grpc-timeout are not included).</summary>
    public Metadata RequestHeaders { get; }

    /// <summary>Custom trailers to send with the status; handlers add to it before returning.</summary>
    public Metadata ResponseTrailers { get; } = new();

    /// <summary>When the call's deadline (from grpc-timeout) expires, or null when the client set none.</summary>
    public DateTimeOffset? Deadline { get; }

    /// <summary>Cancelled when the deadline passes, the client resets the stream, or the server stops.</summary>
    public CancellationToken CancellationToken { get; }

    /// <summary>The caller's validated TLS client certificate identity, or null when none was presented.</summary>
    public CallerIdentity? Caller { get; }

    /// <summary>The peer address in gRPC's form: "ipv4:127.0.0.1:50123", "ipv6:[::1]:50123" or "unix:PATH".</summary>
    public string Peer { get; }

    /// <summary>The transport the call arrived on.</summary>
    public GrpcTransportKind Transport { get; }

    /// <summary>True for a Unix socket or a loopback TCP peer.</summary>
    public bool IsLocal { get; }
}
