// SPDX-License-Identifier: Apache-2.0
using System.CommandLine;
using System.Text;
using KeyCustody.Audit;
using KeyCustody.Core;

namespace KeyCustody.Cli.Commands;

/// <summary>
/// `keycustody audit …`: offline verification of receipts, log exports and checkpoint consistency with the
/// appliance's public audit key. Exit codes: 0 verified, 1 verification failed (or a command-line usage error, which
/// System.CommandLine reports with 1), 2 unusable input (missing file, unreadable key).
/// </summary>
public static class AuditCommands
{
    /// <summary>Exit code when everything verified.</summary>
    public const int Verified = 0;

    /// <summary>Exit code when the material did not verify.</summary>
    public const int VerificationFailed = 1;

    /// <summary>Exit code when the input could not be read at all.</summary>
    public const int UnusableInput = 2;

    /// <summary>Builds the `audit` command tree.</summary>
    public static Command Create()
    {
        var audit = new Command("audit", "Verify audit receipts, log exports and checkpoint consistency offline.");
        audit.Subcommands.Add(VerifyReceiptCommand());
        audit.Subcommands.Add(VerifyLogCommand());
        audit.Subcommands.Add(ConsistencyCommand());
        return audit;
    }

    private static Option<FileInfo> AuditKeyOption() => new("--audit-key")
    {
        Description = "The appliance's public audit key, PEM (PUBLIC KEY). Get it with GetAuditKey or from the appliance's records.",
        Required = true,
    };

    private static Option<string?> OriginOption() => new("--origin")
    {
        Description = "Also require the checkpoints to be from this log (the origin line / key name).",
    };

    private static Command VerifyReceiptCommand()
    {
        var receipt = new Argument<FileInfo>("RECEIPT") { Description = "A receipt file (keycustody-receipt/v1 JSON)." };
        Option<FileInfo> key = AuditKeyOption();
        Option<string?> origin = OriginOption();
        var command = new Command("verify-receipt", "Check that an entry is in the audit log: the checkpoint's signature and the inclusion proof.")
        {
            receipt, key, origin,
        };
        command.SetAction((ParseResult result, CancellationToken cancellationToken) => Run(result, (verifier, output) =>
        {
            byte[] bytes = ReadInput(result.GetRequiredValue(receipt), "receipt");
            ReceiptVerification verified = verifier.VerifyReceipt(bytes);
            Checkpoint checkpoint = verified.Checkpoint;
            output.WriteLine($"OK: entry {verified.LeafIndex} is in the audit log '{checkpoint.Origin}'.");
            output.WriteLine($"  entry:      {DescribeEntry(verified.Entry)}");
            output.WriteLine($"  leaf hash:  {MerkleHash.ToHex(MerkleHash.HashLeaf(verified.Entry))}");
            output.WriteLine($"  checkpoint: tree size {checkpoint.TreeSize}, root {MerkleHash.ToHex(checkpoint.RootHash)}");
            output.WriteLine($"  signed by:  '{checkpoint.Origin}' key id {SignedNote.FormatKeyId(verified.KeyId)} (the given audit key); inclusion proof of {checkpoint.TreeSize} leaves verified.");
        }, key, origin));
        return command;
    }

    private static Command VerifyLogCommand()
    {
        var export = new Argument<FileInfo>("EXPORT") { Description = "A log export (keycustody-log-export/v1 JSON lines)." };
        Option<FileInfo> key = AuditKeyOption();
        Option<string?> origin = OriginOption();
        var command = new Command("verify-log", "Recompute the whole Merkle tree of a log export and check every checkpoint against it.")
        {
            export, key, origin,
        };
        command.SetAction((ParseResult result, CancellationToken cancellationToken) => Run(result, (verifier, output) =>
        {
            FileInfo file = RequireFile(result.GetRequiredValue(export), "log export");
            LogVerification verified;
            using (FileStream stream = file.OpenRead())
            {
                verified = verifier.VerifyLogExport(stream, cancellationToken: cancellationToken);
            }

            output.WriteLine($"OK: the log export of '{verified.Origin}' verifies.");
            output.WriteLine($"  entries:     {verified.TreeSize}, numbered 0 to {verified.TreeSize - 1}, tree recomputed from their bytes");
            output.WriteLine($"  checkpoints: {verified.Checkpoints}, every one signed by the given audit key and matching the recomputed root at its size");
            output.WriteLine($"  root:        {MerkleHash.ToHex(verified.RootHash)} at size {verified.TreeSize}");
        }, key, origin));
        return command;
    }

    private static Command ConsistencyCommand()
    {
        var oldCheckpoint = new Argument<FileInfo>("OLD") { Description = "The older checkpoint (signed note file)." };
        var newCheckpoint = new Argument<FileInfo>("NEW") { Description = "The newer checkpoint (signed note file)." };
        var proof = new Option<FileInfo?>("--proof") { Description = "A consistency proof file (keycustody-consistency/v1 JSON) from OLD's size to NEW's." };
        var log = new Option<FileInfo?>("--log") { Description = "A log export instead of a proof: it is verified in full and must contain both checkpoints' trees." };
        Option<FileInfo> key = AuditKeyOption();
        Option<string?> origin = OriginOption();
        var command = new Command("consistency", "Check that the log at NEW extends the log at OLD (nothing was rewritten or removed).")
        {
            oldCheckpoint, newCheckpoint, proof, log, key, origin,
        };
        command.Validators.Add(result =>
        {
            if ((result.GetValue(proof) is null) == (result.GetValue(log) is null))
            {
                result.AddError("Give exactly one of --proof FILE or --log EXPORT.");
            }
        });
        command.SetAction((ParseResult result, CancellationToken cancellationToken) => Run(result, (verifier, output) =>
        {
            string oldNote = Encoding.UTF8.GetString(ReadInput(result.GetRequiredValue(oldCheckpoint), "old checkpoint"));
            string newNote = Encoding.UTF8.GetString(ReadInput(result.GetRequiredValue(newCheckpoint), "new checkpoint"));
            ConsistencyVerification verified;
            string how;
            if (result.GetValue(proof) is { } proofFile)
            {
                ConsistencyProofDocument document = ConsistencyProofDocument.Parse(ReadInput(proofFile, "consistency proof"));
                verified = verifier.VerifyConsistency(oldNote, newNote, document);
                how = $"consistency proof of {document.Proof.Count} hashes verified";
            }
            else
            {
                FileInfo exportFile = RequireFile(result.GetValue(log)!, "log export");
                using FileStream stream = exportFile.OpenRead();
                verified = verifier.VerifyConsistency(oldNote, newNote, stream, cancellationToken);
                how = "the log export verified in full and holds both trees";
            }

            output.WriteLine($"OK: the log '{verified.New.Origin}' at size {verified.New.TreeSize} extends its state at size {verified.Old.TreeSize}.");
            output.WriteLine($"  old: size {verified.Old.TreeSize}, root {MerkleHash.ToHex(verified.Old.RootHash)}");
            output.WriteLine($"  new: size {verified.New.TreeSize}, root {MerkleHash.ToHex(verified.New.RootHash)}");
            output.WriteLine($"  both checkpoints signed by the given audit key; {how}.");
        }, key, origin));
        return command;
    }

    /// <summary>Loads the key, runs the verification and turns the outcome into output and an exit code.</summary>
    private static Task<int> Run(ParseResult result, Action<AuditVerifier, TextWriter> verify, Option<FileInfo> keyOption, Option<string?> originOption)
    {
        TextWriter output = result.InvocationConfiguration.Output;
        TextWriter error = result.InvocationConfiguration.Error;
        try
        {
            FileInfo keyFile = RequireFile(result.GetRequiredValue(keyOption), "audit key");
            using AuditPublicKey key = AuditPublicKey.FromPem(File.ReadAllText(keyFile.FullName));
            var verifier = new AuditVerifier(key, result.GetValue(originOption));
            verify(verifier, output);
            return Task.FromResult(Verified);
        }
        catch (AuditVerificationException ex)
        {
            error.WriteLine($"FAILED ({ex.Error}): {ex.Message}");
            return Task.FromResult(VerificationFailed);
        }
        catch (UnusableInputException ex)
        {
            error.WriteLine($"error: {ex.Message}");
            return Task.FromResult(UnusableInput);
        }
        catch (CustodyException ex)
        {
            error.WriteLine($"error: {ex.Message}");
            return Task.FromResult(UnusableInput);
        }
        catch (IOException ex)
        {
            error.WriteLine($"error: {ex.Message}");
            return Task.FromResult(UnusableInput);
        }
    }

    private static FileInfo RequireFile(FileInfo file, string what) =>
        file.Exists ? file : throw new UnusableInputException($"The {what} file '{file.FullName}' does not exist.");

    private static byte[] ReadInput(FileInfo file, string what) => File.ReadAllBytes(RequireFile(file, what).FullName);

    private static string DescribeEntry(byte[] entry) =>
        AuditEntry.TryReadEnvelope(entry, out int version, out string type, out string time)
            ? $"{type} at {time} (schema v{version}), {entry.Length} bytes"
            : $"{entry.Length} bytes (not a KeyCustody entry envelope)";

    private sealed class UnusableInputException(string message) : Exception(message);
}
