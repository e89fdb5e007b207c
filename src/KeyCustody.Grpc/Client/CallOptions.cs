// SPDX-License-Identifier: Apache-2.0
namespace KeyCustody.Grpc.Client;

/// <summary>Per-call settings: deadline, request metadata, cancellation.</summary>
public readonly record struct CallOptions
{
    /// <summary>When the call must be over; sent as grpc-timeout and enforced on both sides. Null: no deadline.</summary>
    public DateTimeOffset? Deadline { get; init; }

    /// <summary>Custom request metadata, or null.</summary>
    public Metadata? Headers { get; init; }

    /// <summary>Cancels the call (the stream is reset; the call fails with CANCELLED).</summary>
    public CancellationToken CancellationToken { get; init; }

    /// <summary>Options whose deadline is <paramref name="timeout"/> from now.</summary>
    public static CallOptions WithTimeout(TimeSpan timeout, Metadata? headers = null, CancellationToken cancellationToken = default) =>
        new() { Deadline = DateTimeOffset.UtcNow + timeout, Headers = headers, CancellationToken = cancellationToken };
}
