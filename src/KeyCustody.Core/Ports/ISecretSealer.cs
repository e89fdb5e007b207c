// SPDX-License-Identifier: Apache-2.0
namespace KeyCustody.Core.Ports;

/// <summary>
/// The TPM sealing port: a secret (the HSM user PIN) bound to the measured boot state.
/// Unsealing after a policy PCR changed fails with <see cref="CustodyStatus.BootStateChanged"/>; there is no fallback.
/// Secrets never appear in exceptions or logs.
/// </summary>
public interface ISecretSealer
{
    /// <summary>Seals <paramref name="secret"/> under the configured PCR policy at <paramref name="name"/>, replacing any previous one.</summary>
    ValueTask SealAsync(string name, ReadOnlyMemory<byte> secret, CancellationToken cancellationToken = default);

    /// <summary>Unseals the secret stored at <paramref name="name"/>.</summary>
    ValueTask<byte[]> UnsealAsync(string name, CancellationToken cancellationToken = default);

    /// <summary>True when a sealed object exists at <paramref name="name"/>.</summary>
    ValueTask<bool> ExistsAsync(string name, CancellationToken cancellationToken = default);
}
