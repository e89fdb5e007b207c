// SPDX-License-Identifier: Apache-2.0
using System.CommandLine;
using System.Text;
using KeyCustody.Audit;
using KeyCustody.Cli.Commands;
using KeyCustody.Testing;
using Xunit;

namespace KeyCustody.Audit.Tests;

/// <summary>
/// `keycustody audit verify-receipt | verify-log | consistency` on good and tampered inputs: in-process through the
/// command tree, and end to end through the built keycustody.dll for exit codes.
/// </summary>
public sealed class AuditCommandsTests : IAsyncLifetime
{
    private const string Origin = "keycustody.test/cli";
    private readonly TempDirectory _temp = new("keycustody-cli");
    private readonly EcdsaAuditSigner _key = EcdsaAuditSigner.Generate();
    private readonly EcdsaAuditSigner _otherKey = EcdsaAuditSigner.Generate();
    private TestLog _log = null!;

    private string KeyPem => _temp.File("audit-key.pem");

    public async Task InitializeAsync()
    {
        _log = await TestLog.BuildAsync(_key, Origin, 20, 6);
        await File.WriteAllTextAsync(KeyPem, _key.ExportPublicKeyPem());
        await File.WriteAllTextAsync(_temp.File("other-key.pem"), _otherKey.ExportPublicKeyPem());
        await File.WriteAllBytesAsync(_temp.File("log.jsonl"), _log.Export());
        await File.WriteAllBytesAsync(_temp.File("receipt.json"), _log.Receipt(11, _log.Checkpoints[^1]).ToJson());
        await File.WriteAllTextAsync(_temp.File("old.note"), _log.Checkpoints[0].Note);
        await File.WriteAllTextAsync(_temp.File("new.note"), _log.Checkpoints[^1].Note);
        await File.WriteAllBytesAsync(_temp.File("proof.json"), _log.Consistency(6, 20).ToJson());
    }

    [Fact]
    public async Task VerifyReceipt_GoodReceipt_PrintsWhatWasVerifiedAndExitsZero()
    {
        // Arrange
        string[] args = ["audit", "verify-receipt", _temp.File("receipt.json"), "--audit-key", KeyPem];

        // Act
        (int exit, string output, string error) = await InvokeAsync(args);

        // Assert
        Assert.Equal(AuditCommands.Verified, exit);
        Assert.Empty(error);
        Assert.Contains($"OK: entry 11 is in the audit log '{Origin}'", output, StringComparison.Ordinal);
        Assert.Contains("test.vector at 2025-01-01T00:00:11.000Z", output, StringComparison.Ordinal);
        Assert.Contains($"tree size 20, root {MerkleHash.ToHex(_log.Tree.Root())}", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task VerifyReceipt_TamperedEntry_ExitsOneAndSaysWhy()
    {
        // Arrange
        AuditReceipt receipt = _log.Receipt(3, _log.Checkpoints[^1]);
        byte[] entry = (byte[])receipt.Entry.Clone();
        entry[^3] ^= 0x01;
        await File.WriteAllBytesAsync(_temp.File("tampered.json"), (receipt with { Entry = entry }).ToJson());

        // Act
        (int exit, string output, string error) = await InvokeAsync(["audit", "verify-receipt", _temp.File("tampered.json"), "--audit-key", KeyPem]);

        // Assert
        Assert.Equal(AuditCommands.VerificationFailed, exit);
        Assert.DoesNotContain("OK", output, StringComparison.Ordinal);
        Assert.Contains("FAILED (InclusionProofInvalid)", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task VerifyReceipt_WrongAuditKey_ExitsOneWithUnknownKey()
    {
        // Act
        (int exit, _, string error) = await InvokeAsync(["audit", "verify-receipt", _temp.File("receipt.json"), "--audit-key", _temp.File("other-key.pem")]);

        // Assert
        Assert.Equal(AuditCommands.VerificationFailed, exit);
        Assert.Contains("FAILED (UnknownKey)", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task VerifyReceipt_OriginPinnedToAnotherLog_ExitsOne()
    {
        // Act
        (int exit, _, string error) = await InvokeAsync(["audit", "verify-receipt", _temp.File("receipt.json"), "--audit-key", KeyPem, "--origin", "keycustody.test/elsewhere"]);

        // Assert
        Assert.Equal(AuditCommands.VerificationFailed, exit);
        Assert.Contains("FAILED (OriginMismatch)", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task VerifyLog_GoodExport_ReportsEntriesAndCheckpoints()
    {
        // Act
        (int exit, string output, string error) = await InvokeAsync(["audit", "verify-log", _temp.File("log.jsonl"), "--audit-key", KeyPem, "--origin", Origin]);

        // Assert
        Assert.Equal(AuditCommands.Verified, exit);
        Assert.Empty(error);
        Assert.Contains("entries:     20, numbered 0 to 19", output, StringComparison.Ordinal);
        Assert.Contains("checkpoints: 4,", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task VerifyLog_ReorderedEntries_ExitsOne()
    {
        // Arrange
        string[] lines = Encoding.UTF8.GetString(_log.Export()).TrimEnd('\n').Split('\n');
        (lines[2], lines[3]) = (lines[3], lines[2]);
        await File.WriteAllTextAsync(_temp.File("reordered.jsonl"), string.Join('\n', lines) + "\n");

        // Act
        (int exit, _, string error) = await InvokeAsync(["audit", "verify-log", _temp.File("reordered.jsonl"), "--audit-key", KeyPem]);

        // Assert
        Assert.Equal(AuditCommands.VerificationFailed, exit);
        Assert.Contains("FAILED (EntryOutOfOrder)", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Consistency_WithProof_ExitsZero()
    {
        // Act
        (int exit, string output, _) = await InvokeAsync(["audit", "consistency", _temp.File("old.note"), _temp.File("new.note"), "--proof", _temp.File("proof.json"), "--audit-key", KeyPem]);

        // Assert
        Assert.Equal(AuditCommands.Verified, exit);
        Assert.Contains("at size 20 extends its state at size 6", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Consistency_WithLogExport_ExitsZero()
    {
        // Act
        (int exit, string output, _) = await InvokeAsync(["audit", "consistency", _temp.File("old.note"), _temp.File("new.note"), "--log", _temp.File("log.jsonl"), "--audit-key", KeyPem]);

        // Assert
        Assert.Equal(AuditCommands.Verified, exit);
        Assert.Contains("the log export verified in full", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Consistency_ForkedNewCheckpoint_ExitsOne()
    {
        // Arrange: the same key signed a different history of the same length (a split view).
        using TestLog fork = await TestLog.BuildAsync(_key, Origin, 20, 6, tag: "fork");
        await File.WriteAllTextAsync(_temp.File("fork.note"), fork.Checkpoints[^1].Note);

        // Act
        (int exit, _, string error) = await InvokeAsync(["audit", "consistency", _temp.File("old.note"), _temp.File("fork.note"), "--proof", _temp.File("proof.json"), "--audit-key", KeyPem]);

        // Assert
        Assert.Equal(AuditCommands.VerificationFailed, exit);
        Assert.Contains("FAILED (ConsistencyProofInvalid)", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Consistency_BothProofAndLog_IsAUsageError()
    {
        // Act
        (int exit, _, string error) = await InvokeAsync(["audit", "consistency", _temp.File("old.note"), _temp.File("new.note"),
            "--proof", _temp.File("proof.json"), "--log", _temp.File("log.jsonl"), "--audit-key", KeyPem]);

        // Assert
        Assert.NotEqual(AuditCommands.Verified, exit);
        Assert.Contains("exactly one of --proof", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task VerifyReceipt_MissingFile_ExitsTwo()
    {
        // Act
        (int exit, _, string error) = await InvokeAsync(["audit", "verify-receipt", _temp.File("nope.json"), "--audit-key", KeyPem]);

        // Assert
        Assert.Equal(AuditCommands.UnusableInput, exit);
        Assert.Contains("does not exist", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task BuiltCli_GoodAndTamperedLog_ExitCodesAreZeroAndOne()
    {
        // Arrange: the real executable, as an auditor runs it.
        string cli = Path.Combine(AppContext.BaseDirectory, "keycustody.dll");
        byte[] export = _log.Export();
        export[^40] ^= 0x04;
        await File.WriteAllBytesAsync(_temp.File("damaged.jsonl"), export);

        // Act
        ProcessResult good = await ProcessRunner.RunAsync("dotnet", cli, "audit", "verify-log", _temp.File("log.jsonl"), "--audit-key", KeyPem);
        ProcessResult bad = await ProcessRunner.RunAsync("dotnet", cli, "audit", "verify-log", _temp.File("damaged.jsonl"), "--audit-key", KeyPem);

        // Assert
        Assert.Equal(0, good.ExitCode);
        Assert.Contains($"OK: the log export of '{Origin}' verifies", good.StandardOutput, StringComparison.Ordinal);
        Assert.Equal(1, bad.ExitCode);
        Assert.Contains("FAILED", bad.StandardError, StringComparison.Ordinal);
    }

    private static async Task<(int Exit, string Output, string Error)> InvokeAsync(string[] args)
    {
        var root = new RootCommand("keycustody (test)");
        root.Subcommands.Add(AuditCommands.Create());
        var output = new StringWriter();
        var error = new StringWriter();
        int exit = await root.Parse(args).InvokeAsync(new InvocationConfiguration { Output = output, Error = error });
        return (exit, output.ToString(), error.ToString());
    }

    public Task DisposeAsync()
    {
        _log.Dispose();
        _key.Dispose();
        _otherKey.Dispose();
        _temp.Dispose();
        return Task.CompletedTask;
    }
}
