// SPDX-License-Identifier: Apache-2.0
using KeyCustody.Core;
using KeyCustody.Core.Ports;
using KeyCustody.Testing;

namespace KeyCustody.Pkcs11.Tests;

/// <summary>Each algorithm generates in SoftHSM2, signs, and the signature verifies with .NET and with OpenSSL.</summary>
public sealed class Pkcs11KeyStoreConformanceTests(KeyStoreFixture fixture) : IClassFixture<KeyStoreFixture>
{
    public static TheoryData<KeyAlgorithm, SignatureScheme, DigestAlgorithm> Cases => new()
    {
        { KeyAlgorithm.EcdsaP256, SignatureScheme.EcdsaDer, DigestAlgorithm.Sha256 },
        { KeyAlgorithm.EcdsaP256, SignatureScheme.EcdsaRaw, DigestAlgorithm.Sha384 },
        { KeyAlgorithm.EcdsaP256, SignatureScheme.EcdsaDer, DigestAlgorithm.Sha512 },
        { KeyAlgorithm.EcdsaP384, SignatureScheme.EcdsaDer, DigestAlgorithm.Sha384 },
        { KeyAlgorithm.EcdsaP384, SignatureScheme.EcdsaRaw, DigestAlgorithm.Sha256 },
        { KeyAlgorithm.Ed25519, SignatureScheme.Ed25519, DigestAlgorithm.Sha256 },
        { KeyAlgorithm.Rsa3072, SignatureScheme.RsaPkcs1, DigestAlgorithm.Sha256 },
        { KeyAlgorithm.Rsa3072, SignatureScheme.RsaPss, DigestAlgorithm.Sha256 },
        { KeyAlgorithm.Rsa3072, SignatureScheme.RsaPkcs1, DigestAlgorithm.Sha512 },
        { KeyAlgorithm.Rsa3072, SignatureScheme.RsaPss, DigestAlgorithm.Sha384 },
        { KeyAlgorithm.Rsa4096, SignatureScheme.RsaPkcs1, DigestAlgorithm.Sha384 },
        { KeyAlgorithm.Rsa4096, SignatureScheme.RsaPss, DigestAlgorithm.Sha512 },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task SignAsync_EachAlgorithm_VerifiesWithDotNetAndOpenSsl(KeyAlgorithm algorithm, SignatureScheme scheme, DigestAlgorithm digest)
    {
        // Arrange
        KeyInfo key = await fixture.KeyAsync(algorithm);
        byte[] artifact = System.Text.Encoding.UTF8.GetBytes($"artifact for {algorithm} {scheme} {digest} {Guid.NewGuid()}");
        var input = new SignInput(scheme == SignatureScheme.Ed25519 ? artifact : TestData.Digest(digest, artifact), digest, scheme);

        // Act
        byte[] signature = await fixture.Store.SignAsync(key.Name, input);

        // Assert
        Assert.Equal(algorithm, key.Algorithm);
        Assert.True(SignatureVerification.Verify(key.SubjectPublicKeyInfo.Span, input, signature), ".NET rejected the signature");
        string dir = fixture.Temp.File($"{algorithm}-{scheme}-{digest}");
        Directory.CreateDirectory(dir);
        string pem = Path.Combine(dir, "key.pem"), data = Path.Combine(dir, "data.bin"), sig = Path.Combine(dir, "sig.bin");
        await File.WriteAllTextAsync(pem, PublicKeyFormats.ToPem(key.SubjectPublicKeyInfo.Span));
        await File.WriteAllBytesAsync(data, artifact);
        byte[] forOpenSsl = scheme == SignatureScheme.EcdsaRaw ? SignatureEncoding.EcdsaRawToDer(signature) : signature;
        await File.WriteAllBytesAsync(sig, forOpenSsl);

        var args = scheme == SignatureScheme.Ed25519
            ? new List<string> { "pkeyutl", "-verify", "-pubin", "-inkey", pem, "-rawin", "-in", data, "-sigfile", sig }
            : new List<string> { "dgst", "-" + Algorithms.Name(digest), "-verify", pem, "-signature", sig };
        if (scheme == SignatureScheme.RsaPss)
        {
            args.AddRange(["-sigopt", "rsa_padding_mode:pss", "-sigopt", "rsa_pss_saltlen:digest"]);
        }

        if (scheme != SignatureScheme.Ed25519)
        {
            args.Add(data);
        }

        ProcessResult result = await ProcessRunner.RunAsync("openssl", args);
        Assert.True(result.ExitCode == 0, $"openssl rejected the signature: {result.StandardOutput} {result.StandardError}");
        string said = result.StandardOutput + result.StandardError;
        Assert.True(said.Contains("Verified OK", StringComparison.Ordinal) || said.Contains("Signature Verified Successfully", StringComparison.Ordinal), said);
    }
}
