// SPDX-License-Identifier: Apache-2.0
namespace KeyCustody.Core.Ports;

/// <summary>
/// A hardware monotonic counter (a TPM NV counter) that anchors the audit log against rollback: it never goes
/// backwards, not even when the disk is restored from an old copy.
/// </summary>
public interface IMonotonicCounter
{
    /// <summary>Reads the current value.</summary>
    ValueTask<ulong> ReadAsync(CancellationToken cancellationToken = default);

    /// <summary>Increments by one and returns the new value.</summary>
    ValueTask<ulong> IncrementAsync(CancellationToken cancellationToken = default);
}
