// SPDX-License-Identifier: Apache-2.0
using KeyCustody.Core.Ports;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace KeyCustody.Storage;

/// <summary>How much of the stored log <see cref="SqliteAuditLog.OpenAsync"/> re-verifies before serving.</summary>
public enum AuditOpenVerification
{
    /// <summary>
    /// Rehash every entry, compare every stored tree node, check every checkpoint's signature and root. O(n): a few
    /// seconds per million entries. The default.
    /// </summary>
    Full = 0,

    /// <summary>Check the latest checkpoint's signature and its root against the stored nodes only. O(log n).</summary>
    LatestCheckpoint = 1,
}

/// <summary>Settings for <see cref="SqliteAuditLog"/>.</summary>
public sealed class SqliteAuditLogOptions
{
    /// <summary>The SQLite database file (shared with the governance stores).</summary>
    public required string DatabasePath { get; init; }

    /// <summary>The log's origin: the checkpoint's first line and the signature's key name (no spaces, no '+').</summary>
    public required string Origin { get; init; }

    /// <summary>The audit key that signs checkpoints (the TPM in production).</summary>
    public required IAuditSigner Signer { get; init; }

    /// <summary>The monotonic counter that anchors the number of published checkpoints (a TPM NV counter in production).</summary>
    public required IMonotonicCounter Counter { get; init; }

    /// <summary>
    /// The shortest time between two published checkpoints. Each publication signs and increments the counter, so this
    /// bounds TPM wear; a receipt waits at most this long for a checkpoint covering its entry. Default 1 s.
    /// </summary>
    public TimeSpan CheckpointInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>The most appends one commit (one fsync) carries. Default 256.</summary>
    public int MaxBatchSize { get; init; } = 256;

    /// <summary>What opening re-verifies. Default <see cref="AuditOpenVerification.Full"/>.</summary>
    public AuditOpenVerification OpenVerification { get; init; } = AuditOpenVerification.Full;

    /// <summary>
    /// Caps the database file at this many pages (<c>PRAGMA max_page_count</c>, 4 KiB pages): appends past it fail
    /// with AuditUnavailable as on a full disk. Null (default) leaves the file unbounded.
    /// </summary>
    public long? MaxPageCount { get; init; }

    /// <summary>Other components' migrations (governance tables) applied to the same database at open.</summary>
    public IReadOnlyList<SchemaMigration> AdditionalMigrations { get; init; } = [];

    /// <summary>Clock for checkpoint pacing and timestamps.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>Where failures and recoveries are logged.</summary>
    public ILogger Logger { get; init; } = NullLogger.Instance;
}

/// <summary>A snapshot of the audit log's health for the daemon's health endpoint.</summary>
/// <param name="IsWritable">False once an append could not be made durable, until <see cref="SqliteAuditLog.RecoverAsync"/> succeeds.</param>
/// <param name="Failure">Why the log is not writable, or null.</param>
/// <param name="Size">Durable entries.</param>
/// <param name="PublishedSize">The tree size of the latest published checkpoint.</param>
/// <param name="PublishedCheckpoints">How many checkpoints were published (equals the counter).</param>
/// <param name="PublishFailure">Why the last checkpoint publication failed, or null when it succeeded.</param>
public sealed record AuditLogHealth(bool IsWritable, string? Failure, long Size, long PublishedSize, long PublishedCheckpoints, string? PublishFailure);

/// <summary>One stored entry.</summary>
/// <param name="Index">The leaf index.</param>
/// <param name="Entry">The entry bytes, exactly as appended.</param>
public sealed record AuditLogEntry(long Index, byte[] Entry);
