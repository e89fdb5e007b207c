// SPDX-License-Identifier: Apache-2.0
using KeyCustody.Core;
using KeyCustody.Testing;
using Xunit;

namespace KeyCustody.Governance.Tests;

public sealed class SshPublicKeyTests(SshKeygen keys) : IClassFixture<SshKeygen>
{
    [Theory]
    [InlineData("alice", SshKeyType.Ed25519)]
    [InlineData("erin", SshKeyType.EcdsaP256)]
    public async Task Parse_KeyFromSshKeygen_FingerprintMatchesSshKeygenL(string name, SshKeyType expectedType)
    {
        // Arrange
        string line = await File.ReadAllTextAsync(keys.PublicKeyPath(name));
        ProcessResult listed = (await ProcessRunner.RunAsync("ssh-keygen", "-l", "-E", "sha256", "-f", keys.PublicKeyPath(name))).EnsureSuccess("ssh-keygen -l");

        // Act
        SshPublicKey key = SshPublicKey.Parse(line);

        // Assert
        Assert.Equal(expectedType, key.KeyType);
        Assert.Equal(listed.StandardOutput.Split(' ')[1], key.Fingerprint);
        Assert.Equal(name + "@test", key.Comment);
        Assert.Equal(line.Trim(), key.ToAuthorizedKeysLine());
    }

    [Theory]
    [InlineData(SshKeyType.SkEcdsaP256)]
    [InlineData(SshKeyType.SkEd25519)]
    public async Task Parse_SecurityKey_FingerprintMatchesSshKeygenL(SshKeyType type)
    {
        // Arrange
        using SkSigner signer = SkSigner.Create(type, "ssh:keycustody");
        string path = Path.Combine(keys.Directory, $"sk-{type}.pub");
        await File.WriteAllTextAsync(path, signer.AuthorizedKeysLine() + "\n");
        ProcessResult listed = (await ProcessRunner.RunAsync("ssh-keygen", "-l", "-E", "sha256", "-f", path)).EnsureSuccess("ssh-keygen -l");

        // Act
        SshPublicKey key = SshPublicKey.Parse(signer.AuthorizedKeysLine());

        // Assert
        Assert.Equal(type, key.KeyType);
        Assert.Equal("ssh:keycustody", key.Application);
        Assert.Equal(listed.StandardOutput.Split(' ')[1], key.Fingerprint);
    }

    [Fact]
    public void Parse_LineWithOptions_SkipsOptionsField()
    {
        // Arrange
        string line = "no-touch-required,from=\"10.0.0.1, 10.0.0.2\" " + keys["alice"].ToAuthorizedKeysLine();

        // Act
        SshPublicKey key = SshPublicKey.Parse(line);

        // Assert
        Assert.Equal(keys["alice"], key);
        Assert.Equal(keys["alice"].Fingerprint, key.Fingerprint);
    }

    [Fact]
    public void Equals_SameBlobDifferentComment_AreEqual()
    {
        // Arrange
        string[] parts = keys["bob"].ToAuthorizedKeysLine().Split(' ');

        // Act
        SshPublicKey withoutComment = SshPublicKey.Parse($"{parts[0]} {parts[1]}");
        SshPublicKey otherComment = SshPublicKey.Parse($"{parts[0]} {parts[1]} someone else");

        // Assert
        Assert.Equal(withoutComment, otherComment);
        Assert.Null(withoutComment.Comment);
        Assert.Equal("someone else", otherComment.Comment);
        Assert.NotEqual(keys["alice"], withoutComment);
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC7", "not supported")]
    [InlineData("ssh-ed25519 !!!notbase64", "not valid base64")]
    [InlineData("ssh-ed25519", "expected")]
    [InlineData("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIA==", "truncated")]
    public void TryParse_BadLines_ReturnsReason(string line, string reasonFragment)
    {
        // Act
        bool parsed = SshPublicKey.TryParse(line, out SshPublicKey? key, out string? error);

        // Assert
        Assert.False(parsed);
        Assert.Null(key);
        Assert.Contains(reasonFragment, error);
    }

    [Fact]
    public void TryParse_TypeNameDisagreesWithBlob_Rejected()
    {
        // Arrange
        string blob = keys["alice"].ToAuthorizedKeysLine().Split(' ')[1];

        // Act
        bool parsed = SshPublicKey.TryParse("ecdsa-sha2-nistp256 " + blob, out _, out string? error);

        // Assert
        Assert.False(parsed);
        Assert.Contains("encoded key is 'ssh-ed25519'", error);
    }

    [Fact]
    public void FromBlob_TrailingBytes_Rejected()
    {
        // Arrange
        byte[] blob = [.. keys["alice"].Blob.Span, 0x00];

        // Act
        bool parsed = SshPublicKey.TryFromBlob(blob, null, out _, out string? error);

        // Assert
        Assert.False(parsed);
        Assert.Contains("trailing", error);
    }

    [Fact]
    public void FromBlob_PointNotOnCurve_Rejected()
    {
        // Arrange: flip the last byte of Y in the uncompressed point.
        byte[] blob = keys["erin"].Blob.ToArray();
        blob[^1] ^= 0x01;

        // Act
        bool parsed = SshPublicKey.TryFromBlob(blob, null, out _, out string? error);

        // Assert
        Assert.False(parsed);
        Assert.Contains("not an uncompressed point on P-256", error);
    }

    [Fact]
    public void Parse_Garbage_ThrowsInvalidArgument()
    {
        // Act
        var e = Assert.Throws<CustodyException>(() => SshPublicKey.Parse("hello world"));

        // Assert
        Assert.Equal(CustodyStatus.InvalidArgument, e.Status);
        Assert.StartsWith("Not a usable SSH public key:", e.Message);
    }
}
