// SPDX-License-Identifier: Apache-2.0
using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using KeyCustody.Core;

namespace KeyCustody.Governance;

/// <summary>
/// A parsed (not yet verified) armored SSH signature as <c>ssh-keygen -Y sign</c> writes it.
/// Format: OpenSSH PROTOCOL.sshsig §1–2, https://github.com/openssh/openssh-portable/blob/master/PROTOCOL.sshsig
/// </summary>
public sealed class SshSignature
{
    /// <summary>The armor header line.</summary>
    public const string BeginMarker = "-----BEGIN SSH SIGNATURE-----";

    /// <summary>The armor footer line.</summary>
    public const string EndMarker = "-----END SSH SIGNATURE-----";

    internal static ReadOnlySpan<byte> Magic => "SSHSIG"u8;

    private const uint SupportedVersion = 1;

    private SshSignature(SshPublicKey publicKey, string ns, byte[] reserved, string hashAlgorithm, byte[] signatureBlob, byte[] rawBlob)
    {
        PublicKey = publicKey;
        Namespace = ns;
        Reserved = reserved;
        HashAlgorithm = hashAlgorithm;
        SignatureBlob = signatureBlob;
        BlobSha256 = Convert.ToHexStringLower(SHA256.HashData(rawBlob));
    }

    /// <summary>The key that claims to have made the signature (verify before trusting it).</summary>
    public SshPublicKey PublicKey { get; }

    /// <summary>The namespace the signer chose with <c>-n</c>.</summary>
    public string Namespace { get; }

    /// <summary>The reserved field (ignored, but covered by the signature).</summary>
    public ReadOnlyMemory<byte> Reserved { get; }

    /// <summary>"sha256" or "sha512": how the message was hashed before signing.</summary>
    public string HashAlgorithm { get; }

    /// <summary>The SSH signature structure (type name, signature, and for security keys flags and counter).</summary>
    public ReadOnlyMemory<byte> SignatureBlob { get; }

    /// <summary>Lower-case hex SHA-256 of the whole decoded SSHSIG blob: a stable identity for replay detection.</summary>
    public string BlobSha256 { get; }

    /// <summary>Parses an armored signature; throws InvalidArgument naming what is malformed.</summary>
    public static SshSignature ParseArmored(string armored) =>
        TryParseArmored(armored, out SshSignature? signature, out string? error)
            ? signature
            : throw new CustodyException(CustodyStatus.InvalidArgument, $"Not a valid SSH signature: {error}");

    /// <summary>Parses an armored signature, or returns false with a reason.</summary>
    public static bool TryParseArmored(string? armored, [NotNullWhen(true)] out SshSignature? signature, [NotNullWhen(false)] out string? error)
    {
        signature = null;
        if (!TryDearmor(armored, out byte[]? blob, out error))
        {
            return false;
        }

        return TryParseBlob(blob, out signature, out error);
    }

    /// <summary>Parses the binary SSHSIG blob (the armored body after base64 decoding).</summary>
    public static bool TryParseBlob(ReadOnlySpan<byte> blob, [NotNullWhen(true)] out SshSignature? signature, [NotNullWhen(false)] out string? error)
    {
        signature = null;
        try
        {
            var reader = new SshWireReader(blob);
            if (reader.Remaining < Magic.Length || !reader.ReadBytes(Magic.Length).SequenceEqual(Magic))
            {
                error = "the blob does not start with the SSHSIG magic";
                return false;
            }

            uint version = reader.ReadUInt32();
            if (version != SupportedVersion)
            {
                error = $"SSHSIG version {version} is not supported (only version 1)";
                return false;
            }

            ReadOnlySpan<byte> publicKeyBlob = reader.ReadString();
            string ns = reader.ReadAsciiString();
            byte[] reserved = reader.ReadString().ToArray();
            string hashAlgorithm = reader.ReadAsciiString();
            byte[] signatureBlob = reader.ReadString().ToArray();
            reader.EnsureEnd("signature");

            if (ns.Length == 0)
            {
                error = "the namespace is empty";
                return false;
            }

            if (hashAlgorithm is not ("sha256" or "sha512"))
            {
                error = $"hash algorithm '{hashAlgorithm}' is not supported (sha256 or sha512)";
                return false;
            }

            if (!SshPublicKey.TryFromBlob(publicKeyBlob, null, out SshPublicKey? publicKey, out string? keyError))
            {
                error = $"signer key: {keyError}";
                return false;
            }

            signature = new SshSignature(publicKey, ns, reserved, hashAlgorithm, signatureBlob, blob.ToArray());
            error = null;
            return true;
        }
        catch (SshFormatException e)
        {
            error = $"malformed SSHSIG blob: {e.Message}";
            return false;
        }
    }

    /// <summary>
    /// The bytes the signer's key signed (PROTOCOL.sshsig §3):
    /// "SSHSIG" ‖ string(namespace) ‖ string(reserved) ‖ string(hash_algorithm) ‖ string(H(message)).
    /// </summary>
    internal byte[] SignedData(ReadOnlySpan<byte> message)
    {
        byte[] hash = HashAlgorithm == "sha256" ? SHA256.HashData(message) : SHA512.HashData(message);
        return new SshWireWriter()
            .WriteRaw(Magic)
            .WriteString(Namespace)
            .WriteString(Reserved.Span)
            .WriteString(HashAlgorithm)
            .WriteString(hash)
            .ToArray();
    }

    private static bool TryDearmor(string? armored, [NotNullWhen(true)] out byte[]? blob, [NotNullWhen(false)] out string? error)
    {
        blob = null;
        string text = (armored ?? string.Empty).Replace("\r\n", "\n", StringComparison.Ordinal).Trim();
        if (!text.StartsWith(BeginMarker + "\n", StringComparison.Ordinal))
        {
            error = $"expected it to start with '{BeginMarker}'";
            return false;
        }

        if (!text.EndsWith("\n" + EndMarker, StringComparison.Ordinal))
        {
            error = $"expected it to end with '{EndMarker}'";
            return false;
        }

        string body = text[(BeginMarker.Length + 1)..^(EndMarker.Length + 1)];
        var base64 = new System.Text.StringBuilder(body.Length);
        foreach (string line in body.Split('\n'))
        {
            base64.Append(line.Trim());
        }

        try
        {
            blob = Convert.FromBase64String(base64.ToString());
        }
        catch (FormatException)
        {
            error = "the armored body is not valid base64";
            return false;
        }

        error = null;
        return true;
    }
}
