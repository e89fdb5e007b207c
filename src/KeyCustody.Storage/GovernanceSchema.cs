// SPDX-License-Identifier: Apache-2.0
namespace KeyCustody.Storage;

/// <summary>
/// The governance tables, kept in the audit log's database so that every state change commits in the same
/// transaction as the audit entry that records it (<see cref="SqliteAuditLog.AppendAsync(ReadOnlyMemory{byte}, Action{Microsoft.Data.Sqlite.SqliteConnection, Microsoft.Data.Sqlite.SqliteTransaction}?, CancellationToken)"/>).
/// Pass <see cref="Migrations"/> as <see cref="SqliteAuditLogOptions.AdditionalMigrations"/>.
/// </summary>
public static class GovernanceSchema
{
    /// <summary>The migration component name.</summary>
    public const string Component = "governance";

    /// <summary>The governance schema, version by version.</summary>
    public static IReadOnlyList<SchemaMigration> Migrations { get; } =
    [
        new(Component, 1, "roster, keys, policies, signing requests, approvals, nonces",
            """
            CREATE TABLE gov_roster (
                version    INTEGER PRIMARY KEY,
                document   TEXT    NOT NULL,
                created_at TEXT    NOT NULL
            ) STRICT;
            CREATE TABLE gov_keys (
                name            TEXT    PRIMARY KEY,
                algorithm       TEXT    NOT NULL,
                status          TEXT    NOT NULL,
                policy_version  INTEGER NOT NULL,
                spki            BLOB    NOT NULL,
                backup_capable  INTEGER NOT NULL,
                created_at      TEXT    NOT NULL,
                signature_count INTEGER NOT NULL DEFAULT 0,
                last_used_at    TEXT
            ) STRICT;
            CREATE TABLE gov_policies (
                key_name   TEXT    NOT NULL,
                version    INTEGER NOT NULL,
                document   TEXT    NOT NULL,
                created_at TEXT    NOT NULL,
                PRIMARY KEY (key_name, version)
            ) STRICT;
            CREATE TABLE gov_requests (
                id              TEXT    PRIMARY KEY,
                key_name        TEXT    NOT NULL,
                state           TEXT    NOT NULL,
                requester       TEXT    NOT NULL,
                created_unix_ms INTEGER NOT NULL,
                snapshot        TEXT    NOT NULL,
                scheme          INTEGER NOT NULL,
                metadata        BLOB,
                provenance      BLOB,
                client_token    TEXT,
                signature       BLOB,
                signed_index    INTEGER,
                last_index      INTEGER
            ) STRICT;
            CREATE INDEX gov_requests_key_time ON gov_requests (key_name, created_unix_ms);
            CREATE INDEX gov_requests_state ON gov_requests (state);
            CREATE UNIQUE INDEX gov_requests_token ON gov_requests (requester, client_token) WHERE client_token IS NOT NULL;
            CREATE TABLE gov_approvals (
                signature_sha256     TEXT    PRIMARY KEY,
                request_id           TEXT    NOT NULL REFERENCES gov_requests (id),
                action               TEXT    NOT NULL,
                officers             TEXT    NOT NULL,
                key_fingerprint      TEXT    NOT NULL,
                at                   TEXT    NOT NULL,
                statement_expires_at TEXT    NOT NULL,
                audit_index          INTEGER NOT NULL
            ) STRICT;
            CREATE INDEX gov_approvals_request ON gov_approvals (request_id);
            CREATE TABLE gov_nonces (
                nonce      TEXT PRIMARY KEY,
                request_id TEXT NOT NULL
            ) STRICT;
            CREATE TABLE gov_meta (
                name  TEXT PRIMARY KEY,
                value TEXT NOT NULL
            ) STRICT;
            """),
    ];
}
