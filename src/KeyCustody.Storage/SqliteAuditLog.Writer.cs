// SPDX-License-Identifier: Apache-2.0
using KeyCustody.Audit;
using KeyCustody.Core;
using KeyCustody.Core.Ports;
using Microsoft.Data.Sqlite;

namespace KeyCustody.Storage;

public sealed partial class SqliteAuditLog
{
    // Queue shared by callers and the writer thread; _queueLock also guards _failure and _writerStopping.
    private readonly object _queueLock = new();
    private readonly Queue<WriteOperation> _queue = new();
    private volatile string? _failure;
    private bool _writerStopping;
    private Thread? _writerThread;
    private TaskCompletionSource? _writerExited;
    private long _commitCount;

    // Owned by the writer thread while it runs (set before it starts, read after it exits).
    private MerkleCompactRange _range = new();

    private void Enqueue(WriteOperation operation)
    {
        lock (_queueLock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_failure is { } failure)
            {
                throw Unavailable(failure);
            }

            if (_writerStopping || _writerThread is null)
            {
                throw new CustodyException(CustodyStatus.AuditUnavailable, "The audit log is stopping or recovering; nothing was recorded. Retry shortly.");
            }

            _queue.Enqueue(operation);
            Monitor.Pulse(_queueLock);
        }
    }

    private void StartWriter(SqliteConnection connection)
    {
        lock (_queueLock)
        {
            _failure = null;
            _writerStopping = false;
            _writerExited = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            TaskCompletionSource exited = _writerExited;
            _writerThread = new Thread(() =>
            {
                try
                {
                    WriterLoop(connection);
                }
                finally
                {
                    exited.TrySetResult();
                }
            })
            {
                IsBackground = true,
                Name = "keycustody-audit-writer",
            };
            _writerThread.Start();
        }
    }

    private async Task StopWriterAsync()
    {
        Task? exited;
        lock (_queueLock)
        {
            if (_writerThread is null)
            {
                return;
            }

            _writerStopping = true;
            Monitor.PulseAll(_queueLock);
            exited = _writerExited?.Task;
        }

        if (exited is not null)
        {
            await exited.ConfigureAwait(false);
        }

        lock (_queueLock)
        {
            _writerThread = null;
        }
    }

    /// <summary>
    /// The single writer: takes everything queued (up to the batch limit), commits it in one transaction, then answers
    /// the callers. Runs until stopped (after draining the queue) or until a commit fails, which fails the log closed.
    /// </summary>
    private void WriterLoop(SqliteConnection connection)
    {
        var batch = new List<WriteOperation>(_options.MaxBatchSize);
        try
        {
            using var statements = new WriterStatements(connection);
            while (true)
            {
                lock (_queueLock)
                {
                    while (_queue.Count == 0 && !_writerStopping)
                    {
                        Monitor.Wait(_queueLock);
                    }

                    if (_queue.Count == 0)
                    {
                        return;
                    }

                    while (batch.Count < _options.MaxBatchSize && _queue.TryDequeue(out WriteOperation? next))
                    {
                        batch.Add(next);
                    }
                }

                try
                {
                    CommitBatch(connection, statements, batch);
                }
                catch (Exception ex)
                {
                    FailClosed(ex, batch);
                    return;
                }

                batch.Clear();
            }
        }
        finally
        {
            connection.Dispose();
        }
    }

    private void CommitBatch(SqliteConnection connection, WriterStatements statements, List<WriteOperation> batch)
    {
        MerkleCompactRange staged = _range.Clone();
        var appended = new List<(AppendOperation Operation, long Index)>(batch.Count);
        var checkpoints = new List<CheckpointOperation>();
        Span<byte> leaf = stackalloc byte[MerkleHash.Size];
        SqliteTransaction transaction = connection.BeginTransaction(deferred: false);
        try
        {
            statements.Bind(transaction);
            foreach (WriteOperation operation in batch)
            {
                if (operation is AppendOperation append)
                {
                    if (!append.TryTake())
                    {
                        continue;
                    }

                    if (append.StateChange is { } stateChange && !TryApplyStateChange(connection, transaction, append, stateChange))
                    {
                        continue;
                    }

                    long index = staged.Size;
                    MerkleHash.HashLeaf(append.Entry, leaf);
                    statements.InsertEntry(index, append.Entry, staged, leaf);
                    appended.Add((append, index));
                }
                else if (operation is CheckpointOperation checkpoint)
                {
                    statements.InsertCheckpoint(checkpoint.Seq, checkpoint.Checkpoint, _options.TimeProvider.GetUtcNow());
                    checkpoints.Add(checkpoint);
                }
            }

            // Commit = write the WAL frames and fsync them (synchronous=FULL). Nobody hears back before this returns.
            transaction.Commit();
        }
        catch
        {
            // The batch failed: whatever the rollback says, the original error is what the callers and the log see.
            try
            {
                transaction.Rollback();
                transaction.Dispose();
            }
            catch (Exception)
            {
                // The connection is closed right after; recovery re-reads what is durable.
            }

            throw;
        }

        transaction.Dispose();

        // The next batch stages on a clone of this border, so it never changes again; the publisher folds its root.
        _range = staged;
        _committed = new CommittedState(staged.Size, staged);
        if (appended.Count > 0)
        {
            Interlocked.Increment(ref _commitCount);
        }

        foreach ((AppendOperation operation, long index) in appended)
        {
            operation.Completion.TrySetResult(new AuditAppendResult(index, staged.Size));
        }

        foreach (CheckpointOperation checkpoint in checkpoints)
        {
            checkpoint.Completion.TrySetResult();
        }

        if (appended.Count > 0)
        {
            SignalPublisher();
        }
    }

    /// <summary>Runs a caller's state change under a savepoint; false (caller answered with its exception) when it threw.</summary>
    private static bool TryApplyStateChange(SqliteConnection connection, SqliteTransaction transaction, AppendOperation append, Action<SqliteConnection, SqliteTransaction> stateChange)
    {
        const string savepoint = "audit_state_change";
        transaction.Save(savepoint);
        try
        {
            stateChange(connection, transaction);
        }
        catch (Exception ex) when (!IsStorageFailure(ex))
        {
            // Only this caller's work is undone; if the rollback itself fails the whole batch fails closed.
            transaction.Rollback(savepoint);
            transaction.Release(savepoint);
            append.Completion.TrySetException(ex);
            return false;
        }

        transaction.Release(savepoint);
        return true;
    }

    /// <summary>SQLite errors that mean the database cannot be trusted to take more writes (versus a caller's constraint error).</summary>
    private static bool IsStorageFailure(Exception exception) =>
        exception is SqliteException { SqliteErrorCode: 5 or 6 or 7 or 8 or 10 or 11 or 13 or 14 or 15 or 26 };

    private void FailClosed(Exception exception, List<WriteOperation> batch)
    {
        string reason = Describe(exception);
        StorageLog.AuditFailedClosed(_options.Logger, reason, exception);
        List<WriteOperation> pending;
        lock (_queueLock)
        {
            _failure = reason;
            pending = [.. batch, .. _queue];
            _queue.Clear();
        }

        CustodyException unavailable = Unavailable(reason, exception);
        foreach (WriteOperation operation in pending)
        {
            operation.Fail(unavailable);
        }
    }

    private static CustodyException Unavailable(string reason, Exception? inner = null) =>
        new(CustodyStatus.AuditUnavailable,
            $"The audit log cannot record durably ({reason}); nothing was recorded and the operation must not proceed. The log refuses appends until it is recovered.",
            inner);

    private abstract class WriteOperation
    {
        public abstract void Fail(Exception exception);
    }

    private sealed class AppendOperation(byte[] entry, Action<SqliteConnection, SqliteTransaction>? stateChange) : WriteOperation
    {
        private const int Queued = 0;
        private const int Taken = 1;
        private const int Cancelled = 2;
        private int _state;

        public byte[] Entry { get; } = entry;

        public Action<SqliteConnection, SqliteTransaction>? StateChange { get; } = stateChange;

        public TaskCompletionSource<AuditAppendResult> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        /// <summary>The writer claims the entry; false when the caller cancelled first.</summary>
        public bool TryTake() => Interlocked.CompareExchange(ref _state, Taken, Queued) == Queued;

        /// <summary>The caller withdraws the entry; ignored once the writer has taken it.</summary>
        public void TryCancel()
        {
            if (Interlocked.CompareExchange(ref _state, Cancelled, Queued) == Queued)
            {
                Completion.TrySetCanceled();
            }
        }

        public override void Fail(Exception exception) => Completion.TrySetException(exception);
    }

    private sealed class CheckpointOperation(long seq, SignedCheckpoint checkpoint) : WriteOperation
    {
        public long Seq { get; } = seq;

        public SignedCheckpoint Checkpoint { get; } = checkpoint;

        public TaskCompletionSource Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public override void Fail(Exception exception) => Completion.TrySetException(exception);
    }

    /// <summary>The writer's prepared statements, reused for every batch.</summary>
    private sealed class WriterStatements : IDisposable
    {
        private readonly SqliteCommand _insertEntry;
        private readonly SqliteCommand _insertCheckpoint;
        private readonly byte[] _hashes = new byte[64 * MerkleHash.Size];
        private int _hashesLength;

        public WriterStatements(SqliteConnection connection)
        {
            _insertEntry = connection.CreateCommand();
            _insertEntry.CommandText = "INSERT INTO audit_entries (idx, entry, hashes) VALUES ($idx, $entry, $hashes);";
            _insertEntry.Parameters.Add("$idx", SqliteType.Integer);
            _insertEntry.Parameters.Add("$entry", SqliteType.Blob);
            _insertEntry.Parameters.Add("$hashes", SqliteType.Blob);

            _insertCheckpoint = connection.CreateCommand();
            _insertCheckpoint.CommandText = "INSERT INTO audit_checkpoints (seq, tree_size, root, note, created_at) VALUES ($seq, $size, $root, $note, $at);";
            _insertCheckpoint.Parameters.Add("$seq", SqliteType.Integer);
            _insertCheckpoint.Parameters.Add("$size", SqliteType.Integer);
            _insertCheckpoint.Parameters.Add("$root", SqliteType.Blob);
            _insertCheckpoint.Parameters.Add("$note", SqliteType.Text);
            _insertCheckpoint.Parameters.Add("$at", SqliteType.Text);
        }

        public void Bind(SqliteTransaction transaction)
        {
            _insertEntry.Transaction = transaction;
            _insertCheckpoint.Transaction = transaction;
        }

        /// <summary>Appends the leaf to <paramref name="tree"/> and stores the entry with every subtree hash it completed.</summary>
        public void InsertEntry(long index, byte[] entry, MerkleCompactRange tree, ReadOnlySpan<byte> leaf)
        {
            _hashesLength = 0;
            tree.Append(leaf, CollectNode);
            _insertEntry.Parameters[0].Value = index;
            _insertEntry.Parameters[1].Value = entry;
            _insertEntry.Parameters[2].Value = _hashes.AsSpan(0, _hashesLength).ToArray();
            _insertEntry.ExecuteNonQuery();
        }

        private void CollectNode(int level, long index, ReadOnlySpan<byte> hash)
        {
            hash.CopyTo(_hashes.AsSpan(_hashesLength));
            _hashesLength += MerkleHash.Size;
        }

        public void InsertCheckpoint(long seq, SignedCheckpoint checkpoint, DateTimeOffset at)
        {
            _insertCheckpoint.Parameters[0].Value = seq;
            _insertCheckpoint.Parameters[1].Value = checkpoint.Checkpoint.TreeSize;
            _insertCheckpoint.Parameters[2].Value = checkpoint.Checkpoint.RootHash;
            _insertCheckpoint.Parameters[3].Value = checkpoint.Note;
            _insertCheckpoint.Parameters[4].Value = AuditEntry.FormatTime(at);
            _insertCheckpoint.ExecuteNonQuery();
        }

        public void Dispose()
        {
            _insertEntry.Dispose();
            _insertCheckpoint.Dispose();
        }
    }
}
