// SPDX-License-Identifier: Apache-2.0
using System.Collections.Concurrent;
using System.Security.Cryptography;
using KeyCustody.Core;
using KeyCustody.Core.Ports;

namespace KeyCustody.Pkcs11;

/// <summary>
/// Verifies a signature against a SubjectPublicKeyInfo with .NET's own crypto (and BouncyCastle for Ed25519,
/// which the base library lacks), independently of the HSM that made it.
/// </summary>
public static class SignatureVerification
{
    /// <summary>
    /// True when <paramref name="signature"/> (encoded as <paramref name="input"/>'s scheme asks) is a valid
    /// signature over <paramref name="input"/> by the key in <paramref name="subjectPublicKeyInfo"/>.
    /// </summary>
    public static bool Verify(ReadOnlySpan<byte> subjectPublicKeyInfo, SignInput input, ReadOnlySpan<byte> signature)
    {
        ArgumentNullException.ThrowIfNull(input);
        using var verifier = new PublicKeyVerifier(PublicKeyFormats.GetAlgorithm(subjectPublicKeyInfo), subjectPublicKeyInfo.ToArray());
        return verifier.Verify(input, signature);
    }
}

/// <summary>
/// A verifier for one public key. .NET key objects are not documented as safe for concurrent use, so each
/// verification rents one from a small pool instead of sharing a single instance across threads.
/// </summary>
internal sealed class PublicKeyVerifier : IDisposable
{
    private readonly byte[] _subjectPublicKeyInfo;
    private readonly byte[]? _ed25519Key;
    private readonly ConcurrentBag<AsymmetricAlgorithm> _pool = [];

    public PublicKeyVerifier(KeyAlgorithm algorithm, byte[] subjectPublicKeyInfo)
    {
        Algorithm = algorithm;
        _subjectPublicKeyInfo = subjectPublicKeyInfo;
        if (algorithm == KeyAlgorithm.Ed25519)
        {
            _ed25519Key = PublicKeyFormats.GetEcPoint(subjectPublicKeyInfo);
        }
    }

    public KeyAlgorithm Algorithm { get; }

    /// <summary>
    /// Verifies <paramref name="signature"/>; ECDSA signatures may be raw r‖s or DER as <paramref name="input"/>'s
    /// scheme says.
    /// </summary>
    public bool Verify(SignInput input, ReadOnlySpan<byte> signature)
    {
        switch (Algorithm)
        {
            case KeyAlgorithm.Ed25519:
                if (input.Scheme != SignatureScheme.Ed25519 || signature.Length != 64)
                {
                    return false;
                }

                return Org.BouncyCastle.Math.EC.Rfc8032.Ed25519.Verify(
                    signature.ToArray(), 0, _ed25519Key!, 0, input.Data.ToArray(), 0, input.Data.Length);

            case KeyAlgorithm.EcdsaP256 or KeyAlgorithm.EcdsaP384:
                DSASignatureFormat format = input.Scheme switch
                {
                    SignatureScheme.EcdsaRaw => DSASignatureFormat.IeeeP1363FixedFieldConcatenation,
                    SignatureScheme.EcdsaDer => DSASignatureFormat.Rfc3279DerSequence,
                    _ => (DSASignatureFormat)(-1),
                };
                if (!Enum.IsDefined(format))
                {
                    return false;
                }

                var ecdsa = (ECDsa)Rent();
                try
                {
                    return ecdsa.VerifyHash(input.Data.Span, signature, format);
                }
                finally
                {
                    _pool.Add(ecdsa);
                }

            default:
                RSASignaturePadding? padding = input.Scheme switch
                {
                    SignatureScheme.RsaPkcs1 => RSASignaturePadding.Pkcs1,
                    SignatureScheme.RsaPss => RSASignaturePadding.Pss,
                    _ => null,
                };
                if (padding is null)
                {
                    return false;
                }

                var rsa = (RSA)Rent();
                try
                {
                    // .NET's PSS uses MGF1 with the same hash and a salt as long as the digest: our scheme exactly.
                    return rsa.VerifyHash(input.Data.Span, signature, HashName(input.DigestAlgorithm), padding);
                }
                finally
                {
                    _pool.Add(rsa);
                }
        }
    }

    public void Dispose()
    {
        while (_pool.TryTake(out AsymmetricAlgorithm? key))
        {
            key.Dispose();
        }
    }

    private static HashAlgorithmName HashName(DigestAlgorithm digest) => digest switch
    {
        DigestAlgorithm.Sha256 => HashAlgorithmName.SHA256,
        DigestAlgorithm.Sha384 => HashAlgorithmName.SHA384,
        DigestAlgorithm.Sha512 => HashAlgorithmName.SHA512,
        _ => throw new ArgumentOutOfRangeException(nameof(digest)),
    };

    private AsymmetricAlgorithm Rent()
    {
        if (_pool.TryTake(out AsymmetricAlgorithm? key))
        {
            return key;
        }

        AsymmetricAlgorithm created = Algorithm is KeyAlgorithm.EcdsaP256 or KeyAlgorithm.EcdsaP384 ? ECDsa.Create() : RSA.Create();
        created.ImportSubjectPublicKeyInfo(_subjectPublicKeyInfo, out _);
        return created;
    }
}
