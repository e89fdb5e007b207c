// SPDX-License-Identifier: Apache-2.0
using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using KeyCustody.Core;

namespace KeyCustody.Audit;

/// <summary>
/// The appliance's public audit key (ECDSA P-256) and the signed-note conventions KeyCustody defines for it:
/// <list type="bullet">
/// <item>Signature: DER-encoded ECDSA (RFC 3279 <c>SEQUENCE { r, s }</c>) over SHA-256 of the note text.</item>
/// <item>Key id: the first 4 bytes (big-endian) of <c>SHA-256(key name ‖ 0x0A ‖ 0xFF ‖ "keycustody/ecdsa-p256-sha256" ‖ SPKI)</c>,
/// where SPKI is the DER SubjectPublicKeyInfo. 0xFF is signed-note's byte for signature types without an assigned
/// identifier, followed by a longer identifier as the spec recommends (see the Audit README for why not 0x02).</item>
/// </list>
/// </summary>
public sealed class AuditPublicKey : IDisposable
{
    /// <summary>The identifier that follows the 0xFF signature type byte in the key id derivation.</summary>
    public const string SignatureTypeIdentifier = "keycustody/ecdsa-p256-sha256";

    /// <summary>signed-note's signature type byte for algorithms without an assigned identifier.</summary>
    public const byte SignatureType = 0xFF;

    private readonly ECDsa _key;
    private readonly byte[] _spki;

    private AuditPublicKey(ECDsa key, byte[] spki)
    {
        _key = key;
        _spki = spki;
    }

    /// <summary>The DER SubjectPublicKeyInfo.</summary>
    public ReadOnlyMemory<byte> SubjectPublicKeyInfo => _spki;

    /// <summary>Imports a DER SubjectPublicKeyInfo; it must be an ECDSA P-256 key.</summary>
    /// <exception cref="CustodyException">InvalidArgument when the bytes are not a P-256 public key.</exception>
    public static AuditPublicKey FromSubjectPublicKeyInfo(ReadOnlySpan<byte> spki)
    {
        var key = ECDsa.Create();
        try
        {
            key.ImportSubjectPublicKeyInfo(spki, out int read);
            if (read != spki.Length)
            {
                throw new CustodyException(CustodyStatus.InvalidArgument, "The audit key has trailing bytes after its SubjectPublicKeyInfo.");
            }

            ECParameters parameters = key.ExportParameters(includePrivateParameters: false);
            if (parameters.Curve.Oid?.Value != ECCurve.NamedCurves.nistP256.Oid.Value)
            {
                throw new CustodyException(CustodyStatus.InvalidArgument, "The audit key is not an ECDSA P-256 key.");
            }

            // Re-export so the key id is computed over the canonical encoding, whatever the input looked like.
            return new AuditPublicKey(key, key.ExportSubjectPublicKeyInfo());
        }
        catch (CryptographicException ex)
        {
            key.Dispose();
            throw new CustodyException(CustodyStatus.InvalidArgument, "The audit key is not a valid ECDSA public key (SubjectPublicKeyInfo).", ex);
        }
        catch
        {
            key.Dispose();
            throw;
        }
    }

    /// <summary>Imports a PEM <c>PUBLIC KEY</c> block.</summary>
    public static AuditPublicKey FromPem(string pem)
    {
        ArgumentNullException.ThrowIfNull(pem);
        if (!PemEncoding.TryFind(pem, out PemFields fields) || pem[fields.Label] is not "PUBLIC KEY")
        {
            throw new CustodyException(CustodyStatus.InvalidArgument, "The audit key file holds no PEM 'PUBLIC KEY' block.");
        }

        return FromSubjectPublicKeyInfo(Convert.FromBase64String(pem[fields.Base64Data]));
    }

    /// <summary>The key as a PEM <c>PUBLIC KEY</c> block.</summary>
    public string ToPem() => PemEncoding.WriteString("PUBLIC KEY", _spki);

    /// <summary>The signed-note key id of this key under <paramref name="keyName"/>.</summary>
    public uint KeyId(string keyName) => ComputeKeyId(keyName, _spki);

    /// <summary>The signed-note key id of <paramref name="spki"/> under <paramref name="keyName"/>.</summary>
    public static uint ComputeKeyId(string keyName, ReadOnlySpan<byte> spki)
    {
        ArgumentNullException.ThrowIfNull(keyName);
        byte[] name = Encoding.UTF8.GetBytes(keyName);
        byte[] identifier = Encoding.ASCII.GetBytes(SignatureTypeIdentifier);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(name);
        hash.AppendData([0x0A, SignatureType]);
        hash.AppendData(identifier);
        hash.AppendData(spki);
        Span<byte> digest = stackalloc byte[32];
        hash.GetHashAndReset(digest);
        return BinaryPrimitives.ReadUInt32BigEndian(digest);
    }

    /// <summary>Checks a DER ECDSA signature over SHA-256 of <paramref name="text"/>.</summary>
    public bool Verify(ReadOnlySpan<byte> text, ReadOnlySpan<byte> derSignature)
    {
        Span<byte> digest = stackalloc byte[32];
        SHA256.HashData(text, digest);
        try
        {
            return _key.VerifyHash(digest, derSignature, DSASignatureFormat.Rfc3279DerSequence);
        }
        catch (CryptographicException)
        {
            return false;
        }
    }

    /// <summary>True when both hold the same public key.</summary>
    public bool SameKeyAs(AuditPublicKey other) => other is not null && _spki.AsSpan().SequenceEqual(other._spki);

    /// <inheritdoc />
    public void Dispose() => _key.Dispose();
}
