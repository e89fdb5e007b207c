// SPDX-License-Identifier: Apache-2.0
using System.Collections.Concurrent;
using System.Text.Json;
using KeyCustody.Audit;
using KeyCustody.Core;
using KeyCustody.Core.Ports;
using Microsoft.Data.Sqlite;

namespace KeyCustody.Storage;

/// <summary>
/// The appliance's audit log in SQLite: an RFC 6962 Merkle log whose entries are stored byte-exact, with every complete
/// subtree hash stored so proofs need O(log n) reads, and C2SP checkpoints signed by the audit key and anchored by a
/// monotonic counter.
/// <para>
/// Appends go through one writer thread with group commit: callers enqueue, the writer commits whatever is queued
/// (up to <see cref="SqliteAuditLogOptions.MaxBatchSize"/>) in one transaction, and each caller is answered only after
/// the commit — an fsync of the WAL — that covers its entry. An append that cannot be made durable fails with
/// <see cref="CustodyStatus.AuditUnavailable"/> and the log refuses every further append (fails closed) until
/// <see cref="RecoverAsync"/> reopens the database and re-verifies what is actually on disk.
/// </para>
/// <para>
/// A publisher signs a checkpoint after commits, at most once per <see cref="SqliteAuditLogOptions.CheckpointInterval"/>:
/// it stores checkpoint number k durably, then advances the counter to k. Opening refuses a database holding fewer
/// checkpoints than the counter (<see cref="CustodyStatus.AuditRolledBack"/>) and one whose checkpoints or tree do not
/// verify (<see cref="CustodyStatus.AuditCorrupt"/>).
/// </para>
/// </summary>
public sealed partial class SqliteAuditLog : IAuditLog, IAsyncDisposable
{
    private readonly SqliteAuditLogOptions _options;
    private readonly CheckpointSigner _checkpointSigner;
    private readonly AuditVerifier _verifier;
    private readonly ConcurrentBag<SqliteConnection> _readPool = [];
    private readonly SemaphoreSlim _lifecycle = new(1, 1);
    private volatile CommittedState _committed = new(0, new MerkleCompactRange());
    private volatile bool _disposed;
    private int _disposeStarted;

    private SqliteAuditLog(SqliteAuditLogOptions options, CheckpointSigner checkpointSigner)
    {
        _options = options;
        _checkpointSigner = checkpointSigner;
        _verifier = new AuditVerifier(checkpointSigner.PublicKey, options.Origin);
    }

    /// <summary>The database file.</summary>
    public string DatabasePath => _options.DatabasePath;

    /// <summary>The log's origin (checkpoint first line and signature key name).</summary>
    public string Origin => _options.Origin;

    /// <summary>The public audit key that verifies this log's checkpoints.</summary>
    public AuditPublicKey PublicKey => _checkpointSigner.PublicKey;

    /// <summary>The signed-note key id of <see cref="PublicKey"/> under <see cref="Origin"/>.</summary>
    public uint KeyId => _checkpointSigner.KeyId;

    /// <summary>The number of durable entries.</summary>
    public long Size => _committed.Size;

    /// <summary>False once an append could not be made durable, until <see cref="RecoverAsync"/> succeeds.</summary>
    public bool IsWritable => _failure is null && !_disposed;

    /// <summary>How many committed transactions carried appended entries (group commit makes this smaller than the appends).</summary>
    public long CommitCount => Interlocked.Read(ref _commitCount);

    /// <summary>A snapshot for health reporting.</summary>
    public AuditLogHealth Health
    {
        get
        {
            PublishedState published = _published;
            return new AuditLogHealth(IsWritable, _disposed ? "the audit log is closed" : _failure, Size,
                published.TreeSize, published.Seq, _publishFailure);
        }
    }

    /// <summary>
    /// Opens (or creates) the log, applies schema migrations (the audit log's and <see cref="SqliteAuditLogOptions.AdditionalMigrations"/>),
    /// checks it against the counter and verifies it, completes a publication a crash interrupted, and starts the
    /// writer and publisher.
    /// </summary>
    /// <exception cref="CustodyException">
    /// AuditRolledBack when the database is older than the counter proves; AuditCorrupt when the stored log does not
    /// verify or belongs to another origin or key; AuditUnavailable when the database cannot be opened.
    /// </exception>
    public static async Task<SqliteAuditLog> OpenAsync(SqliteAuditLogOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxBatchSize, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(options.CheckpointInterval.Ticks);
        var checkpointSigner = new CheckpointSigner(options.Signer, options.Origin);
        var log = new SqliteAuditLog(options, checkpointSigner);
        try
        {
            string? directory = Path.GetDirectoryName(Path.GetFullPath(options.DatabasePath));
            if (directory is not null)
            {
                Directory.CreateDirectory(directory);
            }

            await log.StartAsync(migrate: true, cancellationToken).ConfigureAwait(false);
            StorageLog.AuditOpened(options.Logger, options.Origin, log.Size, log._published.Seq, options.OpenVerification);
            return log;
        }
        catch
        {
            checkpointSigner.Dispose();
            throw;
        }
    }

    /// <inheritdoc />
    public ValueTask<AuditAppendResult> AppendAsync(ReadOnlyMemory<byte> entry, CancellationToken cancellationToken = default) =>
        AppendAsync(entry, stateChange: null, cancellationToken);

    /// <summary>
    /// Appends <paramref name="entry"/> and, in the same transaction, applies <paramref name="stateChange"/> (for example
    /// persisting a signing request): both become durable together or not at all. The state change runs on the writer
    /// thread inside a SAVEPOINT, before the entry is inserted; it must be quick, synchronous, use only the given
    /// connection and transaction, and never commit or roll back. If it throws, only this caller fails — with its own
    /// exception, nothing appended — and the rest of the batch commits. Returns after the commit's fsync.
    /// </summary>
    /// <remarks>
    /// Cancelling before the writer takes the entry withdraws it; once taken, the append completes and is returned.
    /// </remarks>
    /// <exception cref="CustodyException">
    /// AuditUnavailable when the entry could not be made durable or the log has failed closed; InvalidArgument or
    /// MessageTooLarge when the entry is not a JSON object of at most <see cref="AuditEntry.MaxSize"/> bytes.
    /// </exception>
    public async ValueTask<AuditAppendResult> AppendAsync(
        ReadOnlyMemory<byte> entry,
        Action<SqliteConnection, SqliteTransaction>? stateChange,
        CancellationToken cancellationToken = default)
    {
        ValidateEntry(entry.Span);
        cancellationToken.ThrowIfCancellationRequested();
        var operation = new AppendOperation(entry.ToArray(), stateChange);
        Enqueue(operation);
        using CancellationTokenRegistration registration = cancellationToken.CanBeCanceled
            ? cancellationToken.Register(static state => ((AppendOperation)state!).TryCancel(), operation)
            : default;
        return await operation.Completion.Task.ConfigureAwait(false);
    }

    /// <summary>
    /// Opens a new query-only connection to the same database file (WAL readers never block the writer). The caller
    /// disposes it. Other stores use this to read the tables they keep beside the log.
    /// </summary>
    public SqliteConnection OpenReadConnection()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return SqliteDatabase.OpenReadConnection(_options.DatabasePath);
    }

    /// <summary>
    /// Stops the writer and publisher, reopens the database, re-verifies what is durable (as at open, including the
    /// counter check), and resumes. Call after a failure once its cause (a full disk, an I/O error) is fixed.
    /// </summary>
    /// <exception cref="CustodyException">As <see cref="OpenAsync"/>; the log stays failed.</exception>
    public async Task RecoverAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        await StopAsync().ConfigureAwait(false);
        await StartAsync(migrate: false, cancellationToken).ConfigureAwait(false);
        StorageLog.AuditRecovered(_options.Logger, Size);
    }

    /// <summary>Finishes queued appends, stops the publisher and closes the database.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposeStarted, 1) != 0)
        {
            return;
        }

        // Stop first (new appends are refused while the writer drains what is queued), then mark disposed.
        await StopAsync().ConfigureAwait(false);
        _disposed = true;
        while (_readPool.TryTake(out SqliteConnection? connection))
        {
            connection.Dispose();
        }

        _checkpointSigner.Dispose();
        _lifecycle.Dispose();
    }

    private async Task StartAsync(bool migrate, CancellationToken cancellationToken)
    {
        await _lifecycle.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            SqliteConnection connection;
            try
            {
                connection = SqliteDatabase.OpenWriteConnection(_options.DatabasePath, _options.MaxPageCount);
            }
            catch (SqliteException ex)
            {
                throw new CustodyException(CustodyStatus.AuditUnavailable, $"The audit database '{_options.DatabasePath}' cannot be opened: {Describe(ex)}.", ex);
            }

            try
            {
                if (migrate)
                {
                    SchemaMigrator.Apply(connection, [.. AuditSchema.Migrations, .. _options.AdditionalMigrations]);
                }

                await LoadAsync(connection, cancellationToken).ConfigureAwait(false);
            }
            catch (SqliteException ex)
            {
                connection.Dispose();
                throw new CustodyException(CustodyStatus.AuditUnavailable, $"The audit database '{_options.DatabasePath}' cannot be read: {Describe(ex)}.", ex);
            }
            catch
            {
                connection.Dispose();
                throw;
            }

            StartWriter(connection);
            StartPublisher();
        }
        finally
        {
            _lifecycle.Release();
        }
    }

    private async Task StopAsync()
    {
        await _lifecycle.WaitAsync().ConfigureAwait(false);
        try
        {
            // The publisher may be waiting on the writer to store a checkpoint, so it stops first.
            await StopPublisherAsync().ConfigureAwait(false);
            await StopWriterAsync().ConfigureAwait(false);
        }
        finally
        {
            _lifecycle.Release();
        }
    }

    private static void ValidateEntry(ReadOnlySpan<byte> entry)
    {
        if (entry.Length > AuditEntry.MaxSize)
        {
            throw new CustodyException(CustodyStatus.MessageTooLarge, $"The audit entry is {entry.Length} bytes; the limit is {AuditEntry.MaxSize}.");
        }

        // Entries are UTF-8 JSON objects; refusing anything else here keeps garbage out of an append-only log.
        var reader = new Utf8JsonReader(entry);
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                throw new CustodyException(CustodyStatus.InvalidArgument, "An audit entry must be a UTF-8 JSON object.");
            }

            reader.Skip();
            if (reader.Read())
            {
                throw new CustodyException(CustodyStatus.InvalidArgument, "An audit entry must be a single JSON object.");
            }
        }
        catch (JsonException ex)
        {
            throw new CustodyException(CustodyStatus.InvalidArgument, $"An audit entry must be valid UTF-8 JSON: {ex.Message}", ex);
        }
    }

    private SqliteConnection RentReader() =>
        _readPool.TryTake(out SqliteConnection? connection) ? connection : SqliteDatabase.OpenReadConnection(_options.DatabasePath);

    private void ReturnReader(SqliteConnection connection)
    {
        if (_disposed || _readPool.Count >= 4)
        {
            connection.Dispose();
        }
        else
        {
            _readPool.Add(connection);
        }
    }

    private static string Describe(Exception exception) => exception switch
    {
        SqliteException sqlite => $"SQLite error {sqlite.SqliteErrorCode}/{sqlite.SqliteExtendedErrorCode} ({sqlite.Message.TrimEnd('.')})",
        CustodyException custody => custody.Message.TrimEnd('.'),
        _ => exception.Message.TrimEnd('.'),
    };

    /// <summary>The durable tree: its size and border (never mutated once published here), replaced after each commit.</summary>
    private sealed record CommittedState(long Size, MerkleCompactRange Tree);
}
