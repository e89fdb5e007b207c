// SPDX-License-Identifier: Apache-2.0
using System.Buffers;
using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text.Json;

namespace KeyCustody.Audit;

public sealed partial class AuditVerifier
{
    private const int MaxLineBytes = 4 << 20;

    /// <summary>
    /// Verifies a whole log export (see <see cref="AuditLogExportWriter"/>) in one streaming pass: entries must be
    /// numbered in order, the tree is recomputed leaf by leaf, and every checkpoint must be signed by the audit key,
    /// appear exactly when the tree reaches its size and match the recomputed root. The last checkpoint must cover
    /// every entry, and nothing may follow the trailer.
    /// </summary>
    /// <param name="export">The export stream.</param>
    /// <param name="rootsAt">Tree sizes whose recomputed roots the result should report (for consistency checks).</param>
    /// <param name="cancellationToken">Stops a long verification.</param>
    public LogVerification VerifyLogExport(Stream export, IReadOnlyCollection<long>? rootsAt = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(export);
        var reader = new LineReader(export);
        var wanted = new HashSet<long>(rootsAt ?? []);
        var roots = new Dictionary<long, byte[]>();

        if (!reader.TryReadLine(out ReadOnlySpan<byte> headerLine))
        {
            throw new AuditVerificationException(AuditVerificationError.Truncated, "The export is empty.");
        }

        (string origin, long declaredSize, long declaredCheckpoints) = ParseHeader(headerLine);
        if (_expectedOrigin is not null && origin != _expectedOrigin)
        {
            throw new AuditVerificationException(AuditVerificationError.OriginMismatch, $"The export is of the log '{origin}', not '{_expectedOrigin}'.");
        }

        var range = new MerkleCompactRange();
        using var leafHasher = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        byte[] entryBuffer = ArrayPool<byte>.Shared.Rent(8192);
        Span<byte> leaf = stackalloc byte[MerkleHash.Size];
        long checkpoints = 0;
        long lastCheckpointSize = 0;
        if (wanted.Contains(0))
        {
            roots[0] = MerkleHash.EmptyRoot.ToArray();
        }

        try
        {
            while (true)
            {
                if (!reader.TryReadLine(out ReadOnlySpan<byte> line))
                {
                    throw new AuditVerificationException(AuditVerificationError.Truncated,
                        $"The export ends after {range.Size} of {declaredSize} entries without its end line.");
                }

                LineKind kind = Classify(line);
                if (kind == LineKind.Entry)
                {
                    if ((range.Size & 0xFFFF) == 0)
                    {
                        cancellationToken.ThrowIfCancellationRequested();
                    }

                    (long index, int length) = ParseEntry(line, ref entryBuffer);
                    if (index != range.Size)
                    {
                        throw new AuditVerificationException(AuditVerificationError.EntryOutOfOrder,
                            $"Entry {index} appears where entry {range.Size} belongs.");
                    }

                    if (index >= declaredSize)
                    {
                        throw new AuditVerificationException(AuditVerificationError.SizeMismatch,
                            $"The export declares {declaredSize} entries but holds more.");
                    }

                    MerkleHash.HashLeafInPlace(entryBuffer.AsSpan(0, length + 1), leaf, leafHasher);
                    range.Append(leaf);
                    if (wanted.Count > 0 && wanted.Contains(range.Size))
                    {
                        roots[range.Size] = range.Root();
                    }
                }
                else if (kind == LineKind.Checkpoint)
                {
                    (long seq, string note) = ParseCheckpointLine(line);
                    if (seq != checkpoints + 1)
                    {
                        throw new AuditVerificationException(AuditVerificationError.CheckpointOutOfOrder,
                            $"Checkpoint {seq} appears where checkpoint {checkpoints + 1} belongs.");
                    }

                    Checkpoint checkpoint = VerifyCheckpoint(note);
                    if (checkpoint.Origin != origin)
                    {
                        throw new AuditVerificationException(AuditVerificationError.OriginMismatch,
                            $"Checkpoint {seq} is from the log '{checkpoint.Origin}', the export from '{origin}'.");
                    }

                    if (checkpoint.TreeSize < lastCheckpointSize)
                    {
                        throw new AuditVerificationException(AuditVerificationError.CheckpointOutOfOrder,
                            $"Checkpoint {seq} is for {checkpoint.TreeSize} entries, fewer than the {lastCheckpointSize} of the one before.");
                    }

                    if (checkpoint.TreeSize != range.Size)
                    {
                        throw new AuditVerificationException(AuditVerificationError.SizeMismatch,
                            $"Checkpoint {seq} is for {checkpoint.TreeSize} entries but appears after {range.Size}.");
                    }

                    byte[] root = range.Root();
                    if (!root.AsSpan().SequenceEqual(checkpoint.RootHash))
                    {
                        throw new AuditVerificationException(AuditVerificationError.RootMismatch,
                            $"Checkpoint {seq} signs root {MerkleHash.ToHex(checkpoint.RootHash)} for {checkpoint.TreeSize} entries, but the entries hash to {MerkleHash.ToHex(root)}.");
                    }

                    checkpoints++;
                    lastCheckpointSize = checkpoint.TreeSize;
                }
                else if (kind == LineKind.End)
                {
                    (long endSize, long endCheckpoints) = ParseEnd(line);
                    if (endSize != declaredSize || endCheckpoints != declaredCheckpoints || range.Size != declaredSize || checkpoints != declaredCheckpoints)
                    {
                        throw new AuditVerificationException(AuditVerificationError.SizeMismatch,
                            $"The export declares {declaredSize} entries and {declaredCheckpoints} checkpoints (end line: {endSize} and {endCheckpoints}) but holds {range.Size} and {checkpoints}.");
                    }

                    if (range.Size > 0 && lastCheckpointSize != range.Size)
                    {
                        throw new AuditVerificationException(AuditVerificationError.SizeMismatch,
                            $"Entries {lastCheckpointSize} to {range.Size - 1} are not covered by any signed checkpoint.");
                    }

                    break;
                }
                else
                {
                    throw new AuditVerificationException(AuditVerificationError.Malformed, $"Line {reader.LineNumber} is not an entry, checkpoint or end line.");
                }
            }

            if (reader.HasMoreData())
            {
                throw new AuditVerificationException(AuditVerificationError.TrailingData, "The export has data after its end line.");
            }

            return new LogVerification(origin, range.Size, checkpoints, range.Root(), roots);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(entryBuffer);
        }
    }

    private enum LineKind
    {
        Unknown,
        Entry,
        Checkpoint,
        End,
    }

    private static LineKind Classify(ReadOnlySpan<byte> line)
    {
        // Every line is an object whose first member names its kind; the exporter always writes them first.
        if (line.StartsWith("{\"index\":"u8))
        {
            return LineKind.Entry;
        }

        if (line.StartsWith("{\"seq\":"u8))
        {
            return LineKind.Checkpoint;
        }

        return line.StartsWith("{\"end\":"u8) ? LineKind.End : LineKind.Unknown;
    }

    private static (string Origin, long TreeSize, long Checkpoints) ParseHeader(ReadOnlySpan<byte> line)
    {
        using JsonDocument document = AuditJson.ParseSingle(line, "export header");
        JsonElement root = document.RootElement;
        AuditJson.RequireFormat(root, AuditLogExportWriter.Format, "export");
        AuditJson.RequireOnly(root, "export header", "format", "origin", "tree_size", "checkpoints");
        return (AuditJson.GetString(root, "origin", "export header"),
            AuditJson.GetInt64(root, "tree_size", "export header"),
            AuditJson.GetInt64(root, "checkpoints", "export header"));
    }

    private static (long Seq, string Note) ParseCheckpointLine(ReadOnlySpan<byte> line)
    {
        using JsonDocument document = AuditJson.ParseSingle(line, "export checkpoint line");
        JsonElement root = document.RootElement;
        AuditJson.RequireOnly(root, "export checkpoint line", "seq", "checkpoint");
        return (AuditJson.GetInt64(root, "seq", "export checkpoint line"), AuditJson.GetString(root, "checkpoint", "export checkpoint line"));
    }

    private static (long TreeSize, long Checkpoints) ParseEnd(ReadOnlySpan<byte> line)
    {
        using JsonDocument document = AuditJson.ParseSingle(line, "export end line");
        JsonElement root = document.RootElement;
        AuditJson.RequireOnly(root, "export end line", "end", "tree_size", "checkpoints");
        if (root.GetProperty("end").ValueKind != JsonValueKind.True)
        {
            throw new AuditVerificationException(AuditVerificationError.Malformed, "The export end line does not say \"end\":true.");
        }

        return (AuditJson.GetInt64(root, "tree_size", "export end line"), AuditJson.GetInt64(root, "checkpoints", "export end line"));
    }

    /// <summary>
    /// Parses <c>{"index":N,"entry":"base64"}</c> and decodes the entry into <paramref name="buffer"/> at offset 1, so the
    /// leaf prefix can go in front without a copy. Returns the index and the entry's length.
    /// </summary>
    private static (long Index, int Length) ParseEntry(ReadOnlySpan<byte> line, ref byte[] buffer)
    {
        return TryParseEntryExact(line, ref buffer, out long index, out int length) ? (index, length) : ParseEntryAsJson(line, ref buffer);
    }

    /// <summary>
    /// The exporter's exact line shape, <c>{"index":N,"entry":"base64"}</c>, parsed without a JSON reader: this runs a
    /// million times for a large log. Anything else (other spacing, escapes) falls back to the JSON reader.
    /// </summary>
    private static bool TryParseEntryExact(ReadOnlySpan<byte> line, ref byte[] buffer, out long index, out int length)
    {
        index = 0;
        length = 0;
        ReadOnlySpan<byte> prefix = "{\"index\":"u8;
        ReadOnlySpan<byte> infix = ",\"entry\":\""u8;
        ReadOnlySpan<byte> suffix = "\"}"u8;
        if (!line.StartsWith(prefix) || !line.EndsWith(suffix))
        {
            return false;
        }

        ReadOnlySpan<byte> rest = line[prefix.Length..];
        int digits = rest.IndexOfAnyExceptInRange((byte)'0', (byte)'9');
        if (digits <= 0 || digits > 18 || (digits > 1 && rest[0] == (byte)'0') || !rest[digits..].StartsWith(infix))
        {
            return false;
        }

        foreach (byte digit in rest[..digits])
        {
            index = (index * 10) + (digit - '0');
        }

        ReadOnlySpan<byte> base64 = rest[(digits + infix.Length)..^suffix.Length];
        int needed = Base64.GetMaxDecodedFromUtf8Length(base64.Length) + 1;
        if (buffer.Length < needed)
        {
            ArrayPool<byte>.Shared.Return(buffer);
            buffer = ArrayPool<byte>.Shared.Rent(needed);
        }

        if (Base64.DecodeFromUtf8(base64, buffer.AsSpan(1), out int consumed, out length) != OperationStatus.Done || consumed != base64.Length)
        {
            return false;
        }

        return true;
    }

    private static (long Index, int Length) ParseEntryAsJson(ReadOnlySpan<byte> line, ref byte[] buffer)
    {
        try
        {
            var reader = new Utf8JsonReader(line);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject
                || !reader.Read() || !reader.ValueTextEquals("index"u8)
                || !reader.Read() || reader.TokenType != JsonTokenType.Number || !reader.TryGetInt64(out long index) || index < 0
                || !reader.Read() || !reader.ValueTextEquals("entry"u8)
                || !reader.Read() || reader.TokenType != JsonTokenType.String)
            {
                throw Malformed();
            }

            ReadOnlySpan<byte> base64 = reader.ValueSpan;
            byte[]? unescaped = null;
            if (reader.ValueIsEscaped)
            {
                unescaped = new byte[base64.Length];
                int copied = reader.CopyString(unescaped);
                base64 = unescaped.AsSpan(0, copied);
            }

            int needed = Base64.GetMaxDecodedFromUtf8Length(base64.Length) + 1;
            if (buffer.Length < needed)
            {
                ArrayPool<byte>.Shared.Return(buffer);
                buffer = ArrayPool<byte>.Shared.Rent(needed);
            }

            if (Base64.DecodeFromUtf8(base64, buffer.AsSpan(1), out int consumed, out int written) != OperationStatus.Done || consumed != base64.Length)
            {
                throw new AuditVerificationException(AuditVerificationError.Malformed, $"Entry {index} is not valid base64.");
            }

            if (!reader.Read() || reader.TokenType != JsonTokenType.EndObject || reader.Read())
            {
                throw Malformed();
            }

            return (index, written);
        }
        catch (JsonException ex)
        {
            throw new AuditVerificationException(AuditVerificationError.Malformed, $"An entry line is not valid JSON: {ex.Message}", ex);
        }

        static AuditVerificationException Malformed() =>
            new(AuditVerificationError.Malformed, "An entry line is not {\"index\":N,\"entry\":\"base64\"}.");
    }

    /// <summary>Splits a stream into newline-terminated lines without copying them.</summary>
    private sealed class LineReader(Stream stream)
    {
        private byte[] _buffer = new byte[1 << 20];
        private int _start;
        private int _end;
        private bool _eof;

        public long LineNumber { get; private set; }

        public bool TryReadLine(out ReadOnlySpan<byte> line)
        {
            int searchFrom = 0;
            while (true)
            {
                int newline = _buffer.AsSpan(_start + searchFrom, _end - _start - searchFrom).IndexOf((byte)'\n');
                if (newline >= 0)
                {
                    line = _buffer.AsSpan(_start, searchFrom + newline);
                    _start += searchFrom + newline + 1;
                    LineNumber++;
                    return true;
                }

                searchFrom = _end - _start;
                if (_eof)
                {
                    if (_start == _end)
                    {
                        line = default;
                        return false;
                    }

                    throw new AuditVerificationException(AuditVerificationError.Truncated, $"The export's last line ({LineNumber + 1}) is cut off.");
                }

                Fill();
            }
        }

        public bool HasMoreData()
        {
            if (_start < _end)
            {
                return true;
            }

            if (_eof)
            {
                return false;
            }

            Fill();
            return _start < _end;
        }

        private void Fill()
        {
            if (_start > 0)
            {
                Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
                _end -= _start;
                _start = 0;
            }

            if (_end == _buffer.Length)
            {
                if (_buffer.Length >= MaxLineBytes)
                {
                    throw new AuditVerificationException(AuditVerificationError.Malformed, $"Line {LineNumber + 1} of the export is longer than {MaxLineBytes} bytes.");
                }

                Array.Resize(ref _buffer, _buffer.Length * 2);
            }

            int read = stream.Read(_buffer, _end, _buffer.Length - _end);
            if (read == 0)
            {
                _eof = true;
            }

            _end += read;
        }
    }
}
