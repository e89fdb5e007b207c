// SPDX-License-Identifier: Apache-2.0
using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using KeyCustody.Audit;
using KeyCustody.Core;
using KeyCustody.Governance;
using KeyCustody.Governance.Ceremonies;
using KeyCustody.Storage;

namespace KeyCustody.Daemon.Services;

// Per-kind parameter checks (run at proposal and again at execution) and execution.
internal sealed partial class CeremonyEngine
{
    /// <summary>Key statuses a ceremony sets.</summary>
    public const string Retiring = "retiring", Retired = "retired", Revoked = "revoked", Frozen = "frozen";

    private async Task ValidateAsync(CeremonyKind kind, JsonObject p, CancellationToken cancellationToken)
    {
        switch (kind)
        {
            case CeremonyKind.Genesis:
                string at = await _store.GetMetaAsync("genesis", cancellationToken).ConfigureAwait(false) ?? "an earlier start";
                throw new CustodyException(CustodyStatus.AlreadyExists,
                    $"The appliance is already provisioned (genesis applied at {at}); a second genesis is refused. Change the roster, keys and policies with their own ceremonies.");
            case CeremonyKind.ChangeQuorum:
                CustodianQuorum.Validate(Int(p, "custodians"), _signing.Roster.Custodians.Count);
                break;
            case CeremonyKind.RetireKey:
                RequireStatus(Key(p), GovernanceKeyRecord.Active, Retiring);
                break;
            case CeremonyKind.RevokeKey:
            {
                ServedKey key = _signing.RequireKey(Key(p).Value, active: false);
                DateTimeOffset? effective = OptionalTime(p, "effective");
                if (effective > _time.GetUtcNow())
                {
                    throw new CustodyException(CustodyStatus.InvalidArgument, "$.effective: a revocation takes effect now or in the past, never in the future.");
                }

                if (key.Record.Status == Revoked)
                {
                    DateTimeOffset previous = DateTimeOffset.Parse(
                        await _store.GetMetaAsync(RevokedMeta(key.Record.Name), cancellationToken).ConfigureAwait(false) ?? "0001-01-01T00:00:00Z",
                        CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal);
                    if (effective is null || effective >= previous)
                    {
                        throw new CustodyException(CustodyStatus.WrongState,
                            $"Key '{key.Record.Name}' is already revoked effective {StatementText.FormatTimestamp(previous)}; a new revocation may only move that time earlier.");
                    }
                }

                break;
            }

            case CeremonyKind.GenerateKey:
                ValidateGenerate(p);
                break;
            case CeremonyKind.RotateKey:
                ValidateRotate(p);
                break;
            case CeremonyKind.BreakGlass:
                ValidateBreakGlass(p);
                break;
            case CeremonyKind.ChangePolicy:
                NextPolicy(p);
                break;
            case CeremonyKind.Backup:
                ValidateBackup(p);
                break;
            case CeremonyKind.EnrolMember or CeremonyKind.RemoveMember:
                await NextRosterAsync(kind, p, cancellationToken).ConfigureAwait(false);
                break;
            case CeremonyKind.BreakGlassReview:
                ValidateReview(p);
                break;
            default:
                throw new CustodyException(CustodyStatus.Unsupported, $"Ceremonies of kind {CeremonyKinds.Name(kind)} are not available in this release.");
        }
    }

    private async Task<Execution> PrepareAsync(CeremonyProposal proposal, JsonObject p, CancellationToken cancellationToken)
    {
        DateTimeOffset now = _time.GetUtcNow();
        switch (proposal.Kind)
        {
            case CeremonyKind.ChangeQuorum:
            {
                int quorum = Int(p, "custodians");
                int previous = await QuorumAsync(cancellationToken).ConfigureAwait(false);
                return new Execution(new JsonObject { ["custodians"] = quorum, ["previous"] = previous },
                    (c, t) => GovernanceStore.WriteMeta(c, t, QuorumMeta, quorum.ToString(CultureInfo.InvariantCulture)), null);
            }

            case CeremonyKind.RetireKey:
            {
                ServedKey key = _signing.RequireKey(Key(p).Value, active: false);
                ServedKey retired = key with { Record = key.Record with { Status = Retired } };
                return new Execution(new JsonObject { ["key"] = key.Record.Name.Value, ["status"] = Retired, ["previous"] = key.Record.Status },
                    (c, t) =>
                    {
                        GovernanceStore.WriteKey(c, t, retired.Record);
                        GovernanceStore.WriteMeta(c, t, CeremonyInventory.RetiredAt + key.Record.Name.Value, AuditEntry.FormatTime(now));
                    }, () => _signing.PublishKey(retired));
            }

            case CeremonyKind.RevokeKey:
            {
                ServedKey key = _signing.RequireKey(Key(p).Value, active: false);
                DateTimeOffset effective = StatementText.TruncateToSeconds(OptionalTime(p, "effective") ?? now);
                string reason = p["reason"] is JsonValue r && r.GetValueKind() == JsonValueKind.String ? r.GetValue<string>() : "unspecified";
                var statement = new RevocationStatement(key.Record.Name.Value, Convert.ToHexStringLower(SHA256.HashData(key.Record.SubjectPublicKeyInfo)),
                    effective, proposal.Id, reason);
                byte[] bytes = statement.ToBytes();
                if (_auditSigner is null)
                {
                    throw new CustodyException(CustodyStatus.TpmUnavailable, "The audit key is not available to sign the revocation statement.");
                }

                byte[] signature = await _auditSigner.SignDigestAsync(SHA256.HashData(bytes), cancellationToken).ConfigureAwait(false);
                ServedKey revoked = key with { Record = key.Record with { Status = Revoked } };
                var result = new JsonObject
                {
                    ["key"] = key.Record.Name.Value,
                    ["status"] = Revoked,
                    ["previous"] = key.Record.Status,
                    ["effective"] = StatementText.FormatTimestamp(effective),
                    ["statement"] = Convert.ToBase64String(bytes),
                    ["signature"] = Convert.ToBase64String(signature),
                    ["signatureAlgorithm"] = "ecdsa-p256-sha256",
                    ["auditKeySpki"] = Convert.ToBase64String(_auditSigner.SubjectPublicKeyInfo.Span),
                };
                return new Execution(result, (c, t) =>
                {
                    GovernanceStore.WriteKey(c, t, revoked.Record);
                    GovernanceStore.WriteMeta(c, t, RevokedMeta(key.Record.Name), AuditEntry.FormatTime(effective));
                }, () => _signing.PublishKey(revoked));
            }

            case CeremonyKind.GenerateKey:
                return await GenerateAsync(proposal, p, now, cancellationToken).ConfigureAwait(false);
            case CeremonyKind.RotateKey:
                return await RotateAsync(proposal, p, now, cancellationToken).ConfigureAwait(false);
            case CeremonyKind.BreakGlass:
                return BreakGlass(proposal, p, now);
            case CeremonyKind.ChangePolicy:
                return ChangePolicy(p, now);
            case CeremonyKind.Backup:
                return await BackupAsync(proposal, p, now, cancellationToken).ConfigureAwait(false);
            case CeremonyKind.EnrolMember or CeremonyKind.RemoveMember:
                return await ChangeRosterAsync(proposal.Kind, p, now, cancellationToken).ConfigureAwait(false);
            case CeremonyKind.BreakGlassReview:
                return Review(proposal, p);
            default:
                throw new CustodyException(CustodyStatus.Unsupported, $"Ceremonies of kind {CeremonyKinds.Name(proposal.Kind)} are not available in this release.");
        }
    }

    private static string RevokedMeta(KeyName key) => CeremonyInventory.RevokedEffective + key.Value;

    private void RequireStatus(KeyName name, params string[] allowed)
    {
        ServedKey key = _signing.RequireKey(name.Value, active: false);
        if (!allowed.Contains(key.Record.Status))
        {
            throw new CustodyException(CustodyStatus.WrongState, $"Key '{name}' is {key.Record.Status}; this ceremony needs it {string.Join(" or ", allowed)}.");
        }
    }

    private static KeyName Key(JsonObject p, string field = "key")
    {
        string? text = p[field] is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : null;
        return KeyName.TryParse(text, out KeyName name)
            ? name
            : throw new CustodyException(CustodyStatus.InvalidArgument, $"$.{field}: a key name is required.");
    }

    private static int Int(JsonObject p, string field) =>
        p[field] is JsonValue v && v.GetValueKind() == JsonValueKind.Number && v.TryGetValue(out int value)
            ? value
            : throw new CustodyException(CustodyStatus.InvalidArgument, $"$.{field}: a whole number is required.");

    private static DateTimeOffset? OptionalTime(JsonObject p, string field)
    {
        if (p[field] is null)
        {
            return null;
        }

        return p[field] is JsonValue v && v.GetValueKind() == JsonValueKind.String && StatementText.TryParseTimestamp(v.GetValue<string>(), out DateTimeOffset at)
            ? at
            : throw new CustodyException(CustodyStatus.InvalidArgument, $"$.{field}: an RFC 3339 UTC time like 2025-03-01T12:00:00Z is required.");
    }
}
