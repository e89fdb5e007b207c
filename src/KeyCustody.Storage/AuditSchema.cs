// SPDX-License-Identifier: Apache-2.0
namespace KeyCustody.Storage;

/// <summary>
/// The audit log's tables. Entries are stored byte-exact; <c>audit_nodes</c> holds every complete subtree hash
/// (level 0 = leaf hashes), which never change once written, so any proof reads O(log n) rows and the log is never
/// reread to serve one. <c>audit_checkpoints</c> row <c>seq</c> is the checkpoint published when the monotonic
/// counter reached <c>seq</c>.
/// </summary>
public static class AuditSchema
{
    /// <summary>The component name in <c>schema_migrations</c>.</summary>
    public const string Component = "audit";

    /// <summary>The audit log's migrations, in order.</summary>
    public static IReadOnlyList<SchemaMigration> Migrations { get; } =
    [
        new(Component, 1, "audit entries, Merkle nodes, checkpoints, log identity",
            """
            CREATE TABLE audit_entries (
                idx   INTEGER PRIMARY KEY,
                entry BLOB    NOT NULL
            ) STRICT;
            CREATE TABLE audit_nodes (
                level INTEGER NOT NULL,
                idx   INTEGER NOT NULL,
                hash  BLOB    NOT NULL,
                PRIMARY KEY (level, idx)
            ) STRICT, WITHOUT ROWID;
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
