// SPDX-License-Identifier: Apache-2.0
using System.Text;
using KeyCustody.Core;
using Xunit;

namespace KeyCustody.Governance.Tests;

public sealed class SshSignatureVerifierTests(SshKeygen keys) : IClassFixture<SshKeygen>
{
    private static readonly byte[] s_message = Encoding.UTF8.GetBytes("keycustody-approval-v1\nrequest: r-1\n");

    [Theory]
    [InlineData("alice", null)]
    [InlineData("alice", "sha256")]
    [InlineData("erin", null)]
    [InlineData("erin", "sha256")]
    public async Task Verify_SshKeygenSignature_Verifies(string name, string? hashAlgorithm)
    {
        // Arrange
        string armored = await keys.SignAsync(name, s_message, SshNamespaces.Approval, hashAlgorithm);

        // Act
        VerifiedSshSignature verified = SshSignatureVerifier.Verify(s_message, armored, SshNamespaces.Approval);

        // Assert
        Assert.Equal(keys[name], verified.Signer);
        Assert.Equal(hashAlgorithm ?? "sha512", verified.Signature.HashAlgorithm);
        Assert.Equal(SshNamespaces.Approval, verified.Signature.Namespace);
        Assert.Null(verified.SecurityKeyFlags);
    }

    [Theory]
    [InlineData("alice")]
    [InlineData("erin")]
    public async Task Verify_WrongNamespace_Unauthenticated(string name)
    {
        // Arrange
        string armored = await keys.SignAsync(name, s_message, SshNamespaces.Ceremony);

        // Act
        var e = Assert.Throws<CustodyException>(() => SshSignatureVerifier.Verify(s_message, armored, SshNamespaces.Approval));

        // Assert
        Assert.Equal(CustodyStatus.Unauthenticated, e.Status);
        Assert.Contains("namespace 'keycustody-ceremony', expected 'keycustody-approval'", e.Message);
    }

    [Theory]
    [InlineData("alice")]
    [InlineData("erin")]
    public async Task Verify_OtherMessage_Unauthenticated(string name)
    {
        // Arrange
        string armored = await keys.SignAsync(name, s_message, SshNamespaces.Approval);
        byte[] other = [.. s_message, (byte)'x'];

        // Act
        var e = Assert.Throws<CustodyException>(() => SshSignatureVerifier.Verify(other, armored, SshNamespaces.Approval));

        // Assert
        Assert.Equal(CustodyStatus.Unauthenticated, e.Status);
        Assert.Contains("does not match the message", e.Message);
    }

    [Theory]
    [InlineData("alice")]
    [InlineData("erin")]
    public async Task Verify_FlippedBitInSignature_Unauthenticated(string name)
    {
        // Arrange: flip one bit near the end of the blob, inside the signature bytes.
        string armored = await keys.SignAsync(name, s_message, SshNamespaces.Approval);
        byte[] blob = Dearmor(armored);
        blob[^5] ^= 0x10;

        // Act
        var e = Assert.Throws<CustodyException>(() => SshSignatureVerifier.Verify(s_message, SkSigner.Armor(blob), SshNamespaces.Approval));

        // Assert
        Assert.Equal(CustodyStatus.Unauthenticated, e.Status);
    }

    [Fact]
    public async Task Verify_SignatureMovedToOtherKey_Unauthenticated()
    {
        // Arrange: keep alice's signature but claim bob's public key in the SSHSIG blob.
        string armored = await keys.SignAsync("alice", s_message, SshNamespaces.Approval);
        SshSignature parsed = SshSignature.ParseArmored(armored);
        byte[] forged = new SshWireWriter()
            .WriteRaw("SSHSIG"u8).WriteUInt32(1).WriteString(keys["bob"].Blob.Span).WriteString(parsed.Namespace)
            .WriteString(parsed.Reserved.Span).WriteString(parsed.HashAlgorithm).WriteString(parsed.SignatureBlob.Span).ToArray();

        // Act
        var e = Assert.Throws<CustodyException>(() => SshSignatureVerifier.Verify(s_message, SkSigner.Armor(forged), SshNamespaces.Approval));

        // Assert
        Assert.Equal(CustodyStatus.Unauthenticated, e.Status);
        Assert.Contains(keys["bob"].Fingerprint, e.Message);
    }

    [Fact]
    public async Task Verify_SignatureOfOtherKeyType_Unauthenticated()
    {
        // Arrange: an ECDSA signature structure under an Ed25519 key.
        string ecdsa = await keys.SignAsync("erin", s_message, SshNamespaces.Approval);
        SshSignature parsed = SshSignature.ParseArmored(ecdsa);
        byte[] forged = new SshWireWriter()
            .WriteRaw("SSHSIG"u8).WriteUInt32(1).WriteString(keys["alice"].Blob.Span).WriteString(parsed.Namespace)
            .WriteString(parsed.Reserved.Span).WriteString(parsed.HashAlgorithm).WriteString(parsed.SignatureBlob.Span).ToArray();

        // Act
        var e = Assert.Throws<CustodyException>(() => SshSignatureVerifier.Verify(s_message, SkSigner.Armor(forged), SshNamespaces.Approval));

        // Assert
        Assert.Equal(CustodyStatus.Unauthenticated, e.Status);
        Assert.Contains("signature type 'ecdsa-sha2-nistp256' does not match key type 'ssh-ed25519'", e.Message);
    }

    [Fact]
    public async Task ParseArmored_CrLfAndSurroundingWhitespace_Accepted()
    {
        // Arrange
        string armored = await keys.SignAsync("bob", s_message, SshNamespaces.Approval);
        string windows = "\r\n  " + armored.Replace("\n", "\r\n") + "\r\n";

        // Act
        VerifiedSshSignature verified = SshSignatureVerifier.Verify(s_message, windows, SshNamespaces.Approval);

        // Assert
        Assert.Equal(keys["bob"], verified.Signer);
    }

    [Theory]
    [InlineData("", "start with '-----BEGIN SSH SIGNATURE-----'")]
    [InlineData("-----BEGIN SSH SIGNATURE-----\nU1NIU0lH\n", "end with")]
    [InlineData("-----BEGIN SSH SIGNATURE-----\n%%%%\n-----END SSH SIGNATURE-----", "not valid base64")]
    [InlineData("-----BEGIN SSH SIGNATURE-----\nQUJDREVG\n-----END SSH SIGNATURE-----", "SSHSIG magic")]
    [InlineData("-----BEGIN SSH SIGNATURE-----\nU1NIU0lHAAAAAg==\n-----END SSH SIGNATURE-----", "version 2 is not supported")]
    [InlineData("-----BEGIN SSH SIGNATURE-----\nU1NIU0lHAAAAAQAA\n-----END SSH SIGNATURE-----", "truncated")]
    public void TryParseArmored_Malformed_ReturnsReason(string armored, string reasonFragment)
    {
        // Act
        bool parsed = SshSignature.TryParseArmored(armored, out _, out string? error);

        // Assert
        Assert.False(parsed);
        Assert.Contains(reasonFragment, error);
    }

    [Fact]
    public async Task Verify_TrailingBytesInBlob_InvalidArgument()
    {
        // Arrange
        byte[] blob = [.. Dearmor(await keys.SignAsync("alice", s_message, SshNamespaces.Approval)), 0x00];

        // Act
        var e = Assert.Throws<CustodyException>(() => SshSignatureVerifier.Verify(s_message, SkSigner.Armor(blob), SshNamespaces.Approval));

        // Assert
        Assert.Equal(CustodyStatus.InvalidArgument, e.Status);
        Assert.Contains("trailing", e.Message);
    }

    [Fact]
    public async Task BlobSha256_SameAndDifferentSignatures_StableAndDistinct()
    {
        // Arrange: ECDSA signatures are randomised, so two signatures of one message differ.
        string first = await keys.SignAsync("erin", s_message, SshNamespaces.Approval);
        string second = await keys.SignAsync("erin", s_message, SshNamespaces.Approval);

        // Act
        string a = SshSignature.ParseArmored(first).BlobSha256;
        string aAgain = SshSignature.ParseArmored(first.Replace("\n", "\r\n")).BlobSha256;
        string b = SshSignature.ParseArmored(second).BlobSha256;

        // Assert
        Assert.Equal(a, aAgain);
        Assert.NotEqual(a, b);
        Assert.Equal(64, a.Length);
    }

    private static byte[] Dearmor(string armored) =>
        Convert.FromBase64String(string.Concat(armored.Split('\n').Where(l => l.Length > 0 && !l.StartsWith("-----", StringComparison.Ordinal))));
}
