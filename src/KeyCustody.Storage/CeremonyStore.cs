// SPDX-License-Identifier: Apache-2.0
using KeyCustody.Core;
using KeyCustody.Governance.Ceremonies;
using Microsoft.Data.Sqlite;

namespace KeyCustody.Storage;

/// <summary>
/// Ceremony proposals beside the audit log. Like <see cref="GovernanceStore"/>, <c>Write…</c> runs inside an audit
/// append's transaction so a proposal's change and its audit entry commit together; reads use a query-only connection.
/// Pass <see cref="Migrations"/> with the other additional migrations.
/// </summary>
public sealed class CeremonyStore
{
    /// <summary>The migration component name.</summary>
    public const string Component = "ceremony";

    private readonly Func<SqliteConnection> _openRead;

    /// <summary>Creates a store reading through connections from <paramref name="openRead"/>.</summary>
    public CeremonyStore(Func<SqliteConnection> openRead)
    {
        ArgumentNullException.ThrowIfNull(openRead);
        _openRead = openRead;
    }

    /// <summary>The ceremony tables, version by version.</summary>
    public static IReadOnlyList<SchemaMigration> Migrations { get; } =
    [
        new(Component, 1, "ceremony proposals",
            """
            CREATE TABLE gov_ceremonies (
                id         TEXT    PRIMARY KEY,
                kind       TEXT    NOT NULL,
                state      TEXT    NOT NULL,
                created_at TEXT    NOT NULL,
                snapshot   TEXT    NOT NULL,
                last_index INTEGER NOT NULL
            ) STRICT;
            CREATE INDEX gov_ceremonies_state ON gov_ceremonies (state);
            """),
    ];

    /// <summary>Inserts or updates a proposal, recording the audit index of the entry being appended.</summary>
    public static void WriteCeremony(SqliteConnection connection, SqliteTransaction transaction, CeremonyProposal proposal)
    {
        ArgumentNullException.ThrowIfNull(proposal);
        using SqliteCommand command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText =
            """
            INSERT INTO gov_ceremonies (id, kind, state, created_at, snapshot, last_index)
            VALUES ($id, $k, $s, $c, $j, (SELECT COALESCE(MAX(idx), -1) + 1 FROM audit_entries))
            ON CONFLICT (id) DO UPDATE SET state = $s, snapshot = $j, last_index = excluded.last_index;
            """;
        command.Parameters.AddWithValue("$id", proposal.Id);
        command.Parameters.AddWithValue("$k", CeremonyKinds.Name(proposal.Kind));
        command.Parameters.AddWithValue("$s", CeremonyProposal.Name(proposal.State));
        command.Parameters.AddWithValue("$c", Governance.StatementText.FormatTimestamp(proposal.CreatedAt));
        command.Parameters.AddWithValue("$j", proposal.ToJson());
        command.ExecuteNonQuery();
    }

    /// <summary>One proposal by id, or null.</summary>
    public Task<CeremonyProposal?> GetAsync(string id, CancellationToken cancellationToken = default) =>
        Task.Run(() =>
        {
            try
            {
                using SqliteConnection connection = _openRead();
                using SqliteCommand command = connection.CreateCommand();
                command.CommandText = "SELECT snapshot FROM gov_ceremonies WHERE id = $id;";
                command.Parameters.AddWithValue("$id", id);
                return command.ExecuteScalar() is string json ? CeremonyProposal.FromJson(json) : null;
            }
            catch (SqliteException ex)
            {
                throw new CustodyException(CustodyStatus.AuditUnavailable, $"The ceremony store cannot be read (SQLite error {ex.SqliteErrorCode}).", ex);
            }
        }, cancellationToken);

    /// <summary>A <c>gov_meta</c> value (e.g. the custodian quorum), or null.</summary>
    public Task<string?> GetMetaAsync(string name, CancellationToken cancellationToken = default) =>
        Task.Run(() =>
        {
            try
            {
                using SqliteConnection connection = _openRead();
                using SqliteCommand command = connection.CreateCommand();
                command.CommandText = "SELECT value FROM gov_meta WHERE name = $n;";
                command.Parameters.AddWithValue("$n", name);
                return command.ExecuteScalar() as string;
            }
            catch (SqliteException ex)
            {
                throw new CustodyException(CustodyStatus.AuditUnavailable, $"The governance store cannot be read (SQLite error {ex.SqliteErrorCode}).", ex);
            }
        }, cancellationToken);

    /// <summary>Every <c>gov_meta</c> value whose name starts with <paramref name="prefix"/>.</summary>
    public Task<IReadOnlyList<(string Name, string Value)>> ListMetaAsync(string prefix, CancellationToken cancellationToken = default) =>
        Task.Run<IReadOnlyList<(string Name, string Value)>>(() =>
        {
            try
            {
                using SqliteConnection connection = _openRead();
                using SqliteCommand command = connection.CreateCommand();
                command.CommandText = "SELECT name, value FROM gov_meta WHERE substr(name, 1, length($p)) = $p ORDER BY name;";
                command.Parameters.AddWithValue("$p", prefix);
                using SqliteDataReader reader = command.ExecuteReader();
                var result = new List<(string, string)>();
                while (reader.Read())
                {
                    result.Add((reader.GetString(0), reader.GetString(1)));
                }

                return result;
            }
            catch (SqliteException ex)
            {
                throw new CustodyException(CustodyStatus.AuditUnavailable, $"The governance store cannot be read (SQLite error {ex.SqliteErrorCode}).", ex);
            }
        }, cancellationToken);
}
