// SPDX-License-Identifier: Apache-2.0
using System.Text.Json;
using System.Text.Json.Nodes;
using KeyCustody.Core;
using KeyCustody.Governance;
using KeyCustody.Governance.Ceremonies;
using KeyCustody.Storage;

namespace KeyCustody.Daemon.Services;

// change-policy, enrol-member, remove-member: each builds the next version and checks every rule before it is proposed.
internal sealed partial class CeremonyEngine
{
    private KeyPolicy NextPolicy(JsonObject p)
    {
        ServedKey key = _signing.RequireKey(Key(p).Value, active: false);
        if (key.Record.Status is Revoked or Retired)
        {
            throw new CustodyException(CustodyStatus.WrongState, $"Key '{key.Record.Name}' is {key.Record.Status}; its policy can no longer change.");
        }

        var document = (p["policy"] as JsonObject ?? throw new CustodyException(CustodyStatus.InvalidArgument, "$.policy: the new policy document (an object) is required."))
            .DeepClone().AsObject();
        document["key"] ??= key.Record.Name.Value;
        // Versions only move forward; the appliance numbers them.
        document["version"] = key.Policy.Version + 1;
        KeyPolicy policy = KeyPolicy.Parse(document.ToJsonString());
        if (policy.Key != key.Record.Name)
        {
            throw new CustodyException(CustodyStatus.InvalidArgument, $"$.policy.key: the policy governs '{policy.Key}', not '{key.Record.Name}'.");
        }

        IReadOnlyList<ValidationError> problems = policy.ValidateAgainst(_signing.Roster);
        return problems.Count > 0 ? throw new DocumentValidationException($"policy of {policy.Key}", problems) : policy;
    }

    private Execution ChangePolicy(JsonObject p, DateTimeOffset now)
    {
        KeyPolicy policy = NextPolicy(p);
        ServedKey key = _signing.RequireKey(policy.Key.Value, active: false);
        ServedKey next = new(key.Record with { PolicyVersion = policy.Version }, policy);
        return new Execution(new JsonObject { ["key"] = policy.Key.Value, ["policyVersion"] = policy.Version, ["previousVersion"] = key.Policy.Version },
            (c, t) =>
            {
                GovernanceStore.WritePolicy(c, t, policy, now);
                GovernanceStore.WriteKey(c, t, next.Record);
            }, () => _signing.PublishKey(next));
    }

    private async Task<Roster> NextRosterAsync(CeremonyKind kind, JsonObject p, CancellationToken cancellationToken)
    {
        Roster roster = _signing.Roster;
        string role = Text(p, "role");
        string name = Text(p, "name");
        if (role is not ("officer" or "custodian"))
        {
            throw new CustodyException(CustodyStatus.InvalidArgument, "$.role: \"officer\" or \"custodian\".");
        }

        if (!RosterNames.IsValid(name))
        {
            throw new CustodyException(CustodyStatus.InvalidArgument, $"$.name: '{name}' is not a valid member name.");
        }

        List<Officer> officers = [.. roster.Officers];
        List<Custodian> custodians = [.. roster.Custodians];
        if (kind == CeremonyKind.EnrolMember)
        {
            SshPublicKey[] keys = p["keys"] is JsonArray array && array.Count > 0
                ? [.. array.Select(k => SshPublicKey.Parse(k is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : string.Empty))]
                : throw new CustodyException(CustodyStatus.InvalidArgument, "$.keys: at least one OpenSSH public key line is required.");
            if (role == "officer")
            {
                officers.Add(new Officer(name, keys, Strings(p, "groups"), Strings(p, "identities")));
            }
            else
            {
                custodians.Add(new Custodian(name, keys));
            }
        }
        else if (role == "officer")
        {
            if (officers.RemoveAll(o => o.Name == name) == 0)
            {
                throw new CustodyException(CustodyStatus.NotFound, $"There is no enrolled officer named '{name}'.");
            }
        }
        else
        {
            if (custodians.RemoveAll(c => c.Name == name) == 0)
            {
                throw new CustodyException(CustodyStatus.NotFound, $"There is no enrolled custodian named '{name}'.");
            }

            // Removing a custodian must leave the quorum reachable.
            CustodianQuorum.Validate(await QuorumAsync(cancellationToken).ConfigureAwait(false), custodians.Count);
        }

        var next = new Roster(officers, custodians, roster.Version + 1);
        foreach (ServedKey key in _signing.Keys.Where(k => k.Record.Status is not (Revoked or Retired)))
        {
            IReadOnlyList<ValidationError> problems = key.Policy.ValidateAgainst(next);
            if (problems.Count > 0)
            {
                throw new CustodyException(CustodyStatus.WrongState,
                    $"After this change the policy of key '{key.Record.Name}' could not be met: {string.Join("; ", problems.Select(e => e.ToString()))}. Change that policy first.");
            }
        }

        return next;
    }

    private async Task<Execution> ChangeRosterAsync(CeremonyKind kind, JsonObject p, DateTimeOffset now, CancellationToken cancellationToken)
    {
        Roster next = await NextRosterAsync(kind, p, cancellationToken).ConfigureAwait(false);
        return new Execution(
            new JsonObject { ["rosterVersion"] = next.Version, ["role"] = Text(p, "role"), ["name"] = Text(p, "name"), ["change"] = kind == CeremonyKind.EnrolMember ? "enrolled" : "removed" },
            (c, t) => GovernanceStore.WriteRoster(c, t, next, now),
            () => _signing.PublishRoster(next));
    }

    private static string Text(JsonObject p, string field) =>
        p[field] is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>()
        : throw new CustodyException(CustodyStatus.InvalidArgument, $"$.{field}: a string is required.");

    private static string[] Strings(JsonObject p, string field) =>
        p[field] is JsonArray array ? [.. array.Select(n => n is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>()
            : throw new CustodyException(CustodyStatus.InvalidArgument, $"$.{field}: strings only."))] : [];
}
