// SPDX-License-Identifier: Apache-2.0
using KeyCustody.Core;

namespace KeyCustody.Pkcs11;

/// <summary>
/// A private key on the token as PKCS#11 describes it, whoever created it (KeyCustody, pkcs11-tool, …).
/// Never carries private key bytes.
/// </summary>
/// <param name="Label">CKA_LABEL of the private key.</param>
/// <param name="Id">CKA_ID, which pairs it with its public key object.</param>
/// <param name="KeyType">The CKK_ key type, spelled "CKK_EC", "CKK_EC_EDWARDS", "CKK_RSA" or "0x…".</param>
/// <param name="Algorithm">The KeyCustody algorithm, or null for a key KeyCustody cannot use (e.g. RSA-2048).</param>
/// <param name="AlgorithmDescription">A human-readable algorithm ("ecdsa-p256", "rsa-2048", …).</param>
/// <param name="Sensitive">CKA_SENSITIVE.</param>
/// <param name="Extractable">CKA_EXTRACTABLE.</param>
/// <param name="WrapWithTrusted">CKA_WRAP_WITH_TRUSTED.</param>
/// <param name="AlwaysSensitive">CKA_ALWAYS_SENSITIVE.</param>
/// <param name="NeverExtractable">CKA_NEVER_EXTRACTABLE.</param>
/// <param name="Local">CKA_LOCAL (generated on the token).</param>
/// <param name="CanSign">CKA_SIGN.</param>
/// <param name="SubjectPublicKeyInfo">The public key, or null when no public key object pairs with it.</param>
public sealed record Pkcs11KeyDetails(
    string Label,
    ReadOnlyMemory<byte> Id,
    string KeyType,
    KeyAlgorithm? Algorithm,
    string AlgorithmDescription,
    bool Sensitive,
    bool Extractable,
    bool WrapWithTrusted,
    bool AlwaysSensitive,
    bool NeverExtractable,
    bool Local,
    bool CanSign,
    ReadOnlyMemory<byte>? SubjectPublicKeyInfo)
{
    /// <summary>The key name when the label is a valid <see cref="KeyName"/>, else null.</summary>
    public KeyName? Name => KeyName.TryParse(Label, out KeyName name) ? name : null;

    /// <summary>True when the key can be wrapped for backup (extractable, and only under a trusted key).</summary>
    public bool BackupCapable => Extractable && WrapWithTrusted;

    /// <summary>The CKA_ID in lower-case hex.</summary>
    public string IdHex => Convert.ToHexString(Id.Span).ToLowerInvariant();
}

/// <summary>
/// A private key wrapped for backup (CKM_AES_KEY_WRAP_PAD, RFC 5649, under a trusted AES wrap key), with what
/// is needed to restore it: its name, type, CKA_ID and public key.
/// </summary>
/// <param name="Name">The key's name.</param>
/// <param name="Algorithm">The key type.</param>
/// <param name="KeyId">The key's CKA_ID.</param>
/// <param name="SubjectPublicKeyInfo">The public key (restored as the public object, and used to prove the unwrapped key).</param>
/// <param name="WrappedPrivateKey">The private key encrypted under the wrap key.</param>
/// <param name="WrapKeyLabel">The label of the trusted wrap key it was wrapped under.</param>
public sealed record WrappedKey(
    KeyName Name,
    KeyAlgorithm Algorithm,
    ReadOnlyMemory<byte> KeyId,
    ReadOnlyMemory<byte> SubjectPublicKeyInfo,
    ReadOnlyMemory<byte> WrappedPrivateKey,
    string WrapKeyLabel)
{
    /// <summary>Does not print the wrapped bytes.</summary>
    public override string ToString() =>
        $"WrappedKey {{ Name = {Name}, Algorithm = {Algorithms.Name(Algorithm)}, WrapKeyLabel = {WrapKeyLabel}, {WrappedPrivateKey.Length} bytes }}";
}
