// SPDX-License-Identifier: Apache-2.0
namespace KeyCustody.Storage;

/// <summary>
/// The audit log's tables. Row <c>idx</c> of <c>audit_entries</c> holds entry <c>idx</c> byte-exact and, in
/// <c>hashes</c>, the hashes of every complete subtree that appending it completed: its leaf hash (level 0), then one
/// hash per level while the new leaf closed a right child — <c>32 × (1 + trailing ones of idx)</c> bytes. So node
/// (level, index) lives in row <c>((index + 1) · 2^level) − 1</c> at offset <c>32 · level</c>; it never changes once
/// written, any proof reads O(log n) rows and the log is never reread to serve one. Keeping the hashes in the entry's
/// own row means an append dirties one B-tree page (one WAL frame) instead of one per tree level.
/// <c>audit_checkpoints</c> row <c>seq</c> is the checkpoint published when the monotonic counter reached <c>seq</c>.
/// </summary>
public static class AuditSchema
{
    /// <summary>The component name in <c>schema_migrations</c>.</summary>
    public const string Component = "audit";

    /// <summary>The audit log's migrations, in order.</summary>
    public static IReadOnlyList<SchemaMigration> Migrations { get; } =
    [
        new(Component, 1, "audit entries with their Merkle nodes, checkpoints, log identity",
            """
            CREATE TABLE audit_entries (
                idx    INTEGER PRIMARY KEY,
                entry  BLOB    NOT NULL,
                hashes BLOB    NOT NULL
            ) STRICT;
            CREATE TABLE audit_checkpoints (
                seq        INTEGER PRIMARY KEY,
                tree_size  INTEGER NOT NULL,
                root       BLOB    NOT NULL,
                note       TEXT    NOT NULL,
                created_at TEXT    NOT NULL
            ) STRICT;
            CREATE TABLE audit_identity (
                name  TEXT PRIMARY KEY,
                value TEXT NOT NULL
            ) STRICT;
            """),
    ];
}
