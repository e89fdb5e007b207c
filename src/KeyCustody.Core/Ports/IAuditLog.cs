// SPDX-License-Identifier: Apache-2.0
namespace KeyCustody.Core.Ports;

/// <summary>Where an appended entry landed.</summary>
/// <param name="Index">The entry's leaf index (0-based).</param>
/// <param name="TreeSize">The size of the tree once the entry was durable.</param>
public readonly record struct AuditAppendResult(long Index, long TreeSize);

/// <summary>
/// The append-only audit log. <see cref="AppendAsync"/> returns only after the entry is durable (fsync);
/// when it cannot be made durable it throws <see cref="CustodyStatus.AuditUnavailable"/> and the operation
/// being recorded must not happen (fail closed).
/// </summary>
public interface IAuditLog
{
    /// <summary>Appends one entry (UTF-8 JSON, stored and hashed byte-exact) and waits until it is durable.</summary>
    ValueTask<AuditAppendResult> AppendAsync(ReadOnlyMemory<byte> entry, CancellationToken cancellationToken = default);

    /// <summary>The number of durable entries.</summary>
    long Size { get; }
}
