// SPDX-License-Identifier: Apache-2.0
using System.Globalization;
using KeyCustody.Core;
using KeyCustody.Governance;
using Microsoft.Data.Sqlite;

namespace KeyCustody.Storage;

/// <summary>A signing key as the governance state records it (the HSM holds the key itself).</summary>
/// <param name="Name">The key name.</param>
/// <param name="Algorithm">The key type.</param>
/// <param name="Status">"active", "retiring", "retired", "revoked" or "frozen".</param>
/// <param name="PolicyVersion">The policy version in force.</param>
/// <param name="SubjectPublicKeyInfo">The public key (DER SPKI) as generated.</param>
/// <param name="BackupCapable">Whether the key can be wrapped for backup.</param>
/// <param name="CreatedAt">When it was generated.</param>
/// <param name="SignatureCount">Signatures made so far.</param>
/// <param name="LastUsedAt">When it last signed.</param>
public sealed record GovernanceKeyRecord(
    KeyName Name,
    KeyAlgorithm Algorithm,
    string Status,
    long PolicyVersion,
    byte[] SubjectPublicKeyInfo,
    bool BackupCapable,
    DateTimeOffset CreatedAt,
    long SignatureCount,
    DateTimeOffset? LastUsedAt)
{
    /// <summary>The only status that signs.</summary>
    public const string Active = "active";
}

/// <summary>A stored policy document version.</summary>
/// <param name="Key">The key it governs.</param>
/// <param name="Version">The version.</param>
/// <param name="Document">The canonical JSON document.</param>
/// <param name="CreatedAt">When it took effect.</param>
public sealed record StoredPolicy(KeyName Key, long Version, string Document, DateTimeOffset CreatedAt);

/// <summary>A stored signing request: the governance snapshot plus what the API carries beside it.</summary>
/// <param name="Snapshot">The state machine's values.</param>
/// <param name="Scheme">The signature scheme asked for (KeyCustody.Core <see cref="SignatureScheme"/> value, 0 = the key's default).</param>
/// <param name="Metadata">The caller's artifact metadata (protobuf bytes) or null.</param>
/// <param name="Provenance">The caller's provenance (protobuf bytes) or null.</param>
/// <param name="ClientToken">The caller's idempotency token or null.</param>
/// <param name="Signature">The signature once signed.</param>
/// <param name="SignedIndex">The audit leaf index of the <c>signing.signed</c> entry.</param>
/// <param name="LastIndex">The audit leaf index of the latest entry about the request.</param>
public sealed record StoredRequest(
    SigningRequestSnapshot Snapshot,
    int Scheme,
    byte[]? Metadata,
    byte[]? Provenance,
    string? ClientToken,
    byte[]? Signature,
    long? SignedIndex,
    long? LastIndex);

/// <summary>
/// Governance state beside the audit log: roster, keys, policies, signing requests, approvals, nonces. The static
/// <c>Write…</c> methods run inside an audit append's transaction (the <c>stateChange</c> callback of
/// <see cref="SqliteAuditLog.AppendAsync(ReadOnlyMemory{byte}, Action{SqliteConnection, SqliteTransaction}?, CancellationToken)"/>),
/// so a state change and its audit entry become durable together or not at all; nothing here writes on its own.
/// Reads use a query-only connection of their own.
/// </summary>
public sealed class GovernanceStore
{
    private readonly Func<SqliteConnection> _openRead;

    /// <summary>Creates a store reading through connections from <paramref name="openRead"/> (e.g. <see cref="SqliteAuditLog.OpenReadConnection"/>).</summary>
    public GovernanceStore(Func<SqliteConnection> openRead)
    {
        ArgumentNullException.ThrowIfNull(openRead);
        _openRead = openRead;
    }

    /// <summary>The audit leaf index the entry being appended in <paramref name="transaction"/> will get.</summary>
    /// <remarks>The audit writer runs a state change immediately before it inserts the entry, in the same transaction.</remarks>
    public static long PendingEntryIndex(SqliteConnection connection, SqliteTransaction transaction) =>
        SqliteDatabase.Scalar<long>(connection, "SELECT COALESCE(MAX(idx), -1) + 1 FROM audit_entries;", transaction);

    /// <summary>Stores a roster version.</summary>
    public static void WriteRoster(SqliteConnection connection, SqliteTransaction transaction, Roster roster, DateTimeOffset at)
    {
        ArgumentNullException.ThrowIfNull(roster);
        Execute(connection, transaction, "INSERT INTO gov_roster (version, document, created_at) VALUES ($v, $d, $t);",
            ("$v", roster.Version), ("$d", roster.ToCanonicalJson()), ("$t", Time(at)));
    }

    /// <summary>Stores a policy version.</summary>
    public static void WritePolicy(SqliteConnection connection, SqliteTransaction transaction, KeyPolicy policy, DateTimeOffset at)
    {
        ArgumentNullException.ThrowIfNull(policy);
        Execute(connection, transaction,
            "INSERT INTO gov_policies (key_name, version, document, created_at) VALUES ($k, $v, $d, $t);",
            ("$k", policy.Key.Value), ("$v", policy.Version), ("$d", policy.ToCanonicalJson()), ("$t", Time(at)));
    }

    /// <summary>Inserts or replaces a key record.</summary>
    public static void WriteKey(SqliteConnection connection, SqliteTransaction transaction, GovernanceKeyRecord key)
    {
        ArgumentNullException.ThrowIfNull(key);
        Execute(connection, transaction,
            """
            INSERT INTO gov_keys (name, algorithm, status, policy_version, spki, backup_capable, created_at, signature_count, last_used_at)
            VALUES ($n, $a, $s, $p, $k, $b, $c, $sc, $l)
            ON CONFLICT (name) DO UPDATE SET algorithm = $a, status = $s, policy_version = $p, spki = $k,
                backup_capable = $b, signature_count = $sc, last_used_at = $l;
            """,
            ("$n", key.Name.Value), ("$a", Algorithms.Name(key.Algorithm)), ("$s", key.Status), ("$p", key.PolicyVersion),
            ("$k", key.SubjectPublicKeyInfo), ("$b", key.BackupCapable ? 1 : 0), ("$c", Time(key.CreatedAt)),
            ("$sc", key.SignatureCount), ("$l", key.LastUsedAt is { } l ? Time(l) : null));
    }

    /// <summary>Counts one more signature by <paramref name="key"/>.</summary>
    public static void WriteKeyUse(SqliteConnection connection, SqliteTransaction transaction, KeyName key, DateTimeOffset at) =>
        Execute(connection, transaction,
            "UPDATE gov_keys SET signature_count = signature_count + 1, last_used_at = $t WHERE name = $n;",
            ("$n", key.Value), ("$t", Time(at)));

    /// <summary>Records a free-form governance fact (e.g. when genesis happened).</summary>
    public static void WriteMeta(SqliteConnection connection, SqliteTransaction transaction, string name, string value) =>
        Execute(connection, transaction,
            "INSERT INTO gov_meta (name, value) VALUES ($n, $v) ON CONFLICT (name) DO UPDATE SET value = $v;",
            ("$n", name), ("$v", value));

    /// <summary>
    /// Inserts or updates a signing request, recording the audit index of the entry being appended as its latest
    /// (and, when <paramref name="signedEntry"/>, as the entry that carries its signature). A new request's nonce is
    /// registered once: a nonce reused by another request fails the transaction.
    /// </summary>
    /// <returns>The audit index of the entry being appended.</returns>
    public static long WriteRequest(SqliteConnection connection, SqliteTransaction transaction, StoredRequest request, bool signedEntry)
    {
        ArgumentNullException.ThrowIfNull(request);
        long index = PendingEntryIndex(connection, transaction);
        SigningRequestSnapshot s = request.Snapshot;
        int inserted = Execute(connection, transaction,
            """
            INSERT INTO gov_requests (id, key_name, state, requester, created_unix_ms, snapshot, scheme, metadata, provenance,
                                      client_token, signature, signed_index, last_index)
            VALUES ($id, $k, $st, $r, $c, $s, $sch, $m, $p, $tok, $sig, $si, $li)
            ON CONFLICT (id) DO NOTHING;
            """,
            ("$id", s.Id), ("$k", s.Key), ("$st", s.State.Name()), ("$r", s.RequesterSubject),
            ("$c", s.CreatedAt.ToUnixTimeMilliseconds()), ("$s", s.ToJson()), ("$sch", request.Scheme),
            ("$m", request.Metadata), ("$p", request.Provenance), ("$tok", request.ClientToken),
            ("$sig", request.Signature), ("$si", signedEntry ? index : null), ("$li", index));
        if (inserted == 1)
        {
            Execute(connection, transaction, "INSERT INTO gov_nonces (nonce, request_id) VALUES ($n, $id);", ("$n", s.Nonce), ("$id", s.Id));
        }
        else
        {
            Execute(connection, transaction,
                """
                UPDATE gov_requests SET state = $st, snapshot = $s, signature = COALESCE($sig, signature),
                    signed_index = COALESCE($si, signed_index), last_index = $li
                WHERE id = $id;
                """,
                ("$id", s.Id), ("$st", s.State.Name()), ("$s", s.ToJson()), ("$sig", request.Signature),
                ("$si", signedEntry ? index : null), ("$li", index));
        }

        return index;
    }

    /// <summary>Records an accepted vote; a signature accepted before (for any request) fails the transaction.</summary>
    public static void WriteApproval(SqliteConnection connection, SqliteTransaction transaction, string requestId, ApprovalRecord vote)
    {
        ArgumentNullException.ThrowIfNull(vote);
        Execute(connection, transaction,
            """
            INSERT INTO gov_approvals (signature_sha256, request_id, action, officers, key_fingerprint, at, statement_expires_at, audit_index)
            VALUES ($h, $r, $a, $o, $f, $t, $e, $i);
            """,
            ("$h", vote.SignatureSha256), ("$r", requestId), ("$a", vote.Action == ApprovalAction.Approve ? "approve" : "deny"),
            ("$o", string.Join(',', vote.Officers)), ("$f", vote.KeyFingerprint), ("$t", Time(vote.At)),
            ("$e", Time(vote.StatementExpiresAt)), ("$i", PendingEntryIndex(connection, transaction)));
    }

    /// <summary>True when the genesis was applied.</summary>
    public Task<bool> HasGenesisAsync(CancellationToken cancellationToken = default) =>
        Read(c => Scalar<long>(c, "SELECT COUNT(*) FROM gov_meta WHERE name = 'genesis';") > 0, cancellationToken);

    /// <summary>The newest roster, or null before genesis.</summary>
    public Task<Roster?> LoadRosterAsync(CancellationToken cancellationToken = default) =>
        Read(c =>
        {
            string? json = Scalar<string>(c, "SELECT document FROM gov_roster ORDER BY version DESC LIMIT 1;");
            return json is null ? null : Roster.Parse(json);
        }, cancellationToken);

    /// <summary>Every key record.</summary>
    public Task<IReadOnlyList<GovernanceKeyRecord>> LoadKeysAsync(CancellationToken cancellationToken = default) =>
        Read<IReadOnlyList<GovernanceKeyRecord>>(c =>
        {
            using SqliteCommand command = c.CreateCommand();
            command.CommandText =
                "SELECT name, algorithm, status, policy_version, spki, backup_capable, created_at, signature_count, last_used_at FROM gov_keys ORDER BY name;";
            using SqliteDataReader reader = command.ExecuteReader();
            var keys = new List<GovernanceKeyRecord>();
            while (reader.Read())
            {
                if (!Algorithms.TryParseKey(reader.GetString(1), out KeyAlgorithm algorithm))
                {
                    throw new CustodyException(CustodyStatus.AuditCorrupt, $"Stored key '{reader.GetString(0)}' has an unknown algorithm.");
                }

                keys.Add(new GovernanceKeyRecord(
                    KeyName.Parse(reader.GetString(0)), algorithm, reader.GetString(2), reader.GetInt64(3),
                    (byte[])reader.GetValue(4), reader.GetInt64(5) != 0, ParseTime(reader.GetString(6)), reader.GetInt64(7),
                    reader.IsDBNull(8) ? null : ParseTime(reader.GetString(8))));
            }

            return keys;
        }, cancellationToken);

    /// <summary>The newest policy document of each key.</summary>
    public Task<IReadOnlyList<StoredPolicy>> LoadCurrentPoliciesAsync(CancellationToken cancellationToken = default) =>
        Read<IReadOnlyList<StoredPolicy>>(c =>
        {
            using SqliteCommand command = c.CreateCommand();
            command.CommandText =
                """
                SELECT p.key_name, p.version, p.document, p.created_at FROM gov_policies p
                WHERE p.version = (SELECT MAX(version) FROM gov_policies q WHERE q.key_name = p.key_name)
                ORDER BY p.key_name;
                """;
            using SqliteDataReader reader = command.ExecuteReader();
            var policies = new List<StoredPolicy>();
            while (reader.Read())
            {
                policies.Add(new StoredPolicy(KeyName.Parse(reader.GetString(0)), reader.GetInt64(1), reader.GetString(2), ParseTime(reader.GetString(3))));
            }

            return policies;
        }, cancellationToken);

    /// <summary>Requests that are not terminal (including Approved ones cleared but not yet signed).</summary>
    public Task<IReadOnlyList<StoredRequest>> LoadOpenRequestsAsync(CancellationToken cancellationToken = default) =>
        Read<IReadOnlyList<StoredRequest>>(c => Requests(c, "WHERE state NOT IN ('signed', 'denied', 'expired', 'cancelled', 'failed') ORDER BY created_unix_ms", []), cancellationToken);

    /// <summary>One request by id, or null.</summary>
    public Task<StoredRequest?> GetRequestAsync(string id, CancellationToken cancellationToken = default) =>
        Read(c => Requests(c, "WHERE id = $id", [("$id", id)]).FirstOrDefault(), cancellationToken);

    /// <summary>The request a caller made earlier with the same idempotency token, or null.</summary>
    public Task<StoredRequest?> FindByClientTokenAsync(string requester, string clientToken, CancellationToken cancellationToken = default) =>
        Read(c => Requests(c, "WHERE requester = $r AND client_token = $t", [("$r", requester), ("$t", clientToken)]).FirstOrDefault(), cancellationToken);

    /// <summary>Submission times and callers of every request for <paramref name="key"/> since <paramref name="since"/> (rate-limit history).</summary>
    public Task<IReadOnlyList<RequestHistoryEntry>> LoadHistoryAsync(KeyName key, DateTimeOffset since, CancellationToken cancellationToken = default) =>
        Read<IReadOnlyList<RequestHistoryEntry>>(c =>
        {
            using SqliteCommand command = c.CreateCommand();
            command.CommandText = "SELECT created_unix_ms, requester FROM gov_requests WHERE key_name = $k AND created_unix_ms > $s ORDER BY created_unix_ms;";
            command.Parameters.AddWithValue("$k", key.Value);
            command.Parameters.AddWithValue("$s", since.ToUnixTimeMilliseconds());
            using SqliteDataReader reader = command.ExecuteReader();
            var history = new List<RequestHistoryEntry>();
            while (reader.Read())
            {
                history.Add(new RequestHistoryEntry(DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(0)), reader.GetString(1)));
            }

            return history;
        }, cancellationToken);

    private static List<StoredRequest> Requests(SqliteConnection connection, string where, (string Name, object? Value)[] parameters)
    {
        using SqliteCommand command = connection.CreateCommand();
        command.CommandText =
            $"SELECT snapshot, scheme, metadata, provenance, client_token, signature, signed_index, last_index FROM gov_requests {where};";
        foreach ((string name, object? value) in parameters)
        {
            command.Parameters.AddWithValue(name, value ?? DBNull.Value);
        }

        using SqliteDataReader reader = command.ExecuteReader();
        var result = new List<StoredRequest>();
        while (reader.Read())
        {
            result.Add(new StoredRequest(
                SigningRequestSnapshot.FromJson(reader.GetString(0)),
                reader.GetInt32(1),
                reader.IsDBNull(2) ? null : (byte[])reader.GetValue(2),
                reader.IsDBNull(3) ? null : (byte[])reader.GetValue(3),
                reader.IsDBNull(4) ? null : reader.GetString(4),
                reader.IsDBNull(5) ? null : (byte[])reader.GetValue(5),
                reader.IsDBNull(6) ? null : reader.GetInt64(6),
                reader.IsDBNull(7) ? null : reader.GetInt64(7)));
        }

        return result;
    }

    private async Task<T> Read<T>(Func<SqliteConnection, T> query, CancellationToken cancellationToken)
    {
        // SQLite calls are synchronous; keep them off the caller's (request) thread.
        return await Task.Run(() =>
        {
            try
            {
                using SqliteConnection connection = _openRead();
                return query(connection);
            }
            catch (SqliteException ex)
            {
                throw new CustodyException(CustodyStatus.AuditUnavailable, $"The governance store cannot be read (SQLite error {ex.SqliteErrorCode}).", ex);
            }
        }, cancellationToken).ConfigureAwait(false);
    }

    private static T Scalar<T>(SqliteConnection connection, string sql) => SqliteDatabase.Scalar<T>(connection, sql);

    private static int Execute(SqliteConnection connection, SqliteTransaction transaction, string sql, params (string Name, object? Value)[] parameters)
    {
        using SqliteCommand command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        foreach ((string name, object? value) in parameters)
        {
            command.Parameters.AddWithValue(name, value ?? DBNull.Value);
        }

        return command.ExecuteNonQuery();
    }

    private static string Time(DateTimeOffset at) => at.UtcDateTime.ToString("O", CultureInfo.InvariantCulture);

    private static DateTimeOffset ParseTime(string text) =>
        DateTimeOffset.Parse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal);
}
