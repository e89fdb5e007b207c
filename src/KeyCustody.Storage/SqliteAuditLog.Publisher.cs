// SPDX-License-Identifier: Apache-2.0
using KeyCustody.Audit;
using KeyCustody.Core;

namespace KeyCustody.Storage;

public sealed partial class SqliteAuditLog
{
    private readonly object _publishLock = new();
    private readonly List<(long MinTreeSize, TaskCompletionSource<SignedCheckpoint> Completion)> _waiters = [];
    private SemaphoreSlim _publishSignal = new(0, 1);
    private volatile PublishedState _published = new(0, null);
    private volatile string? _publishFailure;
    private CancellationTokenSource? _publisherStop;
    private Task? _publisherTask;
    private DateTimeOffset _lastPublishedAt = DateTimeOffset.MinValue;
    private CheckpointOperation? _uncounted;

    /// <summary>The latest published checkpoint (counted by the counter), or null while nothing has been published.</summary>
    public ValueTask<SignedCheckpoint?> GetCheckpointAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return ValueTask.FromResult(_published.Checkpoint);
    }

    /// <summary>
    /// Waits until a published checkpoint covers at least <paramref name="minTreeSize"/> entries and returns it. The
    /// publisher is nudged, so this takes at most about one <see cref="SqliteAuditLogOptions.CheckpointInterval"/>.
    /// </summary>
    /// <exception cref="CustodyException">
    /// InvalidArgument when fewer than <paramref name="minTreeSize"/> entries are durable; AuditUnavailable when
    /// publishing fails (signer, counter or disk) or the log closes.
    /// </exception>
    public async Task<SignedCheckpoint> WaitForCheckpointAsync(long minTreeSize, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        long size = Size;
        if (minTreeSize < 1 || minTreeSize > size)
        {
            throw new CustodyException(CustodyStatus.InvalidArgument,
                $"A checkpoint can cover 1 to {size} entries (the durable size), not {minTreeSize}.");
        }

        TaskCompletionSource<SignedCheckpoint> completion;
        lock (_publishLock)
        {
            if (_published.Checkpoint is { } current && current.Checkpoint.TreeSize >= minTreeSize)
            {
                return current;
            }

            completion = new TaskCompletionSource<SignedCheckpoint>(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Add((minTreeSize, completion));
        }

        SignalPublisher();
        return await completion.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Publishes (or waits for) a checkpoint covering every entry durable now, and returns it.</summary>
    public Task<SignedCheckpoint> PublishCheckpointAsync(CancellationToken cancellationToken = default) =>
        WaitForCheckpointAsync(Size, cancellationToken);

    private void SignalPublisher()
    {
        try
        {
            _publishSignal.Release();
        }
        catch (SemaphoreFullException)
        {
            // Already signalled: the publisher will look at the latest state anyway.
        }
        catch (ObjectDisposedException)
        {
            // Stopped.
        }
    }

    private void StartPublisher()
    {
        _publishSignal = new SemaphoreSlim(0, 1);
        _publisherStop = new CancellationTokenSource();
        CancellationToken stop = _publisherStop.Token;
        _publisherTask = Task.Run(() => PublisherLoopAsync(stop));

        // Entries a crash left without a checkpoint get one now.
        if (Size > _published.TreeSize)
        {
            SignalPublisher();
        }
    }

    private async Task StopPublisherAsync()
    {
        if (_publisherTask is null)
        {
            return;
        }

        await _publisherStop!.CancelAsync().ConfigureAwait(false);
        await _publisherTask.ConfigureAwait(false);
        _publisherStop.Dispose();
        _publishSignal.Dispose();
        _publisherTask = null;
        FailWaiters(new CustodyException(CustodyStatus.AuditUnavailable, "The audit log stopped before a checkpoint was published. Retry once it is running."));
    }

    private async Task PublisherLoopAsync(CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            try
            {
                await _publishSignal.WaitAsync(stop).ConfigureAwait(false);
                await PublishPendingAsync(stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                string reason = Describe(ex);
                _publishFailure = reason;
                StorageLog.AuditPublishFailed(_options.Logger, reason, ex);
                FailWaiters(ex as CustodyException
                    ?? new CustodyException(CustodyStatus.AuditUnavailable, $"No checkpoint could be published: {reason}.", ex));
            }
        }
    }

    /// <summary>Publishes checkpoints until one covers the durable size, pacing them by the configured interval.</summary>
    private async Task PublishPendingAsync(CancellationToken stop)
    {
        if (_uncounted is { } stored)
        {
            // An earlier attempt stored this checkpoint but could not advance the counter (TPM busy or gone).
            await CountAsync(stored).ConfigureAwait(false);
        }

        while (true)
        {
            PublishedState published = _published;
            if (_committed.Size <= published.TreeSize)
            {
                CompleteWaiters();
                return;
            }

            TimeSpan wait = _lastPublishedAt + _options.CheckpointInterval - _options.TimeProvider.GetUtcNow();
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait, _options.TimeProvider, stop).ConfigureAwait(false);
            }

            // Sign the newest durable state: everything committed while we waited rides along.
            CommittedState committed = _committed;
            SignedCheckpoint checkpoint = await _checkpointSigner.SignAsync(committed.Size, committed.Tree.Root(), stop).ConfigureAwait(false);
            long seq = published.Seq + 1;
            var store = new CheckpointOperation(seq, checkpoint);
            Enqueue(store);
            await store.Completion.Task.ConfigureAwait(false);
            _uncounted = store;
            await CountAsync(store).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Advances the counter to a durably stored checkpoint's number, which publishes it. Stored first, counted second: a
    /// crash in between leaves the database one ahead of the counter, which opening completes — never behind, which
    /// would read as a rollback.
    /// </summary>
    private async Task CountAsync(CheckpointOperation stored)
    {
        ulong current = await _options.Counter.ReadAsync(CancellationToken.None).ConfigureAwait(false);
        if (current + 1 == (ulong)stored.Seq)
        {
            current = await _options.Counter.IncrementAsync(CancellationToken.None).ConfigureAwait(false);
        }

        if (current != (ulong)stored.Seq)
        {
            throw new CustodyException(CustodyStatus.AuditCorrupt,
                $"The monotonic counter is at {current} while checkpoint {stored.Seq} is being published; something else changes it.");
        }

        _uncounted = null;
        lock (_publishLock)
        {
            _published = new PublishedState(stored.Seq, stored.Checkpoint);
        }

        _lastPublishedAt = _options.TimeProvider.GetUtcNow();
        _publishFailure = null;
        StorageLog.AuditPublished(_options.Logger, stored.Seq, stored.Checkpoint.Checkpoint.TreeSize);
        CompleteWaiters();
    }

    private void CompleteWaiters()
    {
        List<(TaskCompletionSource<SignedCheckpoint> Completion, SignedCheckpoint Checkpoint)> ready = [];
        lock (_publishLock)
        {
            if (_published.Checkpoint is not { } current)
            {
                return;
            }

            for (int i = _waiters.Count - 1; i >= 0; i--)
            {
                if (_waiters[i].MinTreeSize <= current.Checkpoint.TreeSize)
                {
                    ready.Add((_waiters[i].Completion, current));
                    _waiters.RemoveAt(i);
                }
            }
        }

        foreach ((TaskCompletionSource<SignedCheckpoint> completion, SignedCheckpoint checkpoint) in ready)
        {
            completion.TrySetResult(checkpoint);
        }
    }

    private void FailWaiters(Exception exception)
    {
        List<TaskCompletionSource<SignedCheckpoint>> failed;
        lock (_publishLock)
        {
            failed = [.. _waiters.Select(w => w.Completion)];
            _waiters.Clear();
        }

        foreach (TaskCompletionSource<SignedCheckpoint> completion in failed)
        {
            completion.TrySetException(exception);
        }
    }

    /// <summary>The latest published checkpoint and its number (= the counter value).</summary>
    private sealed record PublishedState(long Seq, SignedCheckpoint? Checkpoint)
    {
        public long TreeSize => Checkpoint?.Checkpoint.TreeSize ?? 0;
    }
}
