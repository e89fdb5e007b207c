// SPDX-License-Identifier: Apache-2.0
namespace KeyCustody.Grpc;

/// <summary>
/// A call ended with a non-OK gRPC status. Thrown by the client for failed calls, and thrown by server handlers
/// to end a call with a chosen status, detail and trailers (the detail is sent to the caller as is: never put
/// secrets in it).
/// </summary>
public sealed class RpcException : Exception
{
    /// <summary>Creates an exception carrying <paramref name="statusCode"/>, <paramref name="detail"/> and optional trailers.</summary>
    public RpcException(StatusCode statusCode, string detail, Metadata? trailers = null, Exception? innerException = null)
        : base($"Status(StatusCode=\"{statusCode}\", Detail=\"{detail}\")", innerException)
    {
        StatusCode = statusCode;
        Detail = detail ?? string.Empty;
        Trailers = trailers ?? new Metadata();
    }

    /// <summary>The gRPC status code.</summary>
    public StatusCode StatusCode { get; }

    /// <summary>The human-readable status message (grpc-message), already percent-decoded.</summary>
    public string Detail { get; }

    /// <summary>
    /// Trailing metadata: on the server, sent with the status; on the client, what the server sent (custom trailers
    /// only; grpc-status and grpc-message are exposed as <see cref="StatusCode"/> and <see cref="Detail"/>).
    /// </summary>
    public Metadata Trailers { get; }
}
