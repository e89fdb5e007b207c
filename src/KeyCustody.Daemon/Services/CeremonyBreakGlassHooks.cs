// SPDX-License-Identifier: Apache-2.0
using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using KeyCustody.Audit;
using KeyCustody.Core;
using KeyCustody.Governance;
using KeyCustody.Governance.Ceremonies;
using KeyCustody.Storage;
using Microsoft.Data.Sqlite;

namespace KeyCustody.Daemon.Services;

// Break-glass grants as the signing path sees them (ceremony issue #7).
internal sealed partial class SigningEngine
{
    /// <summary>The gov_meta name prefix of break-glass grants.</summary>
    internal const string BreakGlassMetaPrefix = "break_glass:";

    private readonly ConcurrentDictionary<KeyName, BreakGlassGrant> _grants = new();
    private readonly ConcurrentDictionary<string, BreakGlassGrant> _breakGlassRequests = new(StringComparer.Ordinal);

    /// <summary>Publishes a grant (new, used or reviewed) after its change is durable.</summary>
    internal void PublishGrant(BreakGlassGrant grant) => _grants[KeyName.Parse(grant.Key)] = grant;

    /// <summary>The grant of a key, if any.</summary>
    internal BreakGlassGrant? GrantOf(KeyName key) => _grants.TryGetValue(key, out BreakGlassGrant? grant) ? grant : null;

    /// <summary>True when the key's break-glass review is overdue: it signs nothing until custodians act.</summary>
    internal bool ReviewOverdue(ServedKey key) =>
        _grants.TryGetValue(key.Record.Name, out BreakGlassGrant? grant) && grant.ReviewOverdue(_time.GetUtcNow());

    /// <summary>Loads stored grants (start-up).</summary>
    internal async Task LoadGrantsAsync(CancellationToken cancellationToken)
    {
        var store = new CeremonyStore(_audit.OpenReadConnection);
        foreach ((_, string value) in await store.ListMetaAsync(BreakGlassMetaPrefix, cancellationToken).ConfigureAwait(false))
        {
            PublishGrant(BreakGlassGrant.FromJson(value));
        }
    }

    /// <summary>
    /// For a key whose policy needs officers or presence: when a break-glass grant allows one more signature now,
    /// counts it and returns the key with an emergency policy (no approvals, no presence; callers, digests, time
    /// windows and rate limits unchanged). Null when there is no usable grant.
    /// </summary>
    private ServedKey? TakeBreakGlass(ServedKey key, out BreakGlassGrant? grant)
    {
        grant = null;
        lock (_fast)
        {
            if (!_grants.TryGetValue(key.Record.Name, out BreakGlassGrant? current) || !current.CanSign(_time.GetUtcNow()))
            {
                return null;
            }

            grant = current.Consume(_time.GetUtcNow());
            _grants[key.Record.Name] = grant;
        }

        var document = JsonNode.Parse(key.Policy.ToCanonicalJson())!.AsObject();
        document.Remove("approvals");
        document.Remove("presence");
        document["riskTier"] = "low";
        return key with { Policy = KeyPolicy.Parse(document.ToJsonString()) };
    }

    /// <summary>Marks the audit entry of a break-glass signature and persists the grant's count with it.</summary>
    private Action<SqliteConnection, SqliteTransaction>? FlagBreakGlass(string requestId, AuditEntry signed)
    {
        if (!_breakGlassRequests.TryRemove(requestId, out BreakGlassGrant? grant))
        {
            return null;
        }

        signed.Add("break_glass", true)
            .Add("break_glass_ceremony", grant.CeremonyId)
            .Add("break_glass_signature", grant.Used)
            .Add("break_glass_max_signatures", grant.MaxSignatures);
        return (c, t) => GovernanceStore.WriteMeta(c, t, BreakGlassMetaPrefix + grant.Key, grant.ToJson());
    }

    /// <summary>Freezes keys whose break-glass review is overdue (one <c>key.state_changed</c> entry each).</summary>
    private async Task FreezeOverdueAsync(CancellationToken cancellationToken)
    {
        DateTimeOffset now = _time.GetUtcNow();
        foreach (BreakGlassGrant grant in _grants.Values.Where(g => g.ReviewOverdue(now)))
        {
            KeyName name = KeyName.Parse(grant.Key);
            if (!_keys.TryGetValue(name, out ServedKey? key) || key.Record.Status is "frozen" or "revoked" or "retired")
            {
                continue;
            }

            ServedKey frozen = key with { Record = key.Record with { Status = "frozen" } };
            await AppendAsync(AuditEntry.Create(AuditEventTypes.KeyStateChanged, now)
                .Add("key", name)
                .Add("status", "frozen")
                .Add("previous", key.Record.Status)
                .Add("reason", $"break-glass grant {grant.CeremonyId} was not reviewed by {StatementText.FormatTimestamp(grant.ReviewBy)}"),
                (c, t) => GovernanceStore.WriteKey(c, t, frozen.Record), cancellationToken).ConfigureAwait(false);
            PublishKey(frozen);
            DaemonLog.Ceremony(_logger, grant.CeremonyId, "break-glass", $"review overdue: key {name} frozen");
        }
    }
}
