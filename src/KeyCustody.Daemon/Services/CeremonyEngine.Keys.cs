// SPDX-License-Identifier: Apache-2.0
using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using KeyCustody.Audit;
using KeyCustody.Core;
using KeyCustody.Core.Ports;
using KeyCustody.Governance;
using KeyCustody.Governance.Ceremonies;
using KeyCustody.Storage;

namespace KeyCustody.Daemon.Services;

// generate-key and rotate-key: keys are made in the HSM during execution, before the completing entry commits.
internal sealed partial class CeremonyEngine
{
    private static readonly TimeSpan s_certificateValidity = TimeSpan.FromDays(365);
    private static readonly TimeSpan s_defaultGrace = TimeSpan.FromHours(24);

    private void ValidateGenerate(JsonObject p)
    {
        KeyName name = Key(p);
        RequireFree(name);
        Algorithm(p);
        NewPolicy(p["policy"] as JsonObject ?? throw new CustodyException(CustodyStatus.InvalidArgument, "$.policy: the new key's policy document (an object) is required."), name);
        Bool(p, "backupCapable");
    }

    private void ValidateRotate(JsonObject p)
    {
        RequireStatus(Key(p), GovernanceKeyRecord.Active);
        RequireFree(Key(p, "successor"));
        Grace(p);
    }

    private async Task<Execution> GenerateAsync(CeremonyProposal proposal, JsonObject p, DateTimeOffset now, CancellationToken cancellationToken)
    {
        KeyName name = Key(p);
        KeyAlgorithm algorithm = Algorithm(p);
        KeyPolicy policy = NewPolicy((JsonObject)p["policy"]!, name);
        (ServedKey served, JsonObject result) = await MakeKeyAsync(name, algorithm, policy, Bool(p, "backupCapable"), now, cancellationToken).ConfigureAwait(false);
        return new Execution(result, (c, t) =>
        {
            GovernanceStore.WriteKey(c, t, served.Record);
            GovernanceStore.WritePolicy(c, t, served.Policy, now);
        }, () => _signing.PublishKey(served));
    }

    private async Task<Execution> RotateAsync(CeremonyProposal proposal, JsonObject p, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ServedKey old = _signing.RequireKey(Key(p).Value, active: false);
        KeyName successorName = Key(p, "successor");
        var document = JsonNode.Parse(old.Policy.ToCanonicalJson())!.AsObject();
        document["key"] = successorName.Value;
        document["version"] = 1;
        KeyPolicy policy = KeyPolicy.Parse(document.ToJsonString());
        (ServedKey successor, JsonObject result) = await MakeKeyAsync(successorName, old.Record.Algorithm, policy, old.Record.BackupCapable, now, cancellationToken)
            .ConfigureAwait(false);
        TimeSpan grace = Grace(p);
        DateTimeOffset until = StatementText.TruncateToSeconds(now + grace);
        var statement = new RotationStatement(old.Record.Name.Value, Convert.ToHexStringLower(SHA256.HashData(old.Record.SubjectPublicKeyInfo)),
            successorName.Value, Convert.ToHexStringLower(SHA256.HashData(successor.Record.SubjectPublicKeyInfo)), proposal.Id, until);
        byte[] bytes = statement.ToBytes();
        ISigningKeyStore hsm = _signing.Hsm;
        byte[] oldSignature = await CeremonyCertificates.SignAsync(hsm, old.Record.Name, old.Record.Algorithm, bytes, cancellationToken).ConfigureAwait(false);
        byte[] newSignature = await CeremonyCertificates.SignAsync(hsm, successorName, successor.Record.Algorithm, bytes, cancellationToken).ConfigureAwait(false);
        string oldStatus = grace > TimeSpan.Zero ? Retiring : Retired;
        ServedKey retiring = old with { Record = old.Record with { Status = oldStatus } };
        result["predecessor"] = old.Record.Name.Value;
        result["predecessorStatus"] = oldStatus;
        result["predecessorSignsUntil"] = StatementText.FormatTimestamp(until);
        result["rotationStatement"] = Convert.ToBase64String(bytes);
        result["predecessorSignature"] = Convert.ToBase64String(oldSignature);
        result["successorSignature"] = Convert.ToBase64String(newSignature);
        result["predecessorPublicKeyPem"] = Pem(old.Record.SubjectPublicKeyInfo);
        return new Execution(result, (c, t) =>
        {
            GovernanceStore.WriteKey(c, t, successor.Record);
            GovernanceStore.WritePolicy(c, t, successor.Policy, now);
            GovernanceStore.WriteKey(c, t, retiring.Record);
            GovernanceStore.WriteMeta(c, t, CeremonyInventory.Successor + old.Record.Name.Value, successorName.Value);
            GovernanceStore.WriteMeta(c, t, CeremonyInventory.Predecessor + successorName.Value, old.Record.Name.Value);
            GovernanceStore.WriteMeta(c, t, RetiringMeta(old.Record.Name), AuditEntry.FormatTime(until));
            GovernanceStore.WriteMeta(c, t, CeremonyInventory.RotatedAt + old.Record.Name.Value, AuditEntry.FormatTime(now));
            if (oldStatus == Retired)
            {
                GovernanceStore.WriteMeta(c, t, CeremonyInventory.RetiredAt + old.Record.Name.Value, AuditEntry.FormatTime(now));
            }
        }, () =>
        {
            _signing.PublishKey(successor);
            _signing.PublishKey(retiring, oldStatus == Retiring ? until : null);
        });
    }

    // Generates (or, after an interrupted execution, reuses) the HSM key and certifies it.
    private async Task<(ServedKey Key, JsonObject Result)> MakeKeyAsync(KeyName name, KeyAlgorithm algorithm, KeyPolicy policy, bool backupCapable,
        DateTimeOffset now, CancellationToken cancellationToken)
    {
        ISigningKeyStore hsm = _signing.Hsm;
        KeyInfo info = await hsm.FindKeyAsync(name, cancellationToken).ConfigureAwait(false)
            ?? await hsm.GenerateKeyAsync(new KeySpec(name, algorithm, backupCapable), cancellationToken).ConfigureAwait(false);
        if (info.Algorithm != algorithm)
        {
            throw new CustodyException(CustodyStatus.AlreadyExists, $"The HSM already holds a {Algorithms.Name(info.Algorithm)} key named '{name}'.");
        }

        byte[] spki = info.SubjectPublicKeyInfo.ToArray();
        byte[]? certificate = await CeremonyCertificates.SelfSignedAsync(hsm, name, algorithm, spki, now, s_certificateValidity, cancellationToken)
            .ConfigureAwait(false);
        var record = new GovernanceKeyRecord(name, algorithm, GovernanceKeyRecord.Active, policy.Version, spki, info.BackupCapable, now, 0, null);
        var result = new JsonObject
        {
            ["key"] = name.Value,
            ["algorithm"] = Algorithms.Name(algorithm),
            ["backupCapable"] = info.BackupCapable,
            ["publicKeyPem"] = Pem(spki),
            ["spkiSha256"] = Convert.ToHexStringLower(SHA256.HashData(spki)),
            ["certificatePem"] = certificate is null ? null : PemEncoding.WriteString("CERTIFICATE", certificate),
            ["policyVersion"] = policy.Version,
        };
        return (new ServedKey(record, policy), result);
    }

    private KeyPolicy NewPolicy(JsonObject policy, KeyName name)
    {
        var document = (JsonObject)policy.DeepClone();
        document["version"] ??= 1;
        document["key"] ??= name.Value;
        KeyPolicy parsed = KeyPolicy.Parse(document.ToJsonString());
        if (parsed.Key != name)
        {
            throw new CustodyException(CustodyStatus.InvalidArgument, $"$.policy.key: the policy governs '{parsed.Key}', not the new key '{name}'.");
        }

        IReadOnlyList<ValidationError> problems = parsed.ValidateAgainst(_signing.Roster);
        return problems.Count > 0 ? throw new DocumentValidationException($"policy of {name}", problems) : parsed;
    }

    private void RequireFree(KeyName name)
    {
        if (_signing.Keys.Any(k => k.Record.Name == name))
        {
            throw new CustodyException(CustodyStatus.AlreadyExists, $"A key named '{name}' already exists on this appliance; choose another name.");
        }
    }

    private static KeyAlgorithm Algorithm(JsonObject p)
    {
        string? text = p["algorithm"] is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : null;
        return Algorithms.TryParseKey(text, out KeyAlgorithm algorithm)
            ? algorithm
            : throw new CustodyException(CustodyStatus.InvalidArgument, "$.algorithm: one of ecdsa-p256, ecdsa-p384, ed25519, rsa-3072, rsa-4096 is required.");
    }

    private static bool Bool(JsonObject p, string field) => p[field] switch
    {
        null => false,
        JsonValue v when v.GetValueKind() is JsonValueKind.True or JsonValueKind.False => v.GetValue<bool>(),
        _ => throw new CustodyException(CustodyStatus.InvalidArgument, $"$.{field}: true or false."),
    };

    private static TimeSpan Grace(JsonObject p)
    {
        if (p["grace"] is null)
        {
            return s_defaultGrace;
        }

        string? text = p["grace"] is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : null;
        return text == "0s" ? TimeSpan.Zero
            : DurationText.TryParse(text, out TimeSpan grace) && grace <= TimeSpan.FromDays(90) ? grace
            : throw new CustodyException(CustodyStatus.InvalidArgument, "$.grace: a duration up to 90d, e.g. \"24h\", or \"0s\" to retire the old key at once.");
    }

    private static string RetiringMeta(KeyName key) => "retiring_until:" + key.Value;

    private static string Pem(byte[] spki) => PemEncoding.WriteString("PUBLIC KEY", spki);

    /// <summary>Parses a gov_meta time.</summary>
    internal static DateTimeOffset ParseMetaTime(string text) =>
        DateTimeOffset.Parse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal);

    /// <summary>
    /// Retiring keys whose grace period ended become retired (a <c>key.state_changed</c> entry each); the grace
    /// periods of the others are published to the signing engine (they are not kept across restarts otherwise).
    /// Runs under the ceremony lock at every ceremony call.
    /// </summary>
    private async Task SweepRetiringAsync(CancellationToken cancellationToken)
    {
        DateTimeOffset now = _time.GetUtcNow();
        foreach (ServedKey key in _signing.Keys.Where(k => k.Record.Status == Retiring).ToList())
        {
            string? stored = await _store.GetMetaAsync(RetiringMeta(key.Record.Name), cancellationToken).ConfigureAwait(false);
            DateTimeOffset until = stored is null ? now : ParseMetaTime(stored);
            if (until > now)
            {
                _signing.PublishKey(key, until);
                continue;
            }

            ServedKey retired = key with { Record = key.Record with { Status = Retired } };
            await AppendAsync(AuditEntry.Create(AuditEventTypes.KeyStateChanged, now)
                .Add("key", key.Record.Name)
                .Add("status", Retired)
                .Add("previous", Retiring)
                .Add("reason", $"grace period ended at {StatementText.FormatTimestamp(until)}"),
                (c, t) =>
                {
                    GovernanceStore.WriteKey(c, t, retired.Record);
                    GovernanceStore.WriteMeta(c, t, CeremonyInventory.RetiredAt + key.Record.Name.Value, AuditEntry.FormatTime(now));
                }, cancellationToken).ConfigureAwait(false);
            _signing.PublishKey(retired);
        }
    }
}
