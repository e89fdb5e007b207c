// SPDX-License-Identifier: Apache-2.0
using System.Security.Cryptography;
using KeyCustody.Core;
using KeyCustody.Testing;
using Xunit;

namespace KeyCustody.Tpm.Tests;

public sealed class TpmAuditSignerTests(TpmFixture tpm) : IClassFixture<TpmFixture>
{
    [Fact]
    public async Task SignDigestAsync_Signature_VerifiesWithDotNetEcdsa()
    {
        // Arrange
        using TpmAuditSigner signer = await tpm.Device.OpenAuditSignerAsync();
        byte[] message = "keycustody.example/log\n42\nroot\n"u8.ToArray();
        using var verifier = ECDsa.Create();
        verifier.ImportSubjectPublicKeyInfo(signer.SubjectPublicKeyInfo.Span, out _);

        // Act
        byte[] signature = await signer.SignDigestAsync(SHA256.HashData(message));

        // Assert
        Assert.True(verifier.VerifyData(message, signature, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence));
        Assert.False(verifier.VerifyData("another checkpoint"u8, signature, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence));
        Assert.Equal(256, verifier.KeySize);
    }

    [Fact]
    public async Task SignDigestAsync_Signature_VerifiesWithOpenssl()
    {
        // Arrange
        using TpmAuditSigner signer = await tpm.Device.OpenAuditSignerAsync();
        using var dir = new TempDirectory("keycustody-audit-openssl");
        byte[] message = "checkpoint body for openssl\n"u8.ToArray();
        byte[] digest = SHA256.HashData(message);
        await File.WriteAllTextAsync(dir.File("audit.pem"), signer.PublicKeyPem);
        await File.WriteAllBytesAsync(dir.File("message.txt"), message);
        await File.WriteAllBytesAsync(dir.File("digest.bin"), digest);

        // Act
        await File.WriteAllBytesAsync(dir.File("signature.der"), await signer.SignDigestAsync(digest));
        ProcessResult dgst = await ProcessRunner.RunAsync("openssl",
            "dgst", "-sha256", "-verify", dir.File("audit.pem"), "-signature", dir.File("signature.der"), dir.File("message.txt"));
        ProcessResult pkeyutl = await ProcessRunner.RunAsync("openssl",
            "pkeyutl", "-verify", "-pubin", "-inkey", dir.File("audit.pem"), "-in", dir.File("digest.bin"), "-sigfile", dir.File("signature.der"));
        await File.WriteAllBytesAsync(dir.File("message.txt"), "tampered"u8.ToArray());
        ProcessResult tampered = await ProcessRunner.RunAsync("openssl",
            "dgst", "-sha256", "-verify", dir.File("audit.pem"), "-signature", dir.File("signature.der"), dir.File("message.txt"));

        // Assert
        Assert.True(dgst.ExitCode == 0, dgst.StandardOutput + dgst.StandardError);
        Assert.Contains("Verified OK", dgst.StandardOutput);
        Assert.True(pkeyutl.ExitCode == 0, pkeyutl.StandardOutput + pkeyutl.StandardError);
        Assert.NotEqual(0, tampered.ExitCode);
    }

    [Fact]
    public async Task OpenAsync_Key_IsNonExportableAndStableAcrossContexts()
    {
        // Arrange
        using TpmAuditSigner first = await tpm.Device.OpenAuditSignerAsync();

        // Act
        using TpmDevice another = await tpm.OpenAnotherAsync();
        using TpmAuditSigner second = await another.OpenAuditSignerAsync();

        // Assert
        Assert.True(first.Key.FixedTpm);
        Assert.True(first.Key.FixedParent);
        Assert.True(first.Key.SensitiveDataOrigin);
        Assert.False(first.Key.Restricted);
        Assert.Equal(first.SubjectPublicKeyInfo.ToArray(), second.SubjectPublicKeyInfo.ToArray());
    }

    [Fact]
    public async Task SignDigestAsync_NotASha256Digest_ThrowsInvalidArgument()
    {
        // Arrange
        using TpmAuditSigner signer = await tpm.Device.OpenAuditSignerAsync();

        // Act
        var error = await Assert.ThrowsAsync<CustodyException>(async () => await signer.SignDigestAsync(new byte[48]));

        // Assert
        Assert.Equal(CustodyStatus.InvalidArgument, error.Status);
    }
}
