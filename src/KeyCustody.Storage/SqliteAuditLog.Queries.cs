// SPDX-License-Identifier: Apache-2.0
using KeyCustody.Audit;
using KeyCustody.Core;
using Microsoft.Data.Sqlite;

namespace KeyCustody.Storage;

public sealed partial class SqliteAuditLog
{
    /// <summary>The most entries <see cref="GetEntriesAsync"/> returns at once.</summary>
    public const int MaxEntriesPerRead = 1000;

    /// <summary>The inclusion proof of entry <paramref name="index"/> in the tree of <paramref name="treeSize"/> entries (O(log n) node reads).</summary>
    /// <exception cref="CustodyException">InvalidArgument when the index or size is outside the durable log.</exception>
    public Task<IReadOnlyList<byte[]>> GetInclusionProofAsync(long index, long treeSize, CancellationToken cancellationToken = default)
    {
        CheckTreeSize(treeSize);
        if (index < 0 || index >= treeSize)
        {
            throw new CustodyException(CustodyStatus.InvalidArgument, $"Entry {index} is not in a tree of {treeSize} entries.");
        }

        return Task.FromResult(WithNodes(nodes => MerkleProof.Inclusion(nodes, index, treeSize)));
    }

    /// <summary>The consistency proof from the tree of <paramref name="oldSize"/> entries to the one of <paramref name="newSize"/>.</summary>
    /// <exception cref="CustodyException">InvalidArgument unless 0 ≤ oldSize ≤ newSize ≤ the durable size.</exception>
    public Task<IReadOnlyList<byte[]>> GetConsistencyProofAsync(long oldSize, long newSize, CancellationToken cancellationToken = default)
    {
        CheckTreeSize(newSize);
        if (oldSize < 0 || oldSize > newSize)
        {
            throw new CustodyException(CustodyStatus.InvalidArgument, $"No consistency proof leads from {oldSize} to {newSize} entries.");
        }

        return Task.FromResult(WithNodes(nodes => MerkleProof.Consistency(nodes, oldSize, newSize)));
    }

    /// <summary>The root of the tree of <paramref name="treeSize"/> entries.</summary>
    public Task<byte[]> GetRootAsync(long treeSize, CancellationToken cancellationToken = default)
    {
        CheckTreeSize(treeSize);
        return Task.FromResult(WithNodes(nodes => MerkleProof.Root(nodes, treeSize)));
    }

    /// <summary>Up to <paramref name="count"/> (at most <see cref="MaxEntriesPerRead"/>) durable entries from <paramref name="start"/>, byte-exact.</summary>
    public Task<IReadOnlyList<AuditLogEntry>> GetEntriesAsync(long start, int count, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (start < 0 || count < 1)
        {
            throw new CustodyException(CustodyStatus.InvalidArgument, "Entries are read from a non-negative start, at least one at a time.");
        }

        long end = Math.Min(Size, start + Math.Min(count, MaxEntriesPerRead));
        var entries = new List<AuditLogEntry>();
        if (start >= end)
        {
            return Task.FromResult<IReadOnlyList<AuditLogEntry>>(entries);
        }

        SqliteConnection connection = RentReader();
        try
        {
            using SqliteCommand query = connection.CreateCommand();
            query.CommandText = "SELECT idx, entry FROM audit_entries WHERE idx >= $start AND idx < $end ORDER BY idx;";
            query.Parameters.AddWithValue("$start", start);
            query.Parameters.AddWithValue("$end", end);
            using SqliteDataReader reader = query.ExecuteReader();
            while (reader.Read())
            {
                entries.Add(new AuditLogEntry(reader.GetInt64(0), (byte[])reader.GetValue(1)));
            }
        }
        finally
        {
            ReturnReader(connection);
        }

        return Task.FromResult<IReadOnlyList<AuditLogEntry>>(entries);
    }

    /// <summary>
    /// A receipt for entry <paramref name="index"/>: its bytes, an inclusion proof and a published checkpoint covering it.
    /// Waits (about one checkpoint interval at most) when no published checkpoint covers the entry yet.
    /// </summary>
    /// <exception cref="CustodyException">NotFound for an index beyond the durable log; AuditUnavailable when no checkpoint can be published.</exception>
    public async Task<AuditReceipt> GetReceiptAsync(long index, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (index < 0 || index >= Size)
        {
            throw new CustodyException(CustodyStatus.NotFound, $"There is no audit entry {index}: the log holds {Size}.");
        }

        SignedCheckpoint checkpoint = await WaitForCheckpointAsync(index + 1, cancellationToken).ConfigureAwait(false);
        long treeSize = checkpoint.Checkpoint.TreeSize;
        IReadOnlyList<AuditLogEntry> entry = await GetEntriesAsync(index, 1, cancellationToken).ConfigureAwait(false);
        IReadOnlyList<byte[]> proof = await GetInclusionProofAsync(index, treeSize, cancellationToken).ConfigureAwait(false);
        return new AuditReceipt(index, treeSize, entry[0].Entry, proof, checkpoint.Note);
    }

    /// <summary>
    /// Writes a log export (<see cref="AuditLogExportWriter"/> format) of every entry up to the latest published checkpoint,
    /// with every published checkpoint, for <c>keycustody audit verify-log</c>. Call <see cref="PublishCheckpointAsync"/>
    /// first to include the newest entries.
    /// </summary>
    public Task ExportAsync(Stream destination, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(destination);
        ObjectDisposedException.ThrowIf(_disposed, this);
        PublishedState published = _published;
        return Task.Run(() => Export(destination, published, cancellationToken), cancellationToken);
    }

    private void Export(Stream destination, PublishedState published, CancellationToken cancellationToken)
    {
        using SqliteConnection connection = OpenReadConnection();
        var checkpoints = new List<(long Seq, SignedCheckpoint Checkpoint)>();
        using (SqliteCommand query = connection.CreateCommand())
        {
            query.CommandText = "SELECT seq, tree_size, root, note FROM audit_checkpoints WHERE seq <= $seq ORDER BY seq;";
            query.Parameters.AddWithValue("$seq", published.Seq);
            using SqliteDataReader reader = query.ExecuteReader();
            while (reader.Read())
            {
                var checkpoint = new Checkpoint(Origin, reader.GetInt64(1), (byte[])reader.GetValue(2));
                checkpoints.Add((reader.GetInt64(0), new SignedCheckpoint(checkpoint, reader.GetString(3))));
            }
        }

        long treeSize = published.TreeSize;
        // Not disposed: disposing a BufferedStream would close the caller's stream.
        var buffered = new BufferedStream(destination, 1 << 16);
        var writer = new AuditLogExportWriter(buffered, Origin, treeSize, checkpoints.Count);
        int next = 0;
        void WriteCheckpointsAt(long size)
        {
            while (next < checkpoints.Count && checkpoints[next].Checkpoint.Checkpoint.TreeSize == size)
            {
                writer.WriteCheckpoint(checkpoints[next].Seq, checkpoints[next].Checkpoint);
                next++;
            }
        }

        WriteCheckpointsAt(0);
        using (SqliteCommand query = connection.CreateCommand())
        {
            query.CommandText = "SELECT idx, entry FROM audit_entries WHERE idx < $size ORDER BY idx;";
            query.Parameters.AddWithValue("$size", treeSize);
            using SqliteDataReader reader = query.ExecuteReader();
            while (reader.Read())
            {
                long index = reader.GetInt64(0);
                if ((index & 0xFFF) == 0)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                }

                writer.WriteEntry(index, (byte[])reader.GetValue(1));
                WriteCheckpointsAt(index + 1);
            }
        }

        writer.Complete();
        buffered.Flush();
    }

    private T WithNodes<T>(Func<IMerkleNodeSource, T> read)
    {
        SqliteConnection connection = RentReader();
        try
        {
            using var nodes = new SqliteNodeSource(connection);
            return read(nodes);
        }
        finally
        {
            ReturnReader(connection);
        }
    }

    private void CheckTreeSize(long treeSize)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        long size = Size;
        if (treeSize < 0 || treeSize > size)
        {
            throw new CustodyException(CustodyStatus.InvalidArgument, $"The log holds {size} durable entries; a tree of {treeSize} does not exist yet.");
        }
    }
}
