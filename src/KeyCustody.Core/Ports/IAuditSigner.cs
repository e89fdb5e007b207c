// SPDX-License-Identifier: Apache-2.0
namespace KeyCustody.Core.Ports;

/// <summary>
/// The appliance's audit key: an ECDSA P-256 key that signs log checkpoints. In production it lives in the TPM
/// and cannot be exported; unit tests use a software key.
/// </summary>
public interface IAuditSigner
{
    /// <summary>The public key, DER-encoded SubjectPublicKeyInfo.</summary>
    ReadOnlyMemory<byte> SubjectPublicKeyInfo { get; }

    /// <summary>Signs a SHA-256 digest and returns a DER-encoded ECDSA signature.</summary>
    ValueTask<byte[]> SignDigestAsync(ReadOnlyMemory<byte> sha256Digest, CancellationToken cancellationToken = default);
}
