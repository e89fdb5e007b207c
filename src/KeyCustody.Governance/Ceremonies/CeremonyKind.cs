// SPDX-License-Identifier: Apache-2.0
using System.Diagnostics.CodeAnalysis;

namespace KeyCustody.Governance.Ceremonies;

/// <summary>What a ceremony changes. Values match <c>keycustody.v1.CeremonyKind</c>.</summary>
public enum CeremonyKind
{
    /// <summary>First provisioning of a fresh appliance.</summary>
    Genesis = 1,
    /// <summary>Generate a signing key.</summary>
    GenerateKey = 2,
    /// <summary>Replace a key by a successor.</summary>
    RotateKey = 3,
    /// <summary>Stop a key for good (orderly).</summary>
    RetireKey = 4,
    /// <summary>Stop a key at once (compromise).</summary>
    RevokeKey = 5,
    /// <summary>Replace a key's policy.</summary>
    ChangePolicy = 6,
    /// <summary>Enrol an officer or custodian.</summary>
    EnrolMember = 7,
    /// <summary>Remove an officer or custodian.</summary>
    RemoveMember = 8,
    /// <summary>Change the custodian quorum.</summary>
    ChangeQuorum = 9,
    /// <summary>Export wrapped keys.</summary>
    Backup = 10,
    /// <summary>Import wrapped keys.</summary>
    Restore = 11,
    /// <summary>An emergency signing grant.</summary>
    BreakGlass = 12,
    /// <summary>The review of a break-glass grant.</summary>
    BreakGlassReview = 13,
    /// <summary>Re-seal the HSM PIN to new PCR values.</summary>
    Reseal = 14,
}

/// <summary>The statement names of <see cref="CeremonyKind"/> (<c>generate-key</c>, …).</summary>
public static class CeremonyKinds
{
    private static readonly Dictionary<CeremonyKind, string> s_names = new()
    {
        [CeremonyKind.Genesis] = "genesis",
        [CeremonyKind.GenerateKey] = "generate-key",
        [CeremonyKind.RotateKey] = "rotate-key",
        [CeremonyKind.RetireKey] = "retire-key",
        [CeremonyKind.RevokeKey] = "revoke-key",
        [CeremonyKind.ChangePolicy] = "change-policy",
        [CeremonyKind.EnrolMember] = "enrol-member",
        [CeremonyKind.RemoveMember] = "remove-member",
        [CeremonyKind.ChangeQuorum] = "change-quorum",
        [CeremonyKind.Backup] = "backup",
        [CeremonyKind.Restore] = "restore",
        [CeremonyKind.BreakGlass] = "break-glass",
        [CeremonyKind.BreakGlassReview] = "break-glass-review",
        [CeremonyKind.Reseal] = "reseal",
    };

    /// <summary>The statement name of <paramref name="kind"/>.</summary>
    public static string Name(CeremonyKind kind) =>
        s_names.TryGetValue(kind, out string? name) ? name : throw new ArgumentOutOfRangeException(nameof(kind), kind, "unknown ceremony kind");

    /// <summary>Parses a statement name.</summary>
    public static bool TryParse(string? name, [NotNullWhen(true)] out CeremonyKind? kind)
    {
        foreach ((CeremonyKind k, string n) in s_names)
        {
            if (n == name)
            {
                kind = k;
                return true;
            }
        }

        kind = null;
        return false;
    }

    /// <summary>True for kinds that change who can sign with what, and so also need the presence button when the appliance asks for it.</summary>
    public static bool IsHighImpact(CeremonyKind kind) => kind is not CeremonyKind.Genesis;
}
