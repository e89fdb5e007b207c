// SPDX-License-Identifier: Apache-2.0
using System.Text;
using KeyCustody.Cli.Ssh;
using KeyCustody.Core;
using KeyCustody.Testing;
using Xunit;

namespace KeyCustody.Cli.Tests;

public sealed class SshKeygenTests : IDisposable
{
    private readonly TempDirectory _temp = new("keycustody-cli-ssh");

    public void Dispose() => _temp.Dispose();

    private async Task<string> NewKeyAsync(string type, string name)
    {
        string key = _temp.File(name);
        await ProcessRunner.RunAsync("ssh-keygen", "-q", "-t", type, "-N", "", "-C", name, "-f", key).ContinueWith(t => t.Result.EnsureSuccess("ssh-keygen"));
        return key;
    }

    [Theory]
    [InlineData("ed25519")]
    [InlineData("ecdsa")]
    public async Task SignAsync_RealKey_SignatureVerifiesWithSshKeygen(string type)
    {
        // Arrange
        string key = await NewKeyAsync(type, "alice");
        byte[] statement = Encoding.UTF8.GetBytes("keycustody-approval-v1\nrequest: r-1\nkey: dev-release\n");
        string publicKey = (await File.ReadAllTextAsync(key + ".pub")).Trim();
        string allowed = _temp.File("allowed_signers");
        await File.WriteAllTextAsync(allowed, $"alice namespaces=\"keycustody-approval\" {publicKey}\n");
        string statementFile = _temp.File("statement");
        await File.WriteAllBytesAsync(statementFile, statement);
        var prompts = new StringWriter();

        // Act
        string signature = await SshKeygen.SignAsync(key, "keycustody-approval", statement, prompts, CancellationToken.None);

        // Assert
        Assert.True(SshKeygen.IsArmoredSignature(signature));
        string signatureFile = _temp.File("statement.sig");
        await File.WriteAllTextAsync(signatureFile, signature);
        ProcessResult verify = await ProcessRunner.RunAsync("ssh-keygen",
            ["-Y", "verify", "-f", allowed, "-I", "alice", "-n", "keycustody-approval", "-s", signatureFile],
            standardInput: Encoding.UTF8.GetString(statement));
        Assert.True(verify.ExitCode == 0, verify.StandardError + verify.StandardOutput);
        Assert.Equal(string.Empty, prompts.ToString());
    }

    [Fact]
    public async Task SignAsync_OtherNamespace_DoesNotVerifyAsApproval()
    {
        // Arrange
        string key = await NewKeyAsync("ed25519", "bob");
        byte[] statement = Encoding.UTF8.GetBytes("statement");
        string publicKey = (await File.ReadAllTextAsync(key + ".pub")).Trim();
        string allowed = _temp.File("allowed_signers");
        await File.WriteAllTextAsync(allowed, $"bob {publicKey}\n");

        // Act
        string signature = await SshKeygen.SignAsync(key, "keycustody-ceremony", statement, TextWriter.Null, CancellationToken.None);

        // Assert
        string signatureFile = _temp.File("s.sig");
        await File.WriteAllTextAsync(signatureFile, signature);
        ProcessResult verify = await ProcessRunner.RunAsync("ssh-keygen",
            ["-Y", "verify", "-f", allowed, "-I", "bob", "-n", "keycustody-approval", "-s", signatureFile],
            standardInput: "statement");
        Assert.NotEqual(0, verify.ExitCode);
    }

    [Fact]
    public async Task SignAsync_MissingKey_ThrowsInvalidArgument()
    {
        // Arrange
        string key = _temp.File("absent");

        // Act
        var e = await Assert.ThrowsAsync<CustodyException>(() =>
            SshKeygen.SignAsync(key, "keycustody-approval", new byte[] { 1 }, TextWriter.Null, CancellationToken.None));

        // Assert
        Assert.Equal(CustodyStatus.InvalidArgument, e.Status);
        Assert.Contains(key, e.Message);
    }

    [Fact]
    public async Task SignAsync_NotAKey_ReportsSshKeygenFailureInOneMessage()
    {
        // Arrange
        string key = _temp.File("garbage");
        await File.WriteAllTextAsync(key, "this is not a key\n");
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(key, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        // Act
        var e = await Assert.ThrowsAsync<CustodyException>(() =>
            SshKeygen.SignAsync(key, "keycustody-approval", new byte[] { 1 }, TextWriter.Null, CancellationToken.None));

        // Assert
        Assert.Equal(CustodyStatus.Unauthenticated, e.Status);
        Assert.Contains("ssh-keygen could not sign", e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Theory]
    [InlineData("")]
    [InlineData("two words")]
    public async Task SignAsync_BadNamespace_IsRejectedBeforeRunningSshKeygen(string ns)
    {
        // Arrange
        string key = await NewKeyAsync("ed25519", "carol");

        // Act
        var e = await Assert.ThrowsAsync<CustodyException>(() =>
            SshKeygen.SignAsync(key, ns, new byte[] { 1 }, TextWriter.Null, CancellationToken.None));

        // Assert
        Assert.Equal(CustodyStatus.InvalidArgument, e.Status);
    }
}
