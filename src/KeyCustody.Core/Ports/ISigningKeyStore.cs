// SPDX-License-Identifier: Apache-2.0
namespace KeyCustody.Core.Ports;

/// <summary>What to generate: the key's name, type and whether it may ever leave the device wrapped for backup.</summary>
/// <param name="Name">The key's name (the HSM label is derived from it).</param>
/// <param name="Algorithm">The key type.</param>
/// <param name="BackupCapable">When true the private key is extractable only under a trusted wrap key.</param>
public sealed record KeySpec(KeyName Name, KeyAlgorithm Algorithm, bool BackupCapable = false);

/// <summary>A key as the store sees it. Never carries private key bytes.</summary>
/// <param name="Name">The key's name.</param>
/// <param name="Algorithm">The key type.</param>
/// <param name="KeyId">The key's identifier inside the device (PKCS#11 <c>CKA_ID</c>).</param>
/// <param name="SubjectPublicKeyInfo">The public key, DER-encoded SubjectPublicKeyInfo.</param>
/// <param name="BackupCapable">True when the private key can be wrapped for backup.</param>
public sealed record KeyInfo(
    KeyName Name,
    KeyAlgorithm Algorithm,
    ReadOnlyMemory<byte> KeyId,
    ReadOnlyMemory<byte> SubjectPublicKeyInfo,
    bool BackupCapable);

/// <summary>
/// What to sign. For ECDSA and RSA <paramref name="Data"/> is the digest of the artifact made with
/// <paramref name="DigestAlgorithm"/>; for Ed25519 it is the (short) message itself.
/// </summary>
/// <param name="Data">The digest (or the Ed25519 message).</param>
/// <param name="DigestAlgorithm">The digest algorithm used to make <paramref name="Data"/>; ignored for Ed25519.</param>
/// <param name="Scheme">The signature scheme and encoding wanted.</param>
public sealed record SignInput(ReadOnlyMemory<byte> Data, DigestAlgorithm DigestAlgorithm, SignatureScheme Scheme);

/// <summary>
/// The HSM port: signing keys live inside the device and never leave it in clear.
/// Implementations verify every signature against the public key before returning it; a signature that does
/// not verify is a <see cref="CustodyStatus.DeviceFault"/>, never output.
/// </summary>
public interface ISigningKeyStore
{
    /// <summary>Generates a key pair inside the device. AlreadyExists when the name is taken.</summary>
    ValueTask<KeyInfo> GenerateKeyAsync(KeySpec spec, CancellationToken cancellationToken = default);

    /// <summary>Finds a key by name, or null.</summary>
    ValueTask<KeyInfo?> FindKeyAsync(KeyName name, CancellationToken cancellationToken = default);

    /// <summary>Lists every signing key the store holds.</summary>
    ValueTask<IReadOnlyList<KeyInfo>> ListKeysAsync(CancellationToken cancellationToken = default);

    /// <summary>Signs <paramref name="input"/> with the named key and returns the verified signature.</summary>
    ValueTask<byte[]> SignAsync(KeyName name, SignInput input, CancellationToken cancellationToken = default);

    /// <summary>Destroys both halves of the named key. NotFound when absent.</summary>
    ValueTask DestroyKeyAsync(KeyName name, CancellationToken cancellationToken = default);
}
