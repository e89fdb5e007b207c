// SPDX-License-Identifier: Apache-2.0
using System.Buffers;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using KeyCustody.Audit;

namespace KeyCustody.Audit.Tests;

/// <summary>One verifier test vector: what to verify and which error the verifier must report (None for valid material).</summary>
internal sealed record AuditVector(
    string Name,
    string Desc,
    string Kind,
    string? Origin,
    byte[]? Input,
    string? OldCheckpoint,
    string? NewCheckpoint,
    byte[]? Proof,
    AuditVerificationError ExpectedError);

/// <summary>
/// Generates, writes, reads and runs the verifier vectors under vectors/. Regenerate the committed set with
/// <c>KEYCUSTODY_WRITE_VECTORS=1 dotnet test --filter AuditVectorTests</c>; signatures are randomised (ECDSA), so every
/// regeneration changes the bytes but never the cases or their expected errors.
/// </summary>
internal static class AuditVectors
{
    public const string VectorOrigin = "keycustody.test/vectors";
    public const string KeyFile = "audit-key.pem";

    private static readonly JsonWriterOptions s_writerOptions = new() { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static AuditVerificationError Run(AuditVector vector, AuditPublicKey key)
    {
        try
        {
            var verifier = new AuditVerifier(key, vector.Origin);
            switch (vector.Kind)
            {
                case "checkpoint":
                    verifier.VerifyCheckpoint(Encoding.UTF8.GetString(vector.Input!));
                    break;
                case "receipt":
                    verifier.VerifyReceipt(vector.Input!);
                    break;
                case "log":
                    verifier.VerifyLogExport(new MemoryStream(vector.Input!));
                    break;
                case "consistency-proof":
                    verifier.VerifyConsistency(vector.OldCheckpoint!, vector.NewCheckpoint!, ConsistencyProofDocument.Parse(vector.Proof!));
                    break;
                case "consistency-log":
                    verifier.VerifyConsistency(vector.OldCheckpoint!, vector.NewCheckpoint!, new MemoryStream(vector.Input!));
                    break;
                default:
                    throw new InvalidOperationException($"Unknown vector kind '{vector.Kind}'.");
            }

            return AuditVerificationError.None;
        }
        catch (AuditVerificationException ex)
        {
            return ex.Error;
        }
    }

    public static void Write(string directory, string publicKeyPem, IEnumerable<AuditVector> vectors)
    {
        Directory.CreateDirectory(directory);
        foreach (string old in Directory.EnumerateFiles(directory, "*.json"))
        {
            File.Delete(old);
        }

        File.WriteAllText(Path.Combine(directory, KeyFile), publicKeyPem);
        foreach (AuditVector vector in vectors)
        {
            var buffer = new ArrayBufferWriter<byte>();
            using (var writer = new Utf8JsonWriter(buffer, s_writerOptions))
            {
                writer.WriteStartObject();
                writer.WriteString("desc", vector.Desc);
                writer.WriteString("kind", vector.Kind);
                writer.WriteString("expected_error", vector.ExpectedError.ToString());
                if (vector.Origin is not null)
                {
                    writer.WriteString("origin", vector.Origin);
                }

                if (vector.OldCheckpoint is not null)
                {
                    writer.WriteString("old_checkpoint", vector.OldCheckpoint);
                    writer.WriteString("new_checkpoint", vector.NewCheckpoint);
                }

                if (vector.Proof is not null)
                {
                    writer.WriteBase64String("proof_base64", vector.Proof);
                }

                if (vector.Input is not null)
                {
                    writer.WriteBase64String("input_base64", vector.Input);
                }

                writer.WriteEndObject();
            }

            buffer.Write("\n"u8);
            File.WriteAllBytes(Path.Combine(directory, vector.Name + ".json"), buffer.WrittenSpan.ToArray());
        }
    }

    public static AuditVector Read(string path)
    {
        JsonNode node = JsonNode.Parse(File.ReadAllBytes(path))!;
        return new AuditVector(
            Path.GetFileNameWithoutExtension(path),
            (string)node["desc"]!,
            (string)node["kind"]!,
            (string?)node["origin"],
            node["input_base64"] is { } input ? Convert.FromBase64String((string)input!) : null,
            (string?)node["old_checkpoint"],
            (string?)node["new_checkpoint"],
            node["proof_base64"] is { } proof ? Convert.FromBase64String((string)proof!) : null,
            Enum.Parse<AuditVerificationError>((string)node["expected_error"]!));
    }

    public static async Task<(string PublicKeyPem, List<AuditVector> Vectors)> GenerateAsync()
    {
        using EcdsaAuditSigner key = EcdsaAuditSigner.Generate();
        using EcdsaAuditSigner otherKey = EcdsaAuditSigner.Generate();
        var vectors = new List<AuditVector>();
        void Add(string name, string desc, string kind, AuditVerificationError expected, byte[]? input = null,
            string? oldCheckpoint = null, string? newCheckpoint = null, byte[]? proof = null, string? origin = VectorOrigin) =>
            vectors.Add(new AuditVector(name, desc, kind, origin, input, oldCheckpoint, newCheckpoint, proof, expected));

        using TestLog log7 = await TestLog.BuildAsync(key, VectorOrigin, 7, 3);
        using TestLog fork7 = await TestLog.BuildAsync(key, VectorOrigin, 7, 3, tag: "fork");
        using TestLog otherKeyLog7 = await TestLog.BuildAsync(otherKey, VectorOrigin, 7, 3);
        using TestLog otherOriginLog7 = await TestLog.BuildAsync(key, "keycustody.test/other-log", 7, 3);

        // Valid logs of several sizes and checkpoint spacings.
        foreach ((int size, int every) in new[] { (0, 1), (1, 1), (7, 3), (64, 16), (100, 7) })
        {
            using TestLog log = await TestLog.BuildAsync(key, VectorOrigin, size, every);
            Add($"log-valid-size-{size}", $"a valid log of {size} entries with a checkpoint every {every} and at the end", "log",
                AuditVerificationError.None, log.Export());
        }

        string[] lines = Lines(log7.Export());
        Add("log-entry-bit-flipped", "bit 0 of byte 10 of entry 4 flipped; checkpoint 2 (size 6) covers it", "log",
            AuditVerificationError.RootMismatch, Join(ReplaceEntry(lines, 4, e => Flip(e, 80))));
        Add("log-last-entry-bit-flipped", "a bit of entry 6 (covered only by the final checkpoint) flipped", "log",
            AuditVerificationError.RootMismatch, Join(ReplaceEntry(lines, 6, e => Flip(e, 3))));
        Add("log-entries-reordered", "the lines of entries 1 and 2 swapped (indices move with them)", "log",
            AuditVerificationError.EntryOutOfOrder, Join(Swap(lines, EntryLine(lines, 1), EntryLine(lines, 2))));
        Add("log-entry-contents-swapped", "the bytes of entries 1 and 2 swapped, indices left in place", "log",
            AuditVerificationError.RootMismatch, Join(SwapEntryContents(lines, 1, 2)));
        Add("log-entry-removed", "the line of entry 4 removed", "log",
            AuditVerificationError.EntryOutOfOrder, Join(lines.Where((_, i) => i != EntryLine(lines, 4))));
        Add("log-entry-duplicated", "the line of entry 2 repeated", "log",
            AuditVerificationError.EntryOutOfOrder, Join(lines.SelectMany((l, i) => i == EntryLine(lines, 2) ? new[] { l, l } : [l])));
        byte[] export7 = log7.Export();
        int cut = Encoding.UTF8.GetByteCount(string.Join('\n', lines.Take(EntryLine(lines, 5))) + "\n") + 20;
        Add("log-truncated-mid-line", "the export cut off in the middle of entry 5's line", "log",
            AuditVerificationError.Truncated, export7[..cut]);
        Add("log-truncated-at-line", "every line from entry 5 on removed, including the end line", "log",
            AuditVerificationError.Truncated, Join(lines.Take(EntryLine(lines, 5))));
        Add("log-trailing-garbage", "a line of garbage after the end line", "log",
            AuditVerificationError.TrailingData, [.. export7, .. "garbage\n"u8]);
        Add("log-trailing-newline", "an empty line after the end line", "log",
            AuditVerificationError.TrailingData, [.. export7, .. "\n"u8]);
        Add("log-checkpoint-signature-bit-flipped", "a bit in checkpoint 2's ECDSA signature flipped", "log",
            AuditVerificationError.SignatureInvalid, Join(ReplaceCheckpoint(lines, 2, FlipSignatureBit)));
        Add("log-checkpoint-root-bit-flipped", "a bit of checkpoint 1's root flipped in the signed text, signature kept", "log",
            AuditVerificationError.SignatureInvalid, Join(ReplaceCheckpoint(lines, 1, FlipRootBit)));
        Add("log-checkpoint-other-key", "the same log, every checkpoint signed by another key under the same name", "log",
            AuditVerificationError.UnknownKey, otherKeyLog7.Export());
        Add("log-checkpoint-removed", "the line of checkpoint 2 removed", "log",
            AuditVerificationError.CheckpointOutOfOrder, Join(lines.Where((_, i) => i != CheckpointLine(lines, 2))));
        Add("log-checkpoint-misplaced", "checkpoint 1 (size 3) moved after entry 3", "log",
            AuditVerificationError.SizeMismatch, Join(Swap(lines, CheckpointLine(lines, 1), EntryLine(lines, 3))));
        Add("log-checkpoint-from-fork", "checkpoint 2 replaced by one the same key signed over a different log of the same size (split view)", "log",
            AuditVerificationError.RootMismatch, Join(ReplaceCheckpoint(lines, 2, _ => fork7.Checkpoints[1].Note)));
        Add("log-uncovered-entries", "an extra entry after the last checkpoint, header and end line updated to match", "log",
            AuditVerificationError.SizeMismatch, Join(AddUncoveredEntry(lines, TestLog.Entry(7))));
        Add("log-header-size-wrong", "the header declares 8 entries, the log holds 7", "log",
            AuditVerificationError.SizeMismatch, Join(ReplaceLine(lines, 0, l => l.Replace("\"tree_size\":7", "\"tree_size\":8", StringComparison.Ordinal))));
        Add("log-other-origin", "a valid log of another origin, signed by the audit key, where this origin is expected", "log",
            AuditVerificationError.OriginMismatch, otherOriginLog7.Export());
        Add("log-unsupported-format", "the header names format version 9", "log",
            AuditVerificationError.UnsupportedFormat, Join(ReplaceLine(lines, 0, l => l.Replace("/v1", "/v9", StringComparison.Ordinal))));
        Add("log-malformed-line", "entry 3's line replaced by text that is not JSON", "log",
            AuditVerificationError.Malformed, Join(ReplaceLine(lines, EntryLine(lines, 3), _ => "{\"index\":3,not json}")));

        // Receipts.
        SignedCheckpoint at7 = log7.Checkpoints[^1];
        Add("receipt-valid-first", "entry 0 in the tree of 7", "receipt", AuditVerificationError.None, log7.Receipt(0, at7).ToJson());
        Add("receipt-valid-last", "entry 6 in the tree of 7", "receipt", AuditVerificationError.None, log7.Receipt(6, at7).ToJson());
        Add("receipt-valid-older-checkpoint", "entry 1 in the tree of 3 (checkpoint 1)", "receipt", AuditVerificationError.None,
            log7.Receipt(1, log7.Checkpoints[0]).ToJson());
        AuditReceipt receipt = log7.Receipt(4, at7);
        Add("receipt-entry-bit-flipped", "a bit of the entry flipped", "receipt", AuditVerificationError.InclusionProofInvalid,
            (receipt with { Entry = Flip(receipt.Entry, 17) }).ToJson());
        Add("receipt-proof-bit-flipped", "a bit of the second proof hash flipped", "receipt", AuditVerificationError.InclusionProofInvalid,
            (receipt with { InclusionProof = [receipt.InclusionProof[0], Flip(receipt.InclusionProof[1], 5), .. receipt.InclusionProof.Skip(2)] }).ToJson());
        Add("receipt-proof-hash-removed", "the last proof hash removed", "receipt", AuditVerificationError.InclusionProofInvalid,
            (receipt with { InclusionProof = receipt.InclusionProof.Take(receipt.InclusionProof.Count - 1).ToArray() }).ToJson());
        Add("receipt-wrong-index", "the leaf index changed from 4 to 5", "receipt", AuditVerificationError.InclusionProofInvalid,
            (receipt with { LeafIndex = 5 }).ToJson());
        Add("receipt-checkpoint-signature-bit-flipped", "a bit of the checkpoint signature flipped", "receipt", AuditVerificationError.SignatureInvalid,
            (receipt with { Checkpoint = FlipSignatureBit(receipt.Checkpoint) }).ToJson());
        Add("receipt-checkpoint-other-key", "the same receipt from the same log content signed by another key", "receipt", AuditVerificationError.UnknownKey,
            otherKeyLog7.Receipt(4, otherKeyLog7.Checkpoints[^1]).ToJson());
        Add("receipt-tree-size-mismatch", "the receipt claims a tree of 6 under a checkpoint of 7", "receipt", AuditVerificationError.SizeMismatch,
            (receipt with { TreeSize = 6 }).ToJson());
        byte[] receiptJson = receipt.ToJson();
        Add("receipt-trailing-garbage", "bytes after the closing brace", "receipt", AuditVerificationError.TrailingData, [.. receiptJson, .. "xyz"u8]);
        Add("receipt-truncated", "the document cut 20 bytes short", "receipt", AuditVerificationError.Malformed, receiptJson[..^20]);
        Add("receipt-unsupported-format", "format keycustody-receipt/v2", "receipt", AuditVerificationError.UnsupportedFormat,
            Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(receiptJson).Replace("keycustody-receipt/v1", "keycustody-receipt/v2", StringComparison.Ordinal)));
        string badBody = $"{VectorOrigin}\n07\n{Convert.ToBase64String(log7.Tree.Root())}\n";
        Add("receipt-checkpoint-malformed", "a correctly signed note whose tree size has a leading zero", "receipt", AuditVerificationError.CheckpointMalformed,
            (receipt with { Checkpoint = await SignNoteAsync(key, VectorOrigin, badBody) }).ToJson());

        // Checkpoints on their own.
        Add("checkpoint-valid", "the final checkpoint of a 7-entry log", "checkpoint", AuditVerificationError.None, Encoding.UTF8.GetBytes(at7.Note));
        Add("checkpoint-signature-bit-flipped", "a bit of the signature flipped", "checkpoint", AuditVerificationError.SignatureInvalid,
            Encoding.UTF8.GetBytes(FlipSignatureBit(at7.Note)));
        Add("checkpoint-other-key", "signed by another key under the same name", "checkpoint", AuditVerificationError.UnknownKey,
            Encoding.UTF8.GetBytes(otherKeyLog7.Checkpoints[^1].Note));
        Add("checkpoint-other-origin", "a valid checkpoint of another log where this origin is expected", "checkpoint", AuditVerificationError.OriginMismatch,
            Encoding.UTF8.GetBytes(otherOriginLog7.Checkpoints[^1].Note));
        Add("checkpoint-signer-name-differs", "signed by the audit key under a key name other than the checkpoint's origin", "checkpoint",
            AuditVerificationError.OriginMismatch, Encoding.UTF8.GetBytes(await SignNoteAsync(key, "keycustody.test/someone-else", at7.Checkpoint.FormatBody())),
            origin: null);

        // Consistency between checkpoints.
        string old3 = log7.Checkpoints[0].Note;
        string new7 = at7.Note;
        ConsistencyProofDocument proof = log7.Consistency(3, 7);
        Add("consistency-proof-valid", "size 3 to size 7 with a proof", "consistency-proof", AuditVerificationError.None,
            oldCheckpoint: old3, newCheckpoint: new7, proof: proof.ToJson());
        Add("consistency-proof-valid-same-size", "size 7 to itself, empty proof", "consistency-proof", AuditVerificationError.None,
            oldCheckpoint: new7, newCheckpoint: new7, proof: log7.Consistency(7, 7).ToJson());
        Add("consistency-proof-bit-flipped", "a bit of the first proof hash flipped", "consistency-proof", AuditVerificationError.ConsistencyProofInvalid,
            oldCheckpoint: old3, newCheckpoint: new7, proof: (proof with { Proof = [Flip(proof.Proof[0], 1), .. proof.Proof.Skip(1)] }).ToJson());
        Add("consistency-proof-sizes-mismatch", "the proof document claims sizes 2 to 7", "consistency-proof", AuditVerificationError.SizeMismatch,
            oldCheckpoint: old3, newCheckpoint: new7, proof: (proof with { OldSize = 2 }).ToJson());
        Add("consistency-proof-swapped", "the newer checkpoint given as the old one", "consistency-proof", AuditVerificationError.ConsistencyProofInvalid,
            oldCheckpoint: new7, newCheckpoint: old3, proof: proof.ToJson());
        Add("consistency-proof-fork", "the new checkpoint and proof come from a fork the same key signed (split view)", "consistency-proof",
            AuditVerificationError.ConsistencyProofInvalid, oldCheckpoint: old3, newCheckpoint: fork7.Checkpoints[^1].Note, proof: fork7.Consistency(3, 7).ToJson());
        Add("consistency-proof-other-key", "the new checkpoint signed by another key", "consistency-proof", AuditVerificationError.UnknownKey,
            oldCheckpoint: old3, newCheckpoint: otherKeyLog7.Checkpoints[^1].Note, proof: proof.ToJson());
        Add("consistency-log-valid", "size 3 to size 7 checked against the whole log export", "consistency-log", AuditVerificationError.None,
            input: export7, oldCheckpoint: old3, newCheckpoint: new7);
        Add("consistency-log-fork", "the old checkpoint is from a fork; the export is of the real log", "consistency-log",
            AuditVerificationError.ConsistencyProofInvalid, input: export7, oldCheckpoint: fork7.Checkpoints[0].Note, newCheckpoint: new7);

        return (key.ExportPublicKeyPem(), vectors);
    }

    private static async Task<string> SignNoteAsync(EcdsaAuditSigner key, string keyName, string body)
    {
        byte[] signature = await key.SignDigestAsync(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(body)));
        uint keyId = AuditPublicKey.ComputeKeyId(keyName, key.SubjectPublicKeyInfo.Span);
        return new SignedNote(body, [new NoteSignature(keyName, keyId, signature)]).Format();
    }

    private static byte[] Flip(byte[] value, int bit)
    {
        byte[] copy = (byte[])value.Clone();
        copy[bit / 8] ^= (byte)(1 << (bit % 8));
        return copy;
    }

    private static string FlipSignatureBit(string note)
    {
        SignedNote.TryParse(note, out SignedNote? parsed, out _);
        NoteSignature signature = parsed!.Signatures[0];
        // Byte 10 is inside r (past the DER header), so the DER stays well-formed and only the value changes.
        return new SignedNote(parsed.Text, [signature with { Signature = Flip(signature.Signature, 80) }]).Format();
    }

    private static string FlipRootBit(string note)
    {
        SignedNote.TryParse(note, out SignedNote? parsed, out _);
        Checkpoint.TryParseBody(parsed!.Text, out Checkpoint? checkpoint, out _);
        var altered = new Checkpoint(checkpoint!.Origin, checkpoint.TreeSize, Flip(checkpoint.RootHash, 0));
        return new SignedNote(altered.FormatBody(), parsed.Signatures).Format();
    }

    private static string[] Lines(byte[] export) => Encoding.UTF8.GetString(export).TrimEnd('\n').Split('\n');

    private static byte[] Join(IEnumerable<string> lines) => Encoding.UTF8.GetBytes(string.Join('\n', lines) + "\n");

    private static int EntryLine(string[] lines, long index) =>
        Array.FindIndex(lines, l => l.StartsWith($"{{\"index\":{index},", StringComparison.Ordinal));

    private static int CheckpointLine(string[] lines, long seq) =>
        Array.FindIndex(lines, l => l.StartsWith($"{{\"seq\":{seq},", StringComparison.Ordinal));

    private static string[] ReplaceLine(string[] lines, int at, Func<string, string> change)
    {
        string[] copy = [.. lines];
        copy[at] = change(copy[at]);
        return copy;
    }

    private static string[] Swap(string[] lines, int a, int b)
    {
        string[] copy = [.. lines];
        (copy[a], copy[b]) = (copy[b], copy[a]);
        return copy;
    }

    private static string EntryLineText(long index, byte[] entry) => $"{{\"index\":{index},\"entry\":\"{Convert.ToBase64String(entry)}\"}}";

    private static byte[] EntryBytes(string line) => Convert.FromBase64String((string)JsonNode.Parse(line)!["entry"]!);

    private static string[] ReplaceEntry(string[] lines, long index, Func<byte[], byte[]> change) =>
        ReplaceLine(lines, EntryLine(lines, index), l => EntryLineText(index, change(EntryBytes(l))));

    private static string[] SwapEntryContents(string[] lines, long a, long b)
    {
        byte[] first = EntryBytes(lines[EntryLine(lines, a)]);
        byte[] second = EntryBytes(lines[EntryLine(lines, b)]);
        return ReplaceEntry(ReplaceEntry(lines, a, _ => second), b, _ => first);
    }

    private static string[] ReplaceCheckpoint(string[] lines, long seq, Func<string, string> change) =>
        ReplaceLine(lines, CheckpointLine(lines, seq), l =>
        {
            string note = (string)JsonNode.Parse(l)!["checkpoint"]!;
            var buffer = new ArrayBufferWriter<byte>();
            using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
            {
                writer.WriteStartObject();
                writer.WriteNumber("seq", seq);
                writer.WriteString("checkpoint", change(note));
                writer.WriteEndObject();
            }

            return Encoding.UTF8.GetString(buffer.WrittenSpan);
        });

    private static string[] AddUncoveredEntry(string[] lines, byte[] entry)
    {
        var list = lines.ToList();
        list[0] = list[0].Replace("\"tree_size\":7", "\"tree_size\":8", StringComparison.Ordinal);
        list[^1] = list[^1].Replace("\"tree_size\":7", "\"tree_size\":8", StringComparison.Ordinal);
        list.Insert(list.Count - 1, EntryLineText(7, entry));
        return [.. list];
    }
}
