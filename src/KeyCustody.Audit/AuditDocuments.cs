// SPDX-License-Identifier: Apache-2.0
using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace KeyCustody.Audit;

/// <summary>
/// A receipt: proof that one entry is in the log, checkable offline with the public audit key. Serialised as
/// <code>
/// {"format":"keycustody-receipt/v1","leaf_index":5,"tree_size":8,"entry":"base64…",
///  "inclusion_proof":["base64…",…],"checkpoint":"origin\n8\nroot…\n\n— origin sig…\n"}
/// </code>
/// </summary>
/// <param name="LeafIndex">The entry's index.</param>
/// <param name="TreeSize">The size of the tree the proof and checkpoint are for.</param>
/// <param name="Entry">The entry bytes, exactly as hashed.</param>
/// <param name="InclusionProof">The RFC 9162 audit path, leaf side first.</param>
/// <param name="Checkpoint">The signed checkpoint note for <paramref name="TreeSize"/>.</param>
public sealed record AuditReceipt(long LeafIndex, long TreeSize, byte[] Entry, IReadOnlyList<byte[]> InclusionProof, string Checkpoint)
{
    /// <summary>The format tag of version 1 receipts.</summary>
    public const string Format = "keycustody-receipt/v1";

    /// <summary>The receipt as indented UTF-8 JSON.</summary>
    public byte[] ToJson() => AuditJson.Write(writer =>
    {
        writer.WriteString("format", Format);
        writer.WriteNumber("leaf_index", LeafIndex);
        writer.WriteNumber("tree_size", TreeSize);
        writer.WriteBase64String("entry", Entry);
        AuditJson.WriteHashes(writer, "inclusion_proof", InclusionProof);
        writer.WriteString("checkpoint", Checkpoint);
    });

    /// <summary>Parses a receipt document.</summary>
    /// <exception cref="AuditVerificationException">Malformed, UnsupportedFormat or TrailingData.</exception>
    public static AuditReceipt Parse(ReadOnlySpan<byte> json)
    {
        using JsonDocument document = AuditJson.ParseSingle(json, "receipt");
        JsonElement root = document.RootElement;
        AuditJson.RequireFormat(root, Format, "receipt");
        AuditJson.RequireOnly(root, "receipt", "format", "leaf_index", "tree_size", "entry", "inclusion_proof", "checkpoint");
        return new AuditReceipt(
            AuditJson.GetInt64(root, "leaf_index", "receipt"),
            AuditJson.GetInt64(root, "tree_size", "receipt"),
            AuditJson.GetBase64(root, "entry", "receipt"),
            AuditJson.GetHashes(root, "inclusion_proof", "receipt"),
            AuditJson.GetString(root, "checkpoint", "receipt"));
    }
}

/// <summary>
/// A consistency proof between two tree sizes, as a file the CLI reads next to the two checkpoints:
/// <c>{"format":"keycustody-consistency/v1","old_size":m,"new_size":n,"proof":["base64…",…]}</c>.
/// </summary>
/// <param name="OldSize">The smaller tree size.</param>
/// <param name="NewSize">The larger tree size.</param>
/// <param name="Proof">The RFC 9162 consistency proof.</param>
public sealed record ConsistencyProofDocument(long OldSize, long NewSize, IReadOnlyList<byte[]> Proof)
{
    /// <summary>The format tag of version 1 consistency proof files.</summary>
    public const string Format = "keycustody-consistency/v1";

    /// <summary>The document as indented UTF-8 JSON.</summary>
    public byte[] ToJson() => AuditJson.Write(writer =>
    {
        writer.WriteString("format", Format);
        writer.WriteNumber("old_size", OldSize);
        writer.WriteNumber("new_size", NewSize);
        AuditJson.WriteHashes(writer, "proof", Proof);
    });

    /// <summary>Parses a consistency proof document.</summary>
    /// <exception cref="AuditVerificationException">Malformed, UnsupportedFormat or TrailingData.</exception>
    public static ConsistencyProofDocument Parse(ReadOnlySpan<byte> json)
    {
        using JsonDocument document = AuditJson.ParseSingle(json, "consistency proof");
        JsonElement root = document.RootElement;
        AuditJson.RequireFormat(root, Format, "consistency proof");
        AuditJson.RequireOnly(root, "consistency proof", "format", "old_size", "new_size", "proof");
        return new ConsistencyProofDocument(
            AuditJson.GetInt64(root, "old_size", "consistency proof"),
            AuditJson.GetInt64(root, "new_size", "consistency proof"),
            AuditJson.GetHashes(root, "proof", "consistency proof"));
    }
}

/// <summary>Strict JSON helpers shared by the audit documents.</summary>
internal static class AuditJson
{
    internal static readonly JsonWriterOptions IndentedOptions = new()
    {
        Indented = true,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    internal static readonly JsonWriterOptions CompactOptions = new()
    {
        Indented = false,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    internal static byte[] Write(Action<Utf8JsonWriter> body)
    {
        var buffer = new ArrayBufferWriter<byte>(1024);
        using (var writer = new Utf8JsonWriter(buffer, IndentedOptions))
        {
            writer.WriteStartObject();
            body(writer);
            writer.WriteEndObject();
        }

        buffer.Write("\n"u8);
        return buffer.WrittenSpan.ToArray();
    }

    internal static void WriteHashes(Utf8JsonWriter writer, string name, IReadOnlyList<byte[]> hashes)
    {
        writer.WriteStartArray(name);
        foreach (byte[] hash in hashes)
        {
            writer.WriteBase64StringValue(hash);
        }

        writer.WriteEndArray();
    }

    /// <summary>Parses exactly one JSON object; whitespace may follow it, anything else is trailing data.</summary>
    internal static JsonDocument ParseSingle(ReadOnlySpan<byte> json, string what)
    {
        var reader = new Utf8JsonReader(json, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Disallow, AllowTrailingCommas = false });
        JsonDocument document;
        try
        {
            document = JsonDocument.ParseValue(ref reader);
        }
        catch (JsonException ex)
        {
            throw new AuditVerificationException(AuditVerificationError.Malformed, $"The {what} is not valid JSON: {ex.Message}", ex);
        }

        foreach (byte b in json[(int)reader.BytesConsumed..])
        {
            if (b is not ((byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n'))
            {
                document.Dispose();
                throw new AuditVerificationException(AuditVerificationError.TrailingData, $"The {what} has data after its closing brace.");
            }
        }

        if (document.RootElement.ValueKind != JsonValueKind.Object)
        {
            document.Dispose();
            throw new AuditVerificationException(AuditVerificationError.Malformed, $"The {what} is not a JSON object.");
        }

        return document;
    }

    internal static void RequireFormat(JsonElement root, string format, string what)
    {
        string actual = GetString(root, "format", what);
        if (actual != format)
        {
            throw new AuditVerificationException(AuditVerificationError.UnsupportedFormat, $"The {what} has format '{actual}'; this verifier reads '{format}'.");
        }
    }

    internal static void RequireOnly(JsonElement root, string what, params string[] names)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (JsonProperty property in root.EnumerateObject())
        {
            if (!names.Contains(property.Name))
            {
                throw new AuditVerificationException(AuditVerificationError.Malformed, $"The {what} has an unknown field '{property.Name}'.");
            }

            if (!seen.Add(property.Name))
            {
                throw new AuditVerificationException(AuditVerificationError.Malformed, $"The {what} repeats the field '{property.Name}'.");
            }
        }

        foreach (string name in names)
        {
            if (!seen.Contains(name))
            {
                throw new AuditVerificationException(AuditVerificationError.Malformed, $"The {what} has no '{name}' field.");
            }
        }
    }

    internal static string GetString(JsonElement root, string name, string what) =>
        root.TryGetProperty(name, out JsonElement value) && value.ValueKind == JsonValueKind.String
            ? value.GetString()!
            : throw new AuditVerificationException(AuditVerificationError.Malformed, $"The {what} has no string '{name}'.");

    internal static long GetInt64(JsonElement root, string name, string what) =>
        root.TryGetProperty(name, out JsonElement value) && value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out long number) && number >= 0
            ? number
            : throw new AuditVerificationException(AuditVerificationError.Malformed, $"The {what} has no non-negative integer '{name}'.");

    internal static byte[] GetBase64(JsonElement root, string name, string what)
    {
        string text = GetString(root, name, what);
        try
        {
            return Convert.FromBase64String(text);
        }
        catch (FormatException ex)
        {
            throw new AuditVerificationException(AuditVerificationError.Malformed, $"The {what}'s '{name}' is not base64.", ex);
        }
    }

    internal static IReadOnlyList<byte[]> GetHashes(JsonElement root, string name, string what)
    {
        if (!root.TryGetProperty(name, out JsonElement array) || array.ValueKind != JsonValueKind.Array)
        {
            throw new AuditVerificationException(AuditVerificationError.Malformed, $"The {what} has no '{name}' list.");
        }

        var hashes = new List<byte[]>();
        foreach (JsonElement item in array.EnumerateArray())
        {
            byte[] hash;
            try
            {
                hash = item.ValueKind == JsonValueKind.String ? Convert.FromBase64String(item.GetString()!) : [];
            }
            catch (FormatException ex)
            {
                throw new AuditVerificationException(AuditVerificationError.Malformed, $"A hash in the {what}'s '{name}' is not base64.", ex);
            }

            if (hash.Length != MerkleHash.Size)
            {
                throw new AuditVerificationException(AuditVerificationError.Malformed, $"A hash in the {what}'s '{name}' is not 32 bytes of base64.");
            }

            hashes.Add(hash);
        }

        return hashes;
    }
}
