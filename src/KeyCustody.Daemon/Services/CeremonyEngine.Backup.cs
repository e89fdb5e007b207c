// SPDX-License-Identifier: Apache-2.0
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using KeyCustody.Audit;
using KeyCustody.Core;
using KeyCustody.Daemon.Ceremonies;
using KeyCustody.Governance;
using KeyCustody.Governance.Ceremonies;
using KeyCustody.Pkcs11;

namespace KeyCustody.Daemon.Services;

// backup: wrap backup-capable keys and split the wrap key among all custodians (threshold = the custodian quorum).
internal sealed partial class CeremonyEngine
{
    /// <summary>The HSM security officer PIN source (backup needs the SO to make the trusted wrap key).</summary>
    public Func<CancellationToken, ValueTask<byte[]>>? SoPin { get; init; }

    private List<(string Custodian, byte[] X25519PublicKey)> ValidateBackup(JsonObject p)
    {
        if (SoPin is null || _signing.Hsm is not Pkcs11KeyStore)
        {
            throw new CustodyException(CustodyStatus.Unsupported, "Backup needs the HSM security officer PIN: set pkcs11.soPin in the configuration.");
        }

        KeyName[] keys = p["keys"] is JsonArray array && array.Count > 0
            ? [.. array.Select((_, i) => Key(new JsonObject { ["key"] = array[i]?.DeepClone() }))]
            : throw new CustodyException(CustodyStatus.InvalidArgument, "$.keys: the names of the keys to back up are required.");
        foreach (KeyName name in keys)
        {
            ServedKey key = _signing.RequireKey(name.Value, active: false);
            if (!key.Record.BackupCapable)
            {
                throw new CustodyException(CustodyStatus.PermissionDenied, $"Key '{name}' was generated non-extractable and can never be backed up.");
            }
        }

        JsonObject recipients = p["recipients"] as JsonObject
            ?? throw new CustodyException(CustodyStatus.InvalidArgument, "$.recipients: each custodian's X25519 share key (base64) is required.");
        var result = new List<(string, byte[])>();
        foreach (Custodian custodian in _signing.Roster.Custodians)
        {
            string? text = recipients[custodian.Name] is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : null;
            byte[] key;
            try
            {
                key = Convert.FromBase64String(text ?? string.Empty);
            }
            catch (FormatException)
            {
                key = [];
            }

            if (key.Length != 32)
            {
                throw new CustodyException(CustodyStatus.InvalidArgument, $"$.recipients.{custodian.Name}: a 32-byte X25519 public key in base64 is required for every custodian.");
            }

            result.Add((custodian.Name, key));
        }

        if (recipients.Count != result.Count)
        {
            throw new CustodyException(CustodyStatus.InvalidArgument, "$.recipients: only enrolled custodians receive shares.");
        }

        return result;
    }

    private async Task<Execution> BackupAsync(CeremonyProposal proposal, JsonObject p, DateTimeOffset now, CancellationToken cancellationToken)
    {
        List<(string, byte[])> recipients = ValidateBackup(p);
        KeyName[] keys = [.. ((JsonArray)p["keys"]!).Select(n => KeyName.Parse(n!.GetValue<string>()))];
        BackupBundle bundle = await BackupCeremony.BackupAsync((Pkcs11KeyStore)_signing.Hsm, SoPin!, proposal.Id, keys, proposal.EndorsementsRequired,
            recipients, now, cancellationToken).ConfigureAwait(false);
        byte[] json = bundle.ToJson();
        var result = new JsonObject
        {
            ["bundleId"] = bundle.Id,
            ["threshold"] = bundle.Threshold,
            ["keys"] = new JsonArray([.. keys.Select(k => (JsonNode)k.Value)]),
            ["bundleSha256"] = Convert.ToHexStringLower(SHA256.HashData(json)),
            ["bundle"] = Convert.ToBase64String(json),
        };
        return new Execution(result, (c, t) => Storage.GovernanceStore.WriteMeta(c, t, "backup:" + bundle.Id, AuditEntry.FormatTime(now)), null);
    }
}
