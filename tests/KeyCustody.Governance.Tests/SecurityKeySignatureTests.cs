// SPDX-License-Identifier: Apache-2.0
using System.Text;
using KeyCustody.Core;
using Xunit;

namespace KeyCustody.Governance.Tests;

/// <summary>
/// sk- signatures built in software with the PROTOCOL.u2f layout (no FIDO hardware here). OpenSSH's own
/// verifier accepts the user-present ones, which shows the layout is the real one.
/// </summary>
public sealed class SecurityKeySignatureTests(SshKeygen keys) : IClassFixture<SshKeygen>
{
    private static readonly byte[] s_message = Encoding.UTF8.GetBytes("keycustody-approval-v1\nrequest: sk-1\n");

    [Theory]
    [InlineData(SshKeyType.SkEcdsaP256, "sha512")]
    [InlineData(SshKeyType.SkEcdsaP256, "sha256")]
    [InlineData(SshKeyType.SkEd25519, "sha512")]
    [InlineData(SshKeyType.SkEd25519, "sha256")]
    public async Task Verify_UserPresent_VerifiesHereAndInOpenSsh(SshKeyType type, string hashAlgorithm)
    {
        // Arrange
        using SkSigner signer = SkSigner.Create(type);
        string armored = signer.Sign(s_message, SshNamespaces.Approval, flags: 0x01, counter: 42, hashAlgorithm: hashAlgorithm);

        // Act
        VerifiedSshSignature verified = SshSignatureVerifier.Verify(s_message, armored, SshNamespaces.Approval);
        var openssh = await keys.CheckWithOpenSshAsync(s_message, armored, SshNamespaces.Approval);

        // Assert
        Assert.Equal(signer.PublicKey, verified.Signer);
        Assert.Equal((byte)0x01, verified.SecurityKeyFlags);
        Assert.Equal(42u, verified.SecurityKeyCounter);
        Assert.True(openssh.ExitCode == 0, $"ssh-keygen -Y check-novalidate rejected it: {openssh.StandardError}");
    }

    [Theory]
    [InlineData(SshKeyType.SkEcdsaP256)]
    [InlineData(SshKeyType.SkEd25519)]
    public void Verify_UserPresenceFlagClear_Unauthenticated(SshKeyType type)
    {
        // Arrange: flags 0x04 = user verified, but not user present.
        using SkSigner signer = SkSigner.Create(type);
        string armored = signer.Sign(s_message, SshNamespaces.Approval, flags: 0x04);

        // Act
        var e = Assert.Throws<CustodyException>(() => SshSignatureVerifier.Verify(s_message, armored, SshNamespaces.Approval));

        // Assert
        Assert.Equal(CustodyStatus.Unauthenticated, e.Status);
        Assert.Contains("lacks the user-presence flag", e.Message);
    }

    [Theory]
    [InlineData(SshKeyType.SkEcdsaP256)]
    [InlineData(SshKeyType.SkEd25519)]
    public void Verify_FlagsRewrittenAfterSigning_Unauthenticated(SshKeyType type)
    {
        // Arrange: signed without presence, then the flags byte outside the signature is set to 0x01.
        using SkSigner signer = SkSigner.Create(type);
        string armored = signer.Sign(s_message, SshNamespaces.Approval, flags: 0x00, counter: 9);
        SshSignature parsed = SshSignature.ParseArmored(armored);
        byte[] signature = parsed.SignatureBlob.ToArray();
        signature[^5] = 0x01;
        byte[] blob = new SshWireWriter()
            .WriteRaw("SSHSIG"u8).WriteUInt32(1).WriteString(parsed.PublicKey.Blob.Span).WriteString(parsed.Namespace)
            .WriteString([]).WriteString(parsed.HashAlgorithm).WriteString(signature).ToArray();

        // Act
        var e = Assert.Throws<CustodyException>(() => SshSignatureVerifier.Verify(s_message, SkSigner.Armor(blob), SshNamespaces.Approval));

        // Assert
        Assert.Equal(CustodyStatus.Unauthenticated, e.Status);
        Assert.Contains("does not match the message", e.Message);
    }

    [Fact]
    public void Verify_ExtensionDataFlag_Unauthenticated()
    {
        // Arrange
        using SkSigner signer = SkSigner.Create(SshKeyType.SkEcdsaP256);
        string armored = signer.Sign(s_message, SshNamespaces.Approval, flags: 0x81);

        // Act
        var e = Assert.Throws<CustodyException>(() => SshSignatureVerifier.Verify(s_message, armored, SshNamespaces.Approval));

        // Assert
        Assert.Equal(CustodyStatus.Unauthenticated, e.Status);
        Assert.Contains("extension data", e.Message);
    }

    [Theory]
    [InlineData(SshKeyType.SkEcdsaP256)]
    [InlineData(SshKeyType.SkEd25519)]
    public void Verify_OtherApplicationThanSigned_Unauthenticated(SshKeyType type)
    {
        // Arrange: the same private key material under an enrolled key whose application differs cannot exist,
        // so emulate it by signing with one application and presenting another signer's key blob.
        using SkSigner signer = SkSigner.Create(type, "ssh:one");
        using SkSigner other = SkSigner.Create(type, "ssh:two");
        string armored = signer.Sign(s_message, SshNamespaces.Approval);
        SshSignature parsed = SshSignature.ParseArmored(armored);
        byte[] blob = new SshWireWriter()
            .WriteRaw("SSHSIG"u8).WriteUInt32(1).WriteString(other.PublicKeyBlob).WriteString(parsed.Namespace)
            .WriteString([]).WriteString(parsed.HashAlgorithm).WriteString(parsed.SignatureBlob.Span).ToArray();

        // Act
        var e = Assert.Throws<CustodyException>(() => SshSignatureVerifier.Verify(s_message, SkSigner.Armor(blob), SshNamespaces.Approval));

        // Assert
        Assert.Equal(CustodyStatus.Unauthenticated, e.Status);
    }

    [Fact]
    public void Verify_WrongNamespace_Unauthenticated()
    {
        // Arrange
        using SkSigner signer = SkSigner.Create(SshKeyType.SkEd25519);
        string armored = signer.Sign(s_message, "file");

        // Act
        var e = Assert.Throws<CustodyException>(() => SshSignatureVerifier.Verify(s_message, armored, SshNamespaces.Approval));

        // Assert
        Assert.Equal(CustodyStatus.Unauthenticated, e.Status);
        Assert.Contains("namespace 'file'", e.Message);
    }
}
