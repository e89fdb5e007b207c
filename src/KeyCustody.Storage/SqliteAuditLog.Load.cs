// SPDX-License-Identifier: Apache-2.0
using KeyCustody.Audit;
using KeyCustody.Core;
using Microsoft.Data.Sqlite;

namespace KeyCustody.Storage;

public sealed partial class SqliteAuditLog
{
    /// <summary>
    /// Reads the stored log, checks it against the counter (anti-rollback), verifies it and rebuilds the in-memory
    /// state. Counter value c means checkpoints 1..c were published; the database must hold them. Holding c+1 means a
    /// crash struck between storing checkpoint c+1 and counting it: the counter is advanced now.
    /// </summary>
    private async Task LoadAsync(SqliteConnection connection, CancellationToken cancellationToken)
    {
        CheckIdentity(connection);
        List<StoredCheckpoint> checkpoints = ReadCheckpoints(connection, _options.OpenVerification == AuditOpenVerification.Full);
        long stored = checkpoints.Count == 0 ? 0 : checkpoints[^1].Seq;
        ulong counter = await _options.Counter.ReadAsync(cancellationToken).ConfigureAwait(false);
        if ((ulong)stored < counter)
        {
            throw new CustodyException(CustodyStatus.AuditRolledBack,
                $"The audit log holds {stored} checkpoints but the TPM counter proves {counter} were published: the database is an older copy (rolled back) or lost data. Restore the latest database; do not serve from this one.");
        }

        if ((ulong)stored > counter + 1)
        {
            throw new CustodyException(CustodyStatus.AuditCorrupt,
                $"The audit log holds {stored} checkpoints but the counter is only at {counter}: the counter was reset or belongs to another appliance.");
        }

        long size = Scalar(connection, "SELECT COALESCE(MAX(idx) + 1, 0) FROM audit_entries;");
        long count = Scalar(connection, "SELECT COUNT(*) FROM audit_entries;");
        if (count != size || Scalar(connection, "SELECT COALESCE(MIN(idx), 0) FROM audit_entries;") != 0)
        {
            throw new CustodyException(CustodyStatus.AuditCorrupt, $"The audit log's entries are not numbered 0 to {size - 1} without gaps ({count} rows).");
        }

        MerkleCompactRange range = _options.OpenVerification == AuditOpenVerification.Full
            ? VerifyFull(connection, checkpoints, size)
            : VerifyLatest(connection, checkpoints, size);

        SignedCheckpoint? latest = checkpoints.Count == 0 ? null : checkpoints[^1].Signed;
        if ((ulong)stored == counter + 1)
        {
            StorageLog.AuditRollForward(_options.Logger, stored);
            ulong advanced = await _options.Counter.IncrementAsync(CancellationToken.None).ConfigureAwait(false);
            if (advanced != (ulong)stored)
            {
                throw new CustodyException(CustodyStatus.AuditCorrupt, $"The counter moved to {advanced} instead of {stored} while completing a checkpoint publication.");
            }
        }

        _range = range;
        _committed = new CommittedState(range.Size, range.Clone());
        _uncounted = null;
        lock (_publishLock)
        {
            _published = new PublishedState(stored, latest);
        }
    }

    /// <summary>The log must belong to this origin and audit key; a fresh database is stamped with both.</summary>
    private void CheckIdentity(SqliteConnection connection)
    {
        string spki = Convert.ToBase64String(PublicKey.SubjectPublicKeyInfo.Span);
        var identity = new Dictionary<string, string>(StringComparer.Ordinal);
        using (SqliteCommand query = connection.CreateCommand())
        {
            query.CommandText = "SELECT name, value FROM audit_identity;";
            using SqliteDataReader reader = query.ExecuteReader();
            while (reader.Read())
            {
                identity[reader.GetString(0)] = reader.GetString(1);
            }
        }

        if (identity.Count == 0)
        {
            using SqliteTransaction transaction = connection.BeginTransaction(deferred: false);
            using SqliteCommand insert = connection.CreateCommand();
            insert.Transaction = transaction;
            insert.CommandText = "INSERT INTO audit_identity (name, value) VALUES ('origin', $origin), ('audit_key_spki', $spki);";
            insert.Parameters.AddWithValue("$origin", Origin);
            insert.Parameters.AddWithValue("$spki", spki);
            insert.ExecuteNonQuery();
            transaction.Commit();
            return;
        }

        if (!identity.TryGetValue("origin", out string? origin) || origin != Origin)
        {
            throw new CustodyException(CustodyStatus.AuditCorrupt, $"The audit database belongs to the log '{origin}', not '{Origin}'.");
        }

        if (!identity.TryGetValue("audit_key_spki", out string? storedKey) || storedKey != spki)
        {
            throw new CustodyException(CustodyStatus.AuditCorrupt,
                $"The audit database was created with a different audit key than the configured one (key id {SignedNote.FormatKeyId(KeyId)}).");
        }
    }

    private List<StoredCheckpoint> ReadCheckpoints(SqliteConnection connection, bool all)
    {
        var checkpoints = new List<StoredCheckpoint>();
        using SqliteCommand query = connection.CreateCommand();
        query.CommandText = all
            ? "SELECT seq, tree_size, root, note FROM audit_checkpoints ORDER BY seq;"
            : "SELECT seq, tree_size, root, note FROM audit_checkpoints ORDER BY seq DESC LIMIT 1;";
        using (SqliteDataReader reader = query.ExecuteReader())
        {
            while (reader.Read())
            {
                checkpoints.Add(ReadCheckpoint(reader));
            }
        }

        long count = Scalar(connection, "SELECT COUNT(*) FROM audit_checkpoints;");
        long max = Scalar(connection, "SELECT COALESCE(MAX(seq), 0) FROM audit_checkpoints;");
        long min = Scalar(connection, "SELECT COALESCE(MIN(seq), 1) FROM audit_checkpoints;");
        if (count != max || min != 1)
        {
            throw new CustodyException(CustodyStatus.AuditCorrupt, $"The audit log's checkpoints are not numbered 1 to {max} without gaps ({count} rows).");
        }

        return checkpoints;
    }

    /// <summary>Parses and verifies one stored checkpoint row: signature by the audit key, origin, and the row's columns.</summary>
    private StoredCheckpoint ReadCheckpoint(SqliteDataReader reader)
    {
        long seq = reader.GetInt64(0);
        long treeSize = reader.GetInt64(1);
        byte[] root = (byte[])reader.GetValue(2);
        string note = reader.GetString(3);
        Checkpoint checkpoint;
        try
        {
            checkpoint = _verifier.VerifyCheckpoint(note);
        }
        catch (AuditVerificationException ex)
        {
            throw new CustodyException(CustodyStatus.AuditCorrupt, $"Stored checkpoint {seq} does not verify: {ex.Message}", ex);
        }

        if (checkpoint.TreeSize != treeSize || !checkpoint.RootHash.AsSpan().SequenceEqual(root))
        {
            throw new CustodyException(CustodyStatus.AuditCorrupt, $"Stored checkpoint {seq}'s columns disagree with its signed note.");
        }

        return new StoredCheckpoint(seq, new SignedCheckpoint(checkpoint, note));
    }

    /// <summary>
    /// Rehashes every entry in order, recomputes every complete subtree its append produced and compares them with the
    /// hashes stored in its row (exact length and bytes), and checks each checkpoint's root at its size.
    /// </summary>
    private static MerkleCompactRange VerifyFull(SqliteConnection connection, List<StoredCheckpoint> checkpoints, long size)
    {
        var bySize = checkpoints.GroupBy(c => c.Signed.Checkpoint.TreeSize).ToDictionary(g => g.Key, g => g.ToList());
        long previous = 0;
        foreach (StoredCheckpoint checkpoint in checkpoints)
        {
            long treeSize = checkpoint.Signed.Checkpoint.TreeSize;
            if (treeSize < previous || treeSize > size || treeSize == 0)
            {
                throw new CustodyException(CustodyStatus.AuditCorrupt,
                    $"Stored checkpoint {checkpoint.Seq} is for {treeSize} entries, out of order or beyond the {size} stored.");
            }

            previous = treeSize;
        }

        var range = new MerkleCompactRange();
        byte[] expected = new byte[64 * MerkleHash.Size];
        int expectedLength = 0;
        void Collect(int level, long index, ReadOnlySpan<byte> hash)
        {
            hash.CopyTo(expected.AsSpan(expectedLength));
            expectedLength += MerkleHash.Size;
        }

        using SqliteCommand entries = connection.CreateCommand();
        entries.CommandText = "SELECT idx, entry, hashes FROM audit_entries ORDER BY idx;";
        using SqliteDataReader reader = entries.ExecuteReader();
        Span<byte> leaf = stackalloc byte[MerkleHash.Size];
        while (reader.Read())
        {
            long index = reader.GetInt64(0);
            if (index != range.Size)
            {
                throw new CustodyException(CustodyStatus.AuditCorrupt, $"Audit entry {range.Size} is missing.");
            }

            MerkleHash.HashLeaf((byte[])reader.GetValue(1), leaf);
            expectedLength = 0;
            range.Append(leaf, Collect);
            if (!((byte[])reader.GetValue(2)).AsSpan().SequenceEqual(expected.AsSpan(0, expectedLength)))
            {
                throw new CustodyException(CustodyStatus.AuditCorrupt,
                    $"The tree hashes stored with audit entry {index} do not match the entries they cover: the entry or its hashes were altered.");
            }

            if (bySize.TryGetValue(range.Size, out List<StoredCheckpoint>? due))
            {
                byte[] root = range.Root();
                foreach (StoredCheckpoint checkpoint in due)
                {
                    if (!root.AsSpan().SequenceEqual(checkpoint.Signed.Checkpoint.RootHash))
                    {
                        throw new CustodyException(CustodyStatus.AuditCorrupt,
                            $"Stored checkpoint {checkpoint.Seq} signs a root the stored entries do not hash to: the entries were altered.");
                    }
                }
            }
        }

        if (range.Size != size)
        {
            throw new CustodyException(CustodyStatus.AuditCorrupt, $"The audit log holds {range.Size} entries, expected {size}.");
        }

        return range;
    }

    /// <summary>Checks the latest checkpoint's root against the stored nodes and rebuilds the tree border from them.</summary>
    private static MerkleCompactRange VerifyLatest(SqliteConnection connection, List<StoredCheckpoint> checkpoints, long size)
    {
        using var nodes = new SqliteNodeSource(connection);
        if (checkpoints.Count > 0)
        {
            Checkpoint latest = checkpoints[^1].Signed.Checkpoint;
            if (latest.TreeSize > size || latest.TreeSize == 0)
            {
                throw new CustodyException(CustodyStatus.AuditCorrupt, $"The latest checkpoint is for {latest.TreeSize} entries but {size} are stored.");
            }

            if (!MerkleProof.Root(nodes, latest.TreeSize).AsSpan().SequenceEqual(latest.RootHash))
            {
                throw new CustodyException(CustodyStatus.AuditCorrupt, "The latest checkpoint's root does not match the stored tree.");
            }
        }

        return MerkleCompactRange.FromNodes(nodes, size);
    }

    private static long Scalar(SqliteConnection connection, string sql) => SqliteDatabase.Scalar<long>(connection, sql);

    private sealed record StoredCheckpoint(long Seq, SignedCheckpoint Signed);

    /// <summary>
    /// Reads complete subtree hashes for proof generation: node (level, index) is stored with the entry whose append
    /// completed it, row ((index + 1) · 2^level) − 1, at offset 32 · level (see <see cref="AuditSchema"/>).
    /// </summary>
    private sealed class SqliteNodeSource : IMerkleNodeSource, IDisposable
    {
        private readonly SqliteCommand _query;

        public SqliteNodeSource(SqliteConnection connection)
        {
            _query = connection.CreateCommand();
            _query.CommandText = "SELECT hashes FROM audit_entries WHERE idx = $idx;";
            _query.Parameters.Add("$idx", SqliteType.Integer);
        }

        public byte[] ReadNode(int level, long index)
        {
            _query.Parameters[0].Value = ((index + 1) << level) - 1;
            if (_query.ExecuteScalar() is not byte[] hashes || hashes.Length < (level + 1) * MerkleHash.Size)
            {
                throw new CustodyException(CustodyStatus.AuditCorrupt, $"The audit log's tree node at level {level}, index {index} is missing.");
            }

            return hashes.AsSpan(level * MerkleHash.Size, MerkleHash.Size).ToArray();
        }

        public void Dispose() => _query.Dispose();
    }
}
