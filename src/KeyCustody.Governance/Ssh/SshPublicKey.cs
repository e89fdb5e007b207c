// SPDX-License-Identifier: Apache-2.0
using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using KeyCustody.Core;

namespace KeyCustody.Governance;

/// <summary>
/// An enrolled SSH public key: its type, its wire encoding (the "blob" that authorized_keys carries in base64),
/// and its SHA-256 fingerprint as <c>ssh-keygen -l</c> prints it. Two keys are equal when their blobs are
/// equal; the comment is informational only.
/// </summary>
public sealed class SshPublicKey : IEquatable<SshPublicKey>
{
    private readonly byte[] _blob;

    private SshPublicKey(SshKeyType keyType, byte[] blob, byte[] keyData, string? application, string? comment)
    {
        KeyType = keyType;
        _blob = blob;
        KeyData = keyData;
        Application = application;
        Comment = comment;
        Fingerprint = "SHA256:" + Convert.ToBase64String(SHA256.HashData(blob)).TrimEnd('=');
    }

    /// <summary>The key type.</summary>
    public SshKeyType KeyType { get; }

    /// <summary>The wire name, e.g. <c>ssh-ed25519</c>.</summary>
    public string TypeName => SshKeyTypes.Name(KeyType);

    /// <summary>The key's wire encoding (RFC 4253 §6.6 and its extensions).</summary>
    public ReadOnlyMemory<byte> Blob => _blob;

    /// <summary>"SHA256:" and the unpadded base64 SHA-256 of <see cref="Blob"/>, exactly as <c>ssh-keygen -l</c> shows it.</summary>
    public string Fingerprint { get; }

    /// <summary>For security keys, the FIDO application string (usually "ssh:"); otherwise null.</summary>
    public string? Application { get; }

    /// <summary>The comment from the authorized_keys line, if any.</summary>
    public string? Comment { get; }

    /// <summary>The raw key: the 65-byte uncompressed P-256 point, or the 32-byte Ed25519 public key.</summary>
    internal byte[] KeyData { get; }

    /// <summary>
    /// Parses one authorized_keys-style line: <c>[options] type base64 [comment]</c>. Throws
    /// <see cref="CustodyException"/> with <see cref="CustodyStatus.InvalidArgument"/> naming what is wrong.
    /// </summary>
    public static SshPublicKey Parse(string authorizedKeysLine) =>
        TryParse(authorizedKeysLine, out SshPublicKey? key, out string? error)
            ? key
            : throw new CustodyException(CustodyStatus.InvalidArgument, $"Not a usable SSH public key: {error}");

    /// <summary>Parses one authorized_keys-style line, or returns false with a reason.</summary>
    public static bool TryParse(string? authorizedKeysLine, [NotNullWhen(true)] out SshPublicKey? key, [NotNullWhen(false)] out string? error)
    {
        key = null;
        string line = (authorizedKeysLine ?? string.Empty).Trim();
        if (line.Length == 0 || line[0] == '#')
        {
            error = "the line is empty";
            return false;
        }

        if (line.Contains('\n') || line.Contains('\r'))
        {
            error = "expected a single line";
            return false;
        }

        // authorized_keys(5): an optional options field comes first; it may contain quoted spaces.
        // The key type is the first field that names a known type, so skip the options field when the
        // first token is not a type.
        List<string> fields = SplitFields(line);
        int typeIndex = 0;
        if (!SshKeyTypes.TryParse(fields[0], out _) && fields.Count > 1 && LooksLikeKeyType(fields[1]))
        {
            typeIndex = 1;
        }

        if (fields.Count < typeIndex + 2)
        {
            error = "expected '<type> <base64 key> [comment]'";
            return false;
        }

        string typeName = fields[typeIndex];
        if (!SshKeyTypes.TryParse(typeName, out SshKeyType declared))
        {
            error = $"key type '{typeName}' is not supported (use {SshKeyTypes.Supported})";
            return false;
        }

        byte[] blob;
        try
        {
            blob = Convert.FromBase64String(fields[typeIndex + 1]);
        }
        catch (FormatException)
        {
            error = "the key field is not valid base64";
            return false;
        }

        string? comment = fields.Count > typeIndex + 2 ? string.Join(' ', fields.Skip(typeIndex + 2)) : null;
        if (!TryFromBlob(blob, comment, out key, out error))
        {
            return false;
        }

        if (key.KeyType != declared)
        {
            error = $"the line says '{typeName}' but the encoded key is '{key.TypeName}'";
            key = null;
            return false;
        }

        return true;
    }

    /// <summary>Decodes a key from its wire encoding (as found inside an SSHSIG). Throws InvalidArgument when malformed.</summary>
    public static SshPublicKey FromBlob(ReadOnlySpan<byte> blob, string? comment = null) =>
        TryFromBlob(blob, comment, out SshPublicKey? key, out string? error)
            ? key
            : throw new CustodyException(CustodyStatus.InvalidArgument, $"Not a usable SSH public key: {error}");

    /// <summary>Decodes a key from its wire encoding, or returns false with a reason.</summary>
    public static bool TryFromBlob(ReadOnlySpan<byte> blob, string? comment, [NotNullWhen(true)] out SshPublicKey? key, [NotNullWhen(false)] out string? error)
    {
        key = null;
        try
        {
            var reader = new SshWireReader(blob);
            string typeName = reader.ReadAsciiString();
            if (!SshKeyTypes.TryParse(typeName, out SshKeyType type))
            {
                error = $"key type '{typeName}' is not supported (use {SshKeyTypes.Supported})";
                return false;
            }

            byte[] keyData;
            string? application = null;
            switch (type)
            {
                case SshKeyType.EcdsaP256:
                case SshKeyType.SkEcdsaP256:
                    string curve = reader.ReadAsciiString();
                    if (curve != "nistp256")
                    {
                        error = $"curve '{curve}' does not match key type '{typeName}'";
                        return false;
                    }

                    keyData = reader.ReadString().ToArray();
                    if (!IsValidP256Point(keyData))
                    {
                        error = "the EC point is not an uncompressed point on P-256";
                        return false;
                    }

                    break;
                default:
                    keyData = reader.ReadString().ToArray();
                    if (keyData.Length != 32)
                    {
                        error = $"an Ed25519 public key is 32 bytes, not {keyData.Length}";
                        return false;
                    }

                    break;
            }

            if (SshKeyTypes.IsSecurityKey(type))
            {
                application = reader.ReadAsciiString();
            }

            reader.EnsureEnd("public key");
            key = new SshPublicKey(type, blob.ToArray(), keyData, application, string.IsNullOrWhiteSpace(comment) ? null : comment);
            error = null;
            return true;
        }
        catch (SshFormatException e)
        {
            error = $"malformed key encoding: {e.Message}";
            return false;
        }
    }

    /// <summary>The authorized_keys form: <c>type base64 [comment]</c>.</summary>
    public string ToAuthorizedKeysLine() =>
        Comment is null ? $"{TypeName} {Convert.ToBase64String(_blob)}" : $"{TypeName} {Convert.ToBase64String(_blob)} {Comment}";

    /// <summary>True when both keys have the same wire encoding.</summary>
    public bool Equals(SshPublicKey? other) => other is not null && _blob.AsSpan().SequenceEqual(other._blob);

    /// <inheritdoc />
    public override bool Equals(object? obj) => Equals(obj as SshPublicKey);

    /// <inheritdoc />
    public override int GetHashCode() => Fingerprint.GetHashCode(StringComparison.Ordinal);

    /// <summary>The type and fingerprint, e.g. <c>ssh-ed25519 SHA256:…</c>.</summary>
    public override string ToString() => $"{TypeName} {Fingerprint}";

    internal ECDsa CreateEcdsa()
    {
        var parameters = new ECParameters
        {
            Curve = ECCurve.NamedCurves.nistP256,
            Q = new ECPoint { X = KeyData[1..33], Y = KeyData[33..65] },
        };
        return ECDsa.Create(parameters);
    }

    private static bool IsValidP256Point(byte[] point)
    {
        if (point.Length != 65 || point[0] != 0x04)
        {
            return false;
        }

        try
        {
            // Importing validates that the point lies on the curve.
            using var ecdsa = ECDsa.Create(new ECParameters
            {
                Curve = ECCurve.NamedCurves.nistP256,
                Q = new ECPoint { X = point[1..33], Y = point[33..65] },
            });
            return true;
        }
        catch (CryptographicException)
        {
            return false;
        }
    }

    private static bool LooksLikeKeyType(string field) =>
        SshKeyTypes.TryParse(field, out _) || field.StartsWith("ssh-", StringComparison.Ordinal)
        || field.StartsWith("ecdsa-", StringComparison.Ordinal) || field.StartsWith("sk-", StringComparison.Ordinal);

    private static List<string> SplitFields(string line)
    {
        var fields = new List<string>();
        var current = new System.Text.StringBuilder();
        bool quoted = false;
        foreach (char c in line)
        {
            if (c == '"')
            {
                quoted = !quoted;
                current.Append(c);
            }
            else if (!quoted && (c == ' ' || c == '\t'))
            {
                if (current.Length > 0)
                {
                    fields.Add(current.ToString());
                    current.Clear();
                }
            }
            else
            {
                current.Append(c);
            }
        }

        if (current.Length > 0)
        {
            fields.Add(current.ToString());
        }

        return fields;
    }
}
