// SPDX-License-Identifier: Apache-2.0
using System.Buffers;
using System.Buffers.Text;
using System.Globalization;
using System.Text.Json;

namespace KeyCustody.Audit;

/// <summary>
/// Writes a log export: JSON lines, each terminated by a newline —
/// <code>
/// {"format":"keycustody-log-export/v1","origin":"…","tree_size":N,"checkpoints":K}
/// {"index":0,"entry":"base64…"}                 one per entry, in index order
/// {"seq":1,"checkpoint":"signed note…"}           right after the entry that brings the tree to its size
/// {"end":true,"tree_size":N,"checkpoints":K}
/// </code>
/// The verifier recomputes the tree while streaming and checks every checkpoint at the point it appears. An
/// export stops at a checkpointed size, so every exported entry is covered by a signature.
/// </summary>
public sealed class AuditLogExportWriter
{
    /// <summary>The format tag of version 1 exports.</summary>
    public const string Format = "keycustody-log-export/v1";

    private readonly Stream _output;
    private readonly long _treeSize;
    private readonly long _checkpoints;
    private readonly byte[] _line = new byte[4096];
    private long _entriesWritten;
    private long _checkpointsWritten;
    private long _lastCheckpointSize;
    private bool _completed;

    /// <summary>Starts an export of <paramref name="treeSize"/> entries and <paramref name="checkpoints"/> checkpoints.</summary>
    public AuditLogExportWriter(Stream output, string origin, long treeSize, long checkpoints)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentOutOfRangeException.ThrowIfNegative(treeSize);
        ArgumentOutOfRangeException.ThrowIfNegative(checkpoints);
        _output = output;
        _treeSize = treeSize;
        _checkpoints = checkpoints;
        WriteJsonLine(writer =>
        {
            writer.WriteString("format", Format);
            writer.WriteString("origin", origin);
            writer.WriteNumber("tree_size", treeSize);
            writer.WriteNumber("checkpoints", checkpoints);
        });
    }

    /// <summary>Writes entry <paramref name="index"/> (entries must come in order).</summary>
    public void WriteEntry(long index, ReadOnlySpan<byte> entry)
    {
        if (index != _entriesWritten || index >= _treeSize || _completed)
        {
            throw new InvalidOperationException($"Export entry {index} is out of order (expected {_entriesWritten} of {_treeSize}).");
        }

        // Hand-formatted: this line is written a million times in a large export, and its shape is fixed.
        int length = "{\"index\":".Length + 20 + ",\"entry\":\"".Length + Base64.GetMaxEncodedToUtf8Length(entry.Length) + "\"}\n".Length;
        byte[]? rented = length > _line.Length ? ArrayPool<byte>.Shared.Rent(length) : null;
        Span<byte> line = rented ?? _line;
        try
        {
            int at = 0;
            "{\"index\":"u8.CopyTo(line);
            at += "{\"index\":"u8.Length;
            index.TryFormat(line[at..], out int written, default, CultureInfo.InvariantCulture);
            at += written;
            ",\"entry\":\""u8.CopyTo(line[at..]);
            at += ",\"entry\":\""u8.Length;
            Base64.EncodeToUtf8(entry, line[at..], out _, out written);
            at += written;
            "\"}\n"u8.CopyTo(line[at..]);
            at += "\"}\n"u8.Length;
            _output.Write(line[..at]);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }

        _entriesWritten++;
    }

    /// <summary>Writes checkpoint number <paramref name="seq"/>; its tree size must equal the entries written so far.</summary>
    public void WriteCheckpoint(long seq, SignedCheckpoint checkpoint)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        if (seq != _checkpointsWritten + 1 || checkpoint.Checkpoint.TreeSize != _entriesWritten || _completed)
        {
            throw new InvalidOperationException($"Export checkpoint {seq} (size {checkpoint.Checkpoint.TreeSize}) is out of place after {_entriesWritten} entries.");
        }

        WriteJsonLine(writer =>
        {
            writer.WriteNumber("seq", seq);
            writer.WriteString("checkpoint", checkpoint.Note);
        });
        _checkpointsWritten++;
        _lastCheckpointSize = checkpoint.Checkpoint.TreeSize;
    }

    /// <summary>Writes the trailer; the declared counts must have been written.</summary>
    public void Complete()
    {
        if (_entriesWritten != _treeSize || _checkpointsWritten != _checkpoints || (_treeSize > 0 && _lastCheckpointSize != _treeSize))
        {
            throw new InvalidOperationException(
                $"The export declared {_treeSize} entries and {_checkpoints} checkpoints but wrote {_entriesWritten} and {_checkpointsWritten}, ending at a checkpoint of size {_lastCheckpointSize}.");
        }

        WriteJsonLine(writer =>
        {
            writer.WriteBoolean("end", true);
            writer.WriteNumber("tree_size", _treeSize);
            writer.WriteNumber("checkpoints", _checkpoints);
        });
        _completed = true;
    }

    private void WriteJsonLine(Action<Utf8JsonWriter> body)
    {
        var buffer = new ArrayBufferWriter<byte>(512);
        using (var writer = new Utf8JsonWriter(buffer, AuditJson.CompactOptions))
        {
            writer.WriteStartObject();
            body(writer);
            writer.WriteEndObject();
        }

        _output.Write(buffer.WrittenSpan);
        _output.Write("\n"u8);
    }
}
