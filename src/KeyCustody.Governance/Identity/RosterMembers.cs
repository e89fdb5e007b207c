// SPDX-License-Identifier: Apache-2.0
namespace KeyCustody.Governance;

/// <summary>
/// A release officer: approves or denies signing requests for the groups they belong to.
/// <see cref="Identities"/> lists the CI/client identities the officer owns (certificate subjects or SANs,
/// matched exactly): a request submitted under any of them, or under the officer's own name, is the
/// officer's own request, and they can never approve it.
/// </summary>
public sealed record Officer
{
    /// <summary>Creates an officer; names and groups follow <see cref="RosterNames"/>.</summary>
    public Officer(string name, IEnumerable<SshPublicKey> keys, IEnumerable<string>? groups = null, IEnumerable<string>? identities = null)
    {
        RosterNames.Require(name, "officer name");
        Name = name;
        Keys = keys.ToArray();
        if (Keys.Count == 0)
        {
            throw new ArgumentException($"Officer '{name}' needs at least one SSH key.", nameof(keys));
        }

        Groups = (groups ?? []).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
        foreach (string group in Groups)
        {
            RosterNames.Require(group, "group name");
        }

        Identities = (identities ?? []).Distinct(StringComparer.Ordinal).ToArray();
        if (Identities.Any(identity => !CallerIdentity.IsValidText(identity)))
        {
            throw new ArgumentException($"Officer '{name}' has an empty identity or one with control characters.", nameof(identities));
        }
    }

    /// <summary>The officer's unique name, e.g. <c>alice</c>.</summary>
    public string Name { get; }

    /// <summary>The SSH keys the officer signs with (one or more).</summary>
    public IReadOnlyList<SshPublicKey> Keys { get; }

    /// <summary>The approver groups the officer is in, sorted.</summary>
    public IReadOnlyList<string> Groups { get; }

    /// <summary>Client identities (certificate subjects or SANs) the officer owns.</summary>
    public IReadOnlyList<string> Identities { get; }

    /// <summary>True when the officer is in <paramref name="group"/>.</summary>
    public bool IsInGroup(string group) => Groups.Contains(group, StringComparer.Ordinal);

    /// <summary>True when <paramref name="requester"/> is this officer: their name, or an identity they own.</summary>
    public bool Owns(CallerIdentity requester) =>
        requester.Names(Name) || Identities.Any(requester.Names);

    /// <inheritdoc />
    public bool Equals(Officer? other) =>
        other is not null && Name == other.Name && Keys.SequenceEqual(other.Keys) && Groups.SequenceEqual(other.Groups)
        && Identities.SequenceEqual(other.Identities);

    /// <inheritdoc />
    public override int GetHashCode() => StringComparer.Ordinal.GetHashCode(Name);
}

/// <summary>A key custodian: endorses ceremonies (key generation, policy changes, enrolment, backup).</summary>
public sealed record Custodian
{
    /// <summary>Creates a custodian; the name follows <see cref="RosterNames"/>.</summary>
    public Custodian(string name, IEnumerable<SshPublicKey> keys)
    {
        RosterNames.Require(name, "custodian name");
        Name = name;
        Keys = keys.ToArray();
        if (Keys.Count == 0)
        {
            throw new ArgumentException($"Custodian '{name}' needs at least one SSH key.", nameof(keys));
        }
    }

    /// <summary>The custodian's unique name.</summary>
    public string Name { get; }

    /// <summary>The SSH keys the custodian signs with.</summary>
    public IReadOnlyList<SshPublicKey> Keys { get; }

    /// <inheritdoc />
    public bool Equals(Custodian? other) => other is not null && Name == other.Name && Keys.SequenceEqual(other.Keys);

    /// <inheritdoc />
    public override int GetHashCode() => StringComparer.Ordinal.GetHashCode(Name);
}

/// <summary>One key enrolled under more than one name: approvals made with it count once at most.</summary>
/// <param name="Fingerprint">The shared key's fingerprint.</param>
/// <param name="Officers">Officer names holding the key, sorted.</param>
/// <param name="Custodians">Custodian names holding the key, sorted.</param>
public sealed record SharedKey(string Fingerprint, IReadOnlyList<string> Officers, IReadOnlyList<string> Custodians)
{
    /// <summary>E.g. <c>SHA256:… is enrolled for officers alice, bob</c>.</summary>
    public override string ToString()
    {
        var holders = new List<string>();
        if (Officers.Count > 0)
        {
            holders.Add($"officers {string.Join(", ", Officers)}");
        }

        if (Custodians.Count > 0)
        {
            holders.Add($"custodians {string.Join(", ", Custodians)}");
        }

        return $"{Fingerprint} is enrolled for {string.Join(" and ", holders)}";
    }
}

/// <summary>Rules for officer, custodian and group names.</summary>
public static class RosterNames
{
    /// <summary>1–64 characters of a-z, 0-9, '.', '_', '-', '@', starting with a letter or digit.</summary>
    public static bool IsValid(string? name)
    {
        if (string.IsNullOrEmpty(name) || name.Length > 64 || !(char.IsAsciiLetterLower(name[0]) || char.IsAsciiDigit(name[0])))
        {
            return false;
        }

        return name.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c is '.' or '_' or '-' or '@');
    }

    internal const string Rule = "use 1-64 characters a-z, 0-9, '.', '_', '-' or '@', starting with a letter or digit";

    internal static void Require(string? name, string what)
    {
        if (!IsValid(name))
        {
            throw new ArgumentException($"'{name}' is not a valid {what}: {Rule}.", what);
        }
    }
}
