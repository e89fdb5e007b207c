// SPDX-License-Identifier: Apache-2.0
using System.Formats.Asn1;
using System.Security.Cryptography;
using KeyCustody.Core;
using static KeyCustody.Pkcs11.Interop.Pkcs11Constants;

namespace KeyCustody.Pkcs11;

/// <summary>
/// PKCS#11 templates and mechanisms for the algorithms KeyCustody uses, and the way back from a key's public
/// attributes to a SubjectPublicKeyInfo.
/// </summary>
internal static class KeyTemplates
{
    // DER OBJECT IDENTIFIERs as CKA_EC_PARAMS carries them: prime256v1 (1.2.840.10045.3.1.7),
    // secp384r1 (1.3.132.0.34), id-Ed25519 (1.3.101.112, RFC 8410).
    private static readonly byte[] s_p256Params = [0x06, 0x08, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07];
    private static readonly byte[] s_p384Params = [0x06, 0x05, 0x2B, 0x81, 0x04, 0x00, 0x22];
    private static readonly byte[] s_ed25519Params = [0x06, 0x03, 0x2B, 0x65, 0x70];

    // PKCS#11 v3.0 §2.3.10 also allows a PrintableString curve name for Edwards curves ("edwards25519").
    private static readonly byte[] s_ed25519NameParams = [0x13, 0x0C, .. "edwards25519"u8];

    // DigestInfo prefixes for RSASSA-PKCS1-v1_5 (RFC 8017 §9.2, note 1): SEQUENCE { AlgorithmIdentifier, OCTET STRING }.
    private static readonly byte[] s_sha256DigestInfo = [0x30, 0x31, 0x30, 0x0D, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20];
    private static readonly byte[] s_sha384DigestInfo = [0x30, 0x41, 0x30, 0x0D, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x02, 0x05, 0x00, 0x04, 0x30];
    private static readonly byte[] s_sha512DigestInfo = [0x30, 0x51, 0x30, 0x0D, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x03, 0x05, 0x00, 0x04, 0x40];

    private static readonly byte[] s_rsaPublicExponent = [0x01, 0x00, 0x01];

    /// <summary>The CKK_ key type of <paramref name="algorithm"/>.</summary>
    public static ulong KeyType(KeyAlgorithm algorithm) => algorithm switch
    {
        KeyAlgorithm.EcdsaP256 or KeyAlgorithm.EcdsaP384 => CKK_EC,
        KeyAlgorithm.Ed25519 => CKK_EC_EDWARDS,
        KeyAlgorithm.Rsa3072 or KeyAlgorithm.Rsa4096 => CKK_RSA,
        _ => throw new ArgumentOutOfRangeException(nameof(algorithm)),
    };

    /// <summary>The key-pair generation mechanism and both templates for a new key.</summary>
    public static (Pkcs11Mechanism Mechanism, Pkcs11Attribute[] Public, Pkcs11Attribute[] Private) ForGeneration(
        KeyAlgorithm algorithm, string label, byte[] id, bool backupCapable)
    {
        var publicTemplate = new List<Pkcs11Attribute>(CommonPublic(algorithm, label, id));
        Pkcs11Mechanism mechanism;
        switch (algorithm)
        {
            case KeyAlgorithm.EcdsaP256 or KeyAlgorithm.EcdsaP384 or KeyAlgorithm.Ed25519:
                publicTemplate.Add(Pkcs11Attribute.Bytes(CKA_EC_PARAMS, EcParams(algorithm)));
                mechanism = new(algorithm == KeyAlgorithm.Ed25519 ? CKM_EC_EDWARDS_KEY_PAIR_GEN : CKM_EC_KEY_PAIR_GEN);
                break;
            default:
                publicTemplate.Add(Pkcs11Attribute.ULong(CKA_MODULUS_BITS, algorithm == KeyAlgorithm.Rsa3072 ? 3072UL : 4096UL));
                publicTemplate.Add(Pkcs11Attribute.Bytes(CKA_PUBLIC_EXPONENT, s_rsaPublicExponent));
                mechanism = new(CKM_RSA_PKCS_KEY_PAIR_GEN);
                break;
        }

        return (mechanism, publicTemplate.ToArray(), PrivateTemplate(algorithm, label, id, backupCapable));
    }

    /// <summary>
    /// The private half's template, for generation and for unwrap: always a sensitive token object visible only
    /// after login that may sign and nothing else; extractable only when backup-capable, and then only under a
    /// trusted wrap key (CKA_WRAP_WITH_TRUSTED).
    /// </summary>
    public static Pkcs11Attribute[] PrivateTemplate(KeyAlgorithm algorithm, string label, byte[] id, bool backupCapable)
    {
        var template = new List<Pkcs11Attribute>
        {
            Pkcs11Attribute.ULong(CKA_CLASS, CKO_PRIVATE_KEY),
            Pkcs11Attribute.ULong(CKA_KEY_TYPE, KeyType(algorithm)),
            Pkcs11Attribute.Bool(CKA_TOKEN, true),
            Pkcs11Attribute.Bool(CKA_PRIVATE, true),
            Pkcs11Attribute.Bool(CKA_SENSITIVE, true),
            Pkcs11Attribute.Bool(CKA_EXTRACTABLE, backupCapable),
            Pkcs11Attribute.Bool(CKA_SIGN, true),
            Pkcs11Attribute.Bool(CKA_DECRYPT, false),
            Pkcs11Attribute.Bool(CKA_UNWRAP, false),
            Pkcs11Attribute.Bool(CKA_DERIVE, false),
            Pkcs11Attribute.Text(CKA_LABEL, label),
            Pkcs11Attribute.Bytes(CKA_ID, id),
        };
        if (backupCapable)
        {
            template.Add(Pkcs11Attribute.Bool(CKA_WRAP_WITH_TRUSTED, true));
        }

        return template.ToArray();
    }

    /// <summary>A public key object's template rebuilt from a SubjectPublicKeyInfo (restore after unwrap).</summary>
    public static Pkcs11Attribute[] PublicTemplateFromSpki(KeyAlgorithm algorithm, string label, byte[] id, ReadOnlySpan<byte> subjectPublicKeyInfo)
    {
        var template = new List<Pkcs11Attribute>(CommonPublic(algorithm, label, id));
        if (algorithm is KeyAlgorithm.Rsa3072 or KeyAlgorithm.Rsa4096)
        {
            using RSA rsa = RSA.Create();
            rsa.ImportSubjectPublicKeyInfo(subjectPublicKeyInfo, out _);
            RSAParameters p = rsa.ExportParameters(includePrivateParameters: false);
            template.Add(Pkcs11Attribute.Bytes(CKA_MODULUS, p.Modulus));
            template.Add(Pkcs11Attribute.Bytes(CKA_PUBLIC_EXPONENT, p.Exponent));
        }
        else
        {
            var point = new AsnWriter(AsnEncodingRules.DER);
            point.WriteOctetString(PublicKeyFormats.GetEcPoint(subjectPublicKeyInfo));
            template.Add(Pkcs11Attribute.Bytes(CKA_EC_PARAMS, EcParams(algorithm)));
            template.Add(Pkcs11Attribute.Bytes(CKA_EC_POINT, point.Encode()));
        }

        return template.ToArray();
    }

    /// <summary>The signing mechanism and the bytes to hand to C_Sign for <paramref name="input"/>.</summary>
    public static (Pkcs11Mechanism Mechanism, byte[] Data) ForSigning(KeyAlgorithm algorithm, Core.Ports.SignInput input)
    {
        switch (algorithm)
        {
            case KeyAlgorithm.Ed25519:
                return (new(CKM_EDDSA), input.Data.ToArray());
            case KeyAlgorithm.EcdsaP256 or KeyAlgorithm.EcdsaP384:
                return (new(CKM_ECDSA), input.Data.ToArray());
            default:
                if (input.Scheme == SignatureScheme.RsaPss)
                {
                    (ulong hash, ulong mgf) = input.DigestAlgorithm switch
                    {
                        DigestAlgorithm.Sha256 => (CKM_SHA256, CKG_MGF1_SHA256),
                        DigestAlgorithm.Sha384 => (CKM_SHA384, CKG_MGF1_SHA384),
                        _ => (CKM_SHA512, CKG_MGF1_SHA512),
                    };
                    return (Pkcs11Mechanism.RsaPss(hash, mgf, (ulong)input.Data.Length), input.Data.ToArray());
                }

                byte[] prefix = input.DigestAlgorithm switch
                {
                    DigestAlgorithm.Sha256 => s_sha256DigestInfo,
                    DigestAlgorithm.Sha384 => s_sha384DigestInfo,
                    _ => s_sha512DigestInfo,
                };
                return (new(CKM_RSA_PKCS), [.. prefix, .. input.Data.Span]);
        }
    }

    /// <summary>
    /// The algorithm and SubjectPublicKeyInfo of a public key object, from CKA_KEY_TYPE and CKA_EC_PARAMS /
    /// CKA_EC_POINT or CKA_MODULUS / CKA_PUBLIC_EXPONENT. Algorithm is null for keys KeyCustody does not use
    /// (RSA-2048, other curves); Description names them either way.
    /// </summary>
    public static (KeyAlgorithm? Algorithm, byte[]? SubjectPublicKeyInfo, string Description) DescribePublicKey(
        ulong keyType, byte[]? ecParams, byte[]? ecPoint, byte[]? modulus, byte[]? exponent)
    {
        switch (keyType)
        {
            case CKK_EC or CKK_EC_EDWARDS:
                KeyAlgorithm? curve = ecParams switch
                {
                    null => null,
                    _ when ecParams.AsSpan().SequenceEqual(s_p256Params) => KeyAlgorithm.EcdsaP256,
                    _ when ecParams.AsSpan().SequenceEqual(s_p384Params) => KeyAlgorithm.EcdsaP384,
                    _ when ecParams.AsSpan().SequenceEqual(s_ed25519Params) || ecParams.AsSpan().SequenceEqual(s_ed25519NameParams) => KeyAlgorithm.Ed25519,
                    _ => null,
                };
                if (curve is null || ecPoint is null || (curve == KeyAlgorithm.Ed25519) != (keyType == CKK_EC_EDWARDS))
                {
                    return (null, null, $"{(keyType == CKK_EC ? "EC" : "EdDSA")} key on curve parameters {(ecParams is null ? "(none)" : Convert.ToHexString(ecParams))}");
                }

                byte[] point = DecodeEcPoint(curve.Value, ecPoint);
                return (curve, PublicKeyFormats.FromEcPoint(curve.Value, point), Algorithms.Name(curve.Value));

            case CKK_RSA:
                if (modulus is null || exponent is null)
                {
                    return (null, null, "RSA key without a readable modulus");
                }

                byte[] spki = PublicKeyFormats.FromRsa(modulus, exponent);
                int bits = PublicKeyBits(modulus);
                KeyAlgorithm? rsa = bits switch { 3072 => KeyAlgorithm.Rsa3072, 4096 => KeyAlgorithm.Rsa4096, _ => null };
                return (rsa, spki, rsa is { } a ? Algorithms.Name(a) : $"rsa-{bits}");

            default:
                return (null, null, $"key type 0x{keyType:X}");
        }
    }

    /// <summary>CKA_EC_PARAMS for an EC or Edwards algorithm.</summary>
    public static byte[] EcParams(KeyAlgorithm algorithm) => algorithm switch
    {
        KeyAlgorithm.EcdsaP256 => s_p256Params,
        KeyAlgorithm.EcdsaP384 => s_p384Params,
        KeyAlgorithm.Ed25519 => s_ed25519Params,
        _ => throw new ArgumentOutOfRangeException(nameof(algorithm)),
    };

    /// <summary>Half the width of an r‖s ECDSA signature for the curve.</summary>
    public static int EcdsaFieldSize(KeyAlgorithm algorithm) => algorithm == KeyAlgorithm.EcdsaP256 ? 32 : 48;

    private static Pkcs11Attribute[] CommonPublic(KeyAlgorithm algorithm, string label, byte[] id) =>
    [
        Pkcs11Attribute.ULong(CKA_CLASS, CKO_PUBLIC_KEY),
        Pkcs11Attribute.ULong(CKA_KEY_TYPE, KeyType(algorithm)),
        Pkcs11Attribute.Bool(CKA_TOKEN, true),
        Pkcs11Attribute.Bool(CKA_PRIVATE, false),
        Pkcs11Attribute.Bool(CKA_VERIFY, true),
        Pkcs11Attribute.Bool(CKA_ENCRYPT, false),
        Pkcs11Attribute.Bool(CKA_WRAP, false),
        Pkcs11Attribute.Bool(CKA_DERIVE, false),
        Pkcs11Attribute.Text(CKA_LABEL, label),
        Pkcs11Attribute.Bytes(CKA_ID, id),
    ];

    /// <summary>
    /// CKA_EC_POINT is a DER OCTET STRING around the point (PKCS#11 v2.40 §2.3.3), but some modules return the
    /// bare point: accept both, telling them apart by the expected length.
    /// </summary>
    private static byte[] DecodeEcPoint(KeyAlgorithm curve, byte[] ecPoint)
    {
        int rawLength = curve switch { KeyAlgorithm.EcdsaP256 => 65, KeyAlgorithm.EcdsaP384 => 97, _ => 32 };
        if (ecPoint.Length == rawLength && (curve == KeyAlgorithm.Ed25519 || ecPoint[0] == 0x04))
        {
            return ecPoint;
        }

        var reader = new AsnReader(ecPoint, AsnEncodingRules.BER);
        byte[] point = reader.ReadOctetString();
        reader.ThrowIfNotEmpty();
        return point;
    }

    private static int PublicKeyBits(ReadOnlySpan<byte> modulus)
    {
        int i = 0;
        while (i < modulus.Length && modulus[i] == 0)
        {
            i++;
        }

        return i == modulus.Length ? 0 : ((modulus.Length - i - 1) * 8) + (8 - System.Numerics.BitOperations.LeadingZeroCount((uint)modulus[i]) + 24);
    }
}
