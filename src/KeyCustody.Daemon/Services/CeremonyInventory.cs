// SPDX-License-Identifier: Apache-2.0
using System.Globalization;
using Google.Protobuf.WellKnownTypes;
using KeyCustody.Storage;
using Pb = KeyCustody.Protocol.V1;

namespace KeyCustody.Daemon.Services;

/// <summary>
/// The lifecycle facts ceremonies record in <c>gov_meta</c> (rotated, retired, revoked times; successor and
/// predecessor), added to the KeyService inventory. The full history of a key is in the audit log.
/// </summary>
internal static class CeremonyInventory
{
    /// <summary>gov_meta name prefixes, each followed by the key name.</summary>
    public const string RotatedAt = "rotated_at:", RetiredAt = "retired_at:", RevokedEffective = "revoked_effective:",
        Successor = "successor:", Predecessor = "predecessor:";

    /// <summary>Fills the lifecycle fields of <paramref name="keys"/> from the store.</summary>
    public static async Task DecorateAsync(IEnumerable<Pb.Key> keys, CeremonyStore store, CancellationToken cancellationToken)
    {
        var meta = (await store.ListMetaAsync(string.Empty, cancellationToken).ConfigureAwait(false)).ToDictionary(m => m.Name, m => m.Value, StringComparer.Ordinal);
        foreach (Pb.Key key in keys)
        {
            Timestamp? Time(string prefix) => meta.TryGetValue(prefix + key.Name, out string? text)
                ? Timestamp.FromDateTimeOffset(DateTimeOffset.Parse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal))
                : null;

            key.RotatedAt = Time(RotatedAt) ?? key.RotatedAt;
            key.RetiredAt = Time(RetiredAt) ?? key.RetiredAt;
            key.RevokedAt = Time(RevokedEffective) ?? key.RevokedAt;
            key.Successor = meta.GetValueOrDefault(Successor + key.Name, key.Successor);
            key.Predecessor = meta.GetValueOrDefault(Predecessor + key.Name, key.Predecessor);
        }
    }

    /// <summary>True when a signed entry was made under a break-glass grant (its <c>break_glass</c> field).</summary>
    public static bool IsBreakGlass(byte[] entry)
    {
        using var document = System.Text.Json.JsonDocument.Parse(entry);
        return document.RootElement.TryGetProperty("break_glass", out System.Text.Json.JsonElement flag) && flag.ValueKind == System.Text.Json.JsonValueKind.True;
    }
}
