// SPDX-License-Identifier: Apache-2.0
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using KeyCustody.Core;
using KeyCustody.Core.Ports;

namespace KeyCustody.Daemon.Services;

/// <summary>
/// Signatures by HSM keys over ceremony documents: a self-signed X.509 certificate for a new key (the HSM signs the
/// TBSCertificate, so the certificate proves possession of the private key), and plain statement signatures that
/// <c>openssl dgst -sha256 -verify</c> (ECDSA, RSA) or <c>openssl pkeyutl -verify -rawin</c> (Ed25519) check.
/// </summary>
internal static class CeremonyCertificates
{
    /// <summary>Signs <paramref name="data"/> with the named HSM key: SHA-256 digest for ECDSA (DER) and RSA (PKCS#1 v1.5), the bytes themselves for Ed25519.</summary>
    public static async Task<byte[]> SignAsync(ISigningKeyStore hsm, KeyName key, KeyAlgorithm algorithm, byte[] data, CancellationToken cancellationToken)
    {
        SignInput input = algorithm switch
        {
            KeyAlgorithm.Ed25519 => new SignInput(data, DigestAlgorithm.Sha256, SignatureScheme.Ed25519),
            KeyAlgorithm.Rsa3072 or KeyAlgorithm.Rsa4096 => new SignInput(SHA256.HashData(data), DigestAlgorithm.Sha256, SignatureScheme.RsaPkcs1),
            _ => new SignInput(SHA256.HashData(data), DigestAlgorithm.Sha256, SignatureScheme.EcdsaDer),
        };
        return await hsm.SignAsync(key, input, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// A self-signed certificate (DER) for an ECDSA or RSA key, valid for <paramref name="validity"/>; null for
    /// Ed25519, which .NET's certificate builder cannot express.
    /// </summary>
    public static Task<byte[]?> SelfSignedAsync(ISigningKeyStore hsm, KeyName key, KeyAlgorithm algorithm, byte[] spki, DateTimeOffset now, TimeSpan validity,
        CancellationToken cancellationToken)
    {
        if (algorithm == KeyAlgorithm.Ed25519)
        {
            return Task.FromResult<byte[]?>(null);
        }

        // X509SignatureGenerator is synchronous; the HSM call blocks a pool thread, not the caller.
        return Task.Run<byte[]?>(() =>
        {
            PublicKey publicKey = PublicKey.CreateFromSubjectPublicKeyInfo(spki, out _);
            var subject = new X500DistinguishedName($"CN={key.Value}, O=KeyCustody");
            HashAlgorithmName hash = HashAlgorithmName.SHA256;
            var request = new CertificateRequest(subject, publicKey, hash);
            request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
            request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
            request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(publicKey, false));
            using X509Certificate2 certificate = request.Create(subject, new HsmSignatureGenerator(hsm, key, algorithm, publicKey, cancellationToken),
                now.AddMinutes(-5), now + validity, RandomNumberGenerator.GetBytes(16));
            return certificate.RawData;
        }, cancellationToken);
    }

    private sealed class HsmSignatureGenerator(ISigningKeyStore hsm, KeyName key, KeyAlgorithm algorithm, PublicKey publicKey, CancellationToken cancellationToken)
        : X509SignatureGenerator
    {
        // DER AlgorithmIdentifiers (RFC 5758 §3.2 ecdsa-with-SHA256; RFC 4055 §5 sha256WithRSAEncryption with NULL parameters).
        private static readonly byte[] s_ecdsaSha256 = [0x30, 0x0A, 0x06, 0x08, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x04, 0x03, 0x02];
        private static readonly byte[] s_rsaSha256 = [0x30, 0x0D, 0x06, 0x09, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x0B, 0x05, 0x00];

        public override byte[] GetSignatureAlgorithmIdentifier(HashAlgorithmName hashAlgorithm) =>
            hashAlgorithm != HashAlgorithmName.SHA256 ? throw new ArgumentOutOfRangeException(nameof(hashAlgorithm), "only SHA-256")
            : algorithm is KeyAlgorithm.Rsa3072 or KeyAlgorithm.Rsa4096 ? s_rsaSha256 : s_ecdsaSha256;

        public override byte[] SignData(byte[] data, HashAlgorithmName hashAlgorithm) =>
            SignAsync(hsm, key, algorithm, data, cancellationToken).GetAwaiter().GetResult();

        protected override PublicKey BuildPublicKey() => publicKey;
    }
}
