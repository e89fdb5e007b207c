// SPDX-License-Identifier: Apache-2.0
using System.Security.Cryptography;
using KeyCustody.Core;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Crypto.Signers;

namespace KeyCustody.Governance;

/// <summary>The SSHSIG namespaces KeyCustody accepts; each binds a signature to one purpose.</summary>
public static class SshNamespaces
{
    /// <summary>Officers approving or denying a signing request.</summary>
    public const string Approval = "keycustody-approval";

    /// <summary>Custodians endorsing a ceremony.</summary>
    public const string Ceremony = "keycustody-ceremony";
}

/// <summary>A signature that verified, with what the verifier learned.</summary>
/// <param name="Signature">The parsed signature; <see cref="SshSignature.PublicKey"/> is the proven signer.</param>
/// <param name="SecurityKeyFlags">For security keys, the FIDO flags byte (user presence is bit 0x01); otherwise null.</param>
/// <param name="SecurityKeyCounter">For security keys, the authenticator's signature counter; otherwise null.</param>
public sealed record VerifiedSshSignature(SshSignature Signature, byte? SecurityKeyFlags, uint? SecurityKeyCounter)
{
    /// <summary>The key that made the signature.</summary>
    public SshPublicKey Signer => Signature.PublicKey;
}

/// <summary>
/// Verifies SSHSIG signatures (OpenSSH PROTOCOL.sshsig) made by ssh-ed25519, ecdsa-sha2-nistp256 and their FIDO
/// security key variants (PROTOCOL.u2f). A security key signature must carry the user-presence flag.
/// This proves only that the embedded key signed the message; whether that key is enrolled is the roster's call.
/// </summary>
public static class SshSignatureVerifier
{
    /// <summary>FIDO "user present" flag (CTAP2 authenticator data flags, bit 0).</summary>
    public const byte UserPresentFlag = 0x01;

    // CTAP2 "extension data included" flag: no extensions are defined for SSH, so a signature claiming them
    // cannot be checked and is refused.
    private const byte ExtensionDataFlag = 0x80;

    /// <summary>
    /// Verifies <paramref name="armoredSignature"/> over <paramref name="message"/> for <paramref name="expectedNamespace"/>.
    /// Throws <see cref="CustodyException"/>: InvalidArgument when the signature cannot be parsed, Unauthenticated
    /// when it does not verify (wrong namespace, wrong message, tampered, missing user presence).
    /// </summary>
    public static VerifiedSshSignature Verify(ReadOnlySpan<byte> message, string armoredSignature, string expectedNamespace)
    {
        ArgumentException.ThrowIfNullOrEmpty(expectedNamespace);
        SshSignature signature = SshSignature.ParseArmored(armoredSignature);
        return Verify(message, signature, expectedNamespace);
    }

    /// <summary>Verifies an already parsed signature; see <see cref="Verify(ReadOnlySpan{byte}, string, string)"/>.</summary>
    public static VerifiedSshSignature Verify(ReadOnlySpan<byte> message, SshSignature signature, string expectedNamespace)
    {
        ArgumentNullException.ThrowIfNull(signature);
        ArgumentException.ThrowIfNullOrEmpty(expectedNamespace);
        if (!string.Equals(signature.Namespace, expectedNamespace, StringComparison.Ordinal))
        {
            throw Fail($"the signature was made for namespace '{signature.Namespace}', expected '{expectedNamespace}' (sign with -n {expectedNamespace})");
        }

        byte[] signedData = signature.SignedData(message);
        try
        {
            var reader = new SshWireReader(signature.SignatureBlob.Span);
            string signatureType = reader.ReadAsciiString();
            SshPublicKey key = signature.PublicKey;
            if (signatureType != key.TypeName)
            {
                throw Fail($"signature type '{signatureType}' does not match key type '{key.TypeName}'");
            }

            ReadOnlySpan<byte> inner = reader.ReadString();
            byte? flags = null;
            uint? counter = null;
            byte[] data = signedData;
            if (SshKeyTypes.IsSecurityKey(key.KeyType))
            {
                flags = reader.ReadByte();
                counter = reader.ReadUInt32();
                reader.EnsureEnd("security key signature");
                if ((flags.Value & ExtensionDataFlag) != 0)
                {
                    throw Fail("the security key signature claims extension data, which SSH does not define");
                }

                // PROTOCOL.u2f: the authenticator signs SHA256(application) ‖ flags ‖ counter ‖ SHA256(message).
                data = new SshWireWriter()
                    .WriteRaw(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(key.Application!)))
                    .WriteByte(flags.Value)
                    .WriteUInt32(counter.Value)
                    .WriteRaw(SHA256.HashData(signedData))
                    .ToArray();
            }
            else
            {
                reader.EnsureEnd("signature");
            }

            bool valid = key.KeyType switch
            {
                SshKeyType.Ed25519 or SshKeyType.SkEd25519 => VerifyEd25519(key, data, inner),
                _ => VerifyEcdsaP256(key, data, inner),
            };
            if (!valid)
            {
                throw Fail($"the signature by {key.Fingerprint} does not match the message");
            }

            // Checked after the cryptography so an unverified flags byte never decides anything.
            if (flags is byte f && (f & UserPresentFlag) == 0)
            {
                throw Fail($"the security key signature by {key.Fingerprint} lacks the user-presence flag (touch the key when signing)");
            }

            return new VerifiedSshSignature(signature, flags, counter);
        }
        catch (SshFormatException e)
        {
            throw Fail($"malformed signature structure: {e.Message}");
        }
    }

    private static bool VerifyEd25519(SshPublicKey key, byte[] data, ReadOnlySpan<byte> signature)
    {
        if (signature.Length != 64)
        {
            return false;
        }

        var verifier = new Ed25519Signer();
        verifier.Init(false, new Ed25519PublicKeyParameters(key.KeyData, 0));
        verifier.BlockUpdate(data, 0, data.Length);
        return verifier.VerifySignature(signature.ToArray());
    }

    private static bool VerifyEcdsaP256(SshPublicKey key, byte[] data, ReadOnlySpan<byte> signature)
    {
        // RFC 5656 §3.1.2: the signature is mpint r ‖ mpint s; .NET wants fixed-width r ‖ s (IEEE P1363).
        var reader = new SshWireReader(signature);
        byte[] r = reader.ReadPositiveMpint(32);
        byte[] s = reader.ReadPositiveMpint(32);
        reader.EnsureEnd("ECDSA signature");
        byte[] p1363 = [.. r, .. s];
        using ECDsa ecdsa = key.CreateEcdsa();
        return ecdsa.VerifyData(data, p1363, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
    }

    private static CustodyException Fail(string reason) =>
        new(CustodyStatus.Unauthenticated, $"SSH signature rejected: {reason}.");
}
