// SPDX-License-Identifier: Apache-2.0
using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Text;
using KeyCustody.Core;

namespace KeyCustody.Pkcs11;

/// <summary>
/// Public key encodings: DER SubjectPublicKeyInfo (RFC 5280 §4.1.2.7; Ed25519 per RFC 8410), PEM
/// ("PUBLIC KEY", RFC 7468) and OpenSSH public key lines (RFC 4253 §6.6, RFC 5656 §3.1, RFC 8709 §4).
/// </summary>
public static class PublicKeyFormats
{
    private const string OidEcPublicKey = "1.2.840.10045.2.1";
    private const string OidP256 = "1.2.840.10045.3.1.7";
    private const string OidP384 = "1.3.132.0.34";
    private const string OidEd25519 = "1.3.101.112";
    private const string OidRsaEncryption = "1.2.840.113549.1.1.1";

    /// <summary>The key type a SubjectPublicKeyInfo holds, or false when it is none KeyCustody uses.</summary>
    public static bool TryGetAlgorithm(ReadOnlySpan<byte> subjectPublicKeyInfo, out KeyAlgorithm algorithm)
    {
        algorithm = 0;
        try
        {
            (string oid, string? curve, byte[] key) = Parse(subjectPublicKeyInfo);
            switch (oid)
            {
                case OidEcPublicKey when curve == OidP256 && key.Length == 65 && key[0] == 4:
                    algorithm = KeyAlgorithm.EcdsaP256;
                    break;
                case OidEcPublicKey when curve == OidP384 && key.Length == 97 && key[0] == 4:
                    algorithm = KeyAlgorithm.EcdsaP384;
                    break;
                case OidEd25519 when key.Length == 32:
                    algorithm = KeyAlgorithm.Ed25519;
                    break;
                case OidRsaEncryption:
                    using (RSA rsa = RSA.Create())
                    {
                        rsa.ImportSubjectPublicKeyInfo(subjectPublicKeyInfo, out _);
                        algorithm = rsa.KeySize switch { 3072 => KeyAlgorithm.Rsa3072, 4096 => KeyAlgorithm.Rsa4096, _ => 0 };
                    }

                    break;
            }
        }
        catch (Exception ex) when (ex is AsnContentException or CryptographicException)
        {
            return false;
        }

        return algorithm != 0;
    }

    /// <summary>The key type a SubjectPublicKeyInfo holds, or InvalidArgument.</summary>
    public static KeyAlgorithm GetAlgorithm(ReadOnlySpan<byte> subjectPublicKeyInfo) =>
        TryGetAlgorithm(subjectPublicKeyInfo, out KeyAlgorithm algorithm)
            ? algorithm
            : throw new CustodyException(CustodyStatus.InvalidArgument,
                "The public key is not an ECDSA P-256/P-384, Ed25519 or RSA-3072/4096 SubjectPublicKeyInfo.");

    /// <summary>SubjectPublicKeyInfo of an EC key from its uncompressed point (0x04‖X‖Y), or of an Ed25519 key from its 32 bytes.</summary>
    public static byte[] FromEcPoint(KeyAlgorithm algorithm, ReadOnlySpan<byte> point)
    {
        switch (algorithm)
        {
            case KeyAlgorithm.Ed25519:
                if (point.Length != 32)
                {
                    throw new ArgumentException($"An Ed25519 public key is 32 bytes, not {point.Length}.", nameof(point));
                }

                var writer = new AsnWriter(AsnEncodingRules.DER);
                using (writer.PushSequence())
                {
                    using (writer.PushSequence())
                    {
                        writer.WriteObjectIdentifier(OidEd25519);
                    }

                    writer.WriteBitString(point);
                }

                return writer.Encode();

            case KeyAlgorithm.EcdsaP256 or KeyAlgorithm.EcdsaP384:
                int size = algorithm == KeyAlgorithm.EcdsaP256 ? 32 : 48;
                if (point.Length != 1 + (2 * size) || point[0] != 4)
                {
                    throw new ArgumentException($"An uncompressed {Algorithms.Name(algorithm)} point is {1 + (2 * size)} bytes starting with 0x04.", nameof(point));
                }

                using (var ecdsa = ECDsa.Create(new ECParameters
                {
                    Curve = algorithm == KeyAlgorithm.EcdsaP256 ? ECCurve.NamedCurves.nistP256 : ECCurve.NamedCurves.nistP384,
                    Q = new ECPoint { X = point.Slice(1, size).ToArray(), Y = point.Slice(1 + size, size).ToArray() },
                }))
                {
                    return ecdsa.ExportSubjectPublicKeyInfo();
                }

            default:
                throw new ArgumentException($"{algorithm} is not an elliptic-curve algorithm.", nameof(algorithm));
        }
    }

    /// <summary>SubjectPublicKeyInfo of an RSA key from its modulus and public exponent (big-endian).</summary>
    public static byte[] FromRsa(ReadOnlySpan<byte> modulus, ReadOnlySpan<byte> exponent)
    {
        using RSA rsa = RSA.Create();
        rsa.ImportParameters(new RSAParameters { Modulus = TrimLeadingZeros(modulus), Exponent = TrimLeadingZeros(exponent) });
        return rsa.ExportSubjectPublicKeyInfo();
    }

    /// <summary>PEM "PUBLIC KEY" text of a SubjectPublicKeyInfo (what <c>openssl pkey -pubin</c> reads).</summary>
    public static string ToPem(ReadOnlySpan<byte> subjectPublicKeyInfo) =>
        new string(PemEncoding.Write("PUBLIC KEY", subjectPublicKeyInfo)) + "\n";

    /// <summary>
    /// The OpenSSH public key line: <c>ecdsa-sha2-nistp256 AAAA… comment</c>, <c>ecdsa-sha2-nistp384</c>,
    /// <c>ssh-ed25519</c> or <c>ssh-rsa</c>.
    /// </summary>
    public static string ToOpenSsh(ReadOnlySpan<byte> subjectPublicKeyInfo, string? comment = null)
    {
        KeyAlgorithm algorithm = GetAlgorithm(subjectPublicKeyInfo);
        (_, _, byte[] key) = Parse(subjectPublicKeyInfo);
        var blob = new MemoryStream();
        string type;
        switch (algorithm)
        {
            case KeyAlgorithm.EcdsaP256 or KeyAlgorithm.EcdsaP384:
                string curve = algorithm == KeyAlgorithm.EcdsaP256 ? "nistp256" : "nistp384";
                type = "ecdsa-sha2-" + curve;
                WriteString(blob, Encoding.ASCII.GetBytes(type));
                WriteString(blob, Encoding.ASCII.GetBytes(curve));
                WriteString(blob, key);
                break;
            case KeyAlgorithm.Ed25519:
                type = "ssh-ed25519";
                WriteString(blob, Encoding.ASCII.GetBytes(type));
                WriteString(blob, key);
                break;
            default:
                type = "ssh-rsa";
                using (RSA rsa = RSA.Create())
                {
                    rsa.ImportSubjectPublicKeyInfo(subjectPublicKeyInfo, out _);
                    RSAParameters p = rsa.ExportParameters(includePrivateParameters: false);
                    WriteString(blob, Encoding.ASCII.GetBytes(type));
                    WriteString(blob, ToMpint(p.Exponent!));
                    WriteString(blob, ToMpint(p.Modulus!));
                }

                break;
        }

        string line = type + " " + Convert.ToBase64String(blob.ToArray());
        return string.IsNullOrWhiteSpace(comment) ? line : line + " " + comment.Trim();
    }

    /// <summary>The raw key inside a SubjectPublicKeyInfo: the EC point (0x04‖X‖Y) or the 32 Ed25519 bytes.</summary>
    public static byte[] GetEcPoint(ReadOnlySpan<byte> subjectPublicKeyInfo)
    {
        KeyAlgorithm algorithm = GetAlgorithm(subjectPublicKeyInfo);
        if (algorithm is KeyAlgorithm.Rsa3072 or KeyAlgorithm.Rsa4096)
        {
            throw new ArgumentException("An RSA key has no EC point.", nameof(subjectPublicKeyInfo));
        }

        return Parse(subjectPublicKeyInfo).Key;
    }

    /// <summary>Splits a SubjectPublicKeyInfo into its algorithm OID, the named curve (EC only) and the key bits.</summary>
    private static (string Oid, string? Curve, byte[] Key) Parse(ReadOnlySpan<byte> subjectPublicKeyInfo)
    {
        var reader = new AsnReader(subjectPublicKeyInfo.ToArray(), AsnEncodingRules.DER);
        AsnReader spki = reader.ReadSequence();
        reader.ThrowIfNotEmpty();
        AsnReader algorithm = spki.ReadSequence();
        string oid = algorithm.ReadObjectIdentifier();
        string? curve = null;
        if (algorithm.HasData && algorithm.PeekTag().HasSameClassAndValue(Asn1Tag.ObjectIdentifier))
        {
            curve = algorithm.ReadObjectIdentifier();
        }

        byte[] key = spki.ReadBitString(out int unused);
        spki.ThrowIfNotEmpty();
        if (unused != 0)
        {
            throw new AsnContentException("The public key BIT STRING has unused bits.");
        }

        return (oid, curve, key);
    }

    private static void WriteString(Stream stream, ReadOnlySpan<byte> value)
    {
        Span<byte> length = stackalloc byte[4];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(length, (uint)value.Length);
        stream.Write(length);
        stream.Write(value);
    }

    private static byte[] ToMpint(ReadOnlySpan<byte> unsignedBigEndian)
    {
        ReadOnlySpan<byte> trimmed = TrimLeadingZeros(unsignedBigEndian);
        if (trimmed.Length > 0 && (trimmed[0] & 0x80) != 0)
        {
            var padded = new byte[trimmed.Length + 1];
            trimmed.CopyTo(padded.AsSpan(1));
            return padded;
        }

        return trimmed.ToArray();
    }

    private static byte[] TrimLeadingZeros(ReadOnlySpan<byte> value)
    {
        int i = 0;
        while (i < value.Length - 1 && value[i] == 0)
        {
            i++;
        }

        return value[i..].ToArray();
    }
}
