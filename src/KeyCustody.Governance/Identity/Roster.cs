// SPDX-License-Identifier: Apache-2.0
using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using KeyCustody.Core;

namespace KeyCustody.Governance;

/// <summary>
/// The enrolled officers and custodians, with lookup by SSH key. Names are unique per role. A key enrolled
/// under more than one name is allowed but reported in <see cref="SharedKeys"/> so enrolment can refuse it,
/// and quorum counts such a key once. Immutable: a roster change produces a new roster (and a new version).
/// </summary>
public sealed class Roster
{
    private readonly Dictionary<string, Officer> _officersByName;
    private readonly Dictionary<string, Custodian> _custodiansByName;
    private readonly Dictionary<string, List<Officer>> _officersByFingerprint = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<Custodian>> _custodiansByFingerprint = new(StringComparer.Ordinal);

    /// <summary>Creates a roster. Throws InvalidArgument when a name appears twice within a role.</summary>
    public Roster(IEnumerable<Officer> officers, IEnumerable<Custodian> custodians, long version = 1)
    {
        if (version < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(version), "A roster version starts at 1.");
        }

        Version = version;
        Officers = officers.OrderBy(o => o.Name, StringComparer.Ordinal).ToArray();
        Custodians = custodians.OrderBy(c => c.Name, StringComparer.Ordinal).ToArray();
        _officersByName = new Dictionary<string, Officer>(StringComparer.Ordinal);
        foreach (Officer officer in Officers)
        {
            if (!_officersByName.TryAdd(officer.Name, officer))
            {
                throw new CustodyException(CustodyStatus.InvalidArgument, $"Officer '{officer.Name}' is enrolled twice.");
            }

            foreach (string fingerprint in officer.Keys.Select(k => k.Fingerprint).Distinct(StringComparer.Ordinal))
            {
                Add(_officersByFingerprint, fingerprint, officer);
            }
        }

        _custodiansByName = new Dictionary<string, Custodian>(StringComparer.Ordinal);
        foreach (Custodian custodian in Custodians)
        {
            if (!_custodiansByName.TryAdd(custodian.Name, custodian))
            {
                throw new CustodyException(CustodyStatus.InvalidArgument, $"Custodian '{custodian.Name}' is enrolled twice.");
            }

            foreach (string fingerprint in custodian.Keys.Select(k => k.Fingerprint).Distinct(StringComparer.Ordinal))
            {
                Add(_custodiansByFingerprint, fingerprint, custodian);
            }
        }

        SharedKeys = _officersByFingerprint.Keys.Union(_custodiansByFingerprint.Keys)
            .Select(fp => new SharedKey(
                fp,
                _officersByFingerprint.TryGetValue(fp, out var o) ? o.Select(x => x.Name).ToArray() : [],
                _custodiansByFingerprint.TryGetValue(fp, out var c) ? c.Select(x => x.Name).ToArray() : []))
            .Where(s => s.Officers.Count + s.Custodians.Count > 1)
            .OrderBy(s => s.Fingerprint, StringComparer.Ordinal)
            .ToArray();
    }

    /// <summary>An empty roster (version 1).</summary>
    public static Roster Empty { get; } = new([], []);

    /// <summary>The roster version; each enrolment change increments it.</summary>
    public long Version { get; }

    /// <summary>Officers, sorted by name.</summary>
    public IReadOnlyList<Officer> Officers { get; }

    /// <summary>Custodians, sorted by name.</summary>
    public IReadOnlyList<Custodian> Custodians { get; }

    /// <summary>Keys enrolled under more than one name (within or across roles). Empty in a healthy roster.</summary>
    public IReadOnlyList<SharedKey> SharedKeys { get; }

    /// <summary>The officer called <paramref name="name"/>, or null.</summary>
    public Officer? FindOfficer(string name) => _officersByName.GetValueOrDefault(name);

    /// <summary>The custodian called <paramref name="name"/>, or null.</summary>
    public Custodian? FindCustodian(string name) => _custodiansByName.GetValueOrDefault(name);

    /// <summary>Every officer holding <paramref name="key"/> (more than one only when the key is shared).</summary>
    public IReadOnlyList<Officer> FindOfficersByKey(SshPublicKey key) =>
        _officersByFingerprint.TryGetValue(key.Fingerprint, out var list) ? list.Where(o => o.Keys.Contains(key)).ToArray() : [];

    /// <summary>Every custodian holding <paramref name="key"/>.</summary>
    public IReadOnlyList<Custodian> FindCustodiansByKey(SshPublicKey key) =>
        _custodiansByFingerprint.TryGetValue(key.Fingerprint, out var list) ? list.Where(c => c.Keys.Contains(key)).ToArray() : [];

    /// <summary>Officers in <paramref name="group"/>.</summary>
    public IReadOnlyList<Officer> OfficersInGroup(string group) => Officers.Where(o => o.IsInGroup(group)).ToArray();

    /// <summary>
    /// How many approvals <paramref name="group"/> can give at most without <paramref name="requester"/>:
    /// officers in the group who do not own the requester identity, where officers sharing a key count once.
    /// </summary>
    public int DistinctApprovers(string group, CallerIdentity? requester = null)
    {
        // Union-find over officers joined by shared keys: each connected set can give one approval.
        List<Officer> eligible = OfficersInGroup(group).Where(o => requester is null || !o.Owns(requester)).ToList();
        var seenKeys = new Dictionary<string, int>(StringComparer.Ordinal);
        int[] parent = Enumerable.Range(0, eligible.Count).ToArray();
        int Find(int i) => parent[i] == i ? i : parent[i] = Find(parent[i]);
        for (int i = 0; i < eligible.Count; i++)
        {
            foreach (SshPublicKey key in eligible[i].Keys)
            {
                if (seenKeys.TryGetValue(key.Fingerprint, out int other))
                {
                    parent[Find(i)] = Find(other);
                }
                else
                {
                    seenKeys[key.Fingerprint] = i;
                }
            }
        }

        return Enumerable.Range(0, eligible.Count).Select(Find).Distinct().Count();
    }

    /// <summary>Parses a roster document; throws InvalidArgument listing every error with its path.</summary>
    public static Roster Parse(string json) =>
        TryParse(json, out Roster? roster, out IReadOnlyList<ValidationError> errors)
            ? roster
            : throw new DocumentValidationException("roster", errors);

    /// <summary>
    /// Parses a roster document:
    /// <c>{"version":1,"officers":[{"name":"alice","keys":["ssh-ed25519 AAAA… alice"],"groups":["release"],"identities":["CN=alice-ci"]}],
    /// "custodians":[{"name":"carol","keys":["…"]}]}</c>.
    /// </summary>
    public static bool TryParse(string? json, [NotNullWhen(true)] out Roster? roster, out IReadOnlyList<ValidationError> errors)
    {
        roster = null;
        var v = new JsonValidation();
        using JsonDocument? document = v.ParseDocument(json, "roster");
        var officers = new List<Officer>();
        var custodians = new List<Custodian>();
        long? version = null;
        if (document is not null && v.CheckObject(document.RootElement, "roster", "version", "officers", "custodians"))
        {
            JsonElement root = document.RootElement;
            version = v.Integer(root, "version", "roster", required: true, 1, long.MaxValue);
            ReadMembers(v, root, "officers", officers, isOfficer: true);
            ReadMembers(v, root, "custodians", custodians, isOfficer: false);
        }

        errors = v.Errors;
        if (v.HasErrors || version is null)
        {
            return false;
        }

        roster = new Roster(officers, custodians, version.Value);
        return true;
    }

    private static void ReadMembers<T>(JsonValidation v, JsonElement root, string field, List<T> into, bool isOfficer)
    {
        JsonElement? array = v.Array(root, field, "roster", required: false);
        if (array is null)
        {
            return;
        }

        var names = new HashSet<string>(StringComparer.Ordinal);
        int index = 0;
        foreach (JsonElement item in array.Value.EnumerateArray())
        {
            string path = JsonValidation.Index($"roster.{field}", index++);
            bool isObject = isOfficer
                ? v.CheckObject(item, path, "name", "keys", "groups", "identities")
                : v.CheckObject(item, path, "name", "keys");
            if (!isObject)
            {
                continue;
            }

            int before = v.Errors.Count;
            string? name = v.String(item, "name", path, required: true);
            if (name is not null && !RosterNames.IsValid(name))
            {
                v.Add($"{path}.name", $"{JsonValidation.Quote(name)} is not a valid name ({RosterNames.Rule})");
            }
            else if (name is not null && !names.Add(name))
            {
                v.Add($"{path}.name", $"{JsonValidation.Quote(name)} is enrolled twice");
            }

            var keys = new List<SshPublicKey>();
            List<(string Value, string Path)>? keyLines = v.StringArray(item, "keys", path, required: true);
            if (keyLines is not null && keyLines.Count == 0)
            {
                v.Add($"{path}.keys", "at least one SSH public key is required");
            }

            foreach ((string line, string at) in keyLines ?? [])
            {
                if (SshPublicKey.TryParse(line, out SshPublicKey? key, out string? keyError))
                {
                    keys.Add(key);
                }
                else
                {
                    v.Add(at, keyError);
                }
            }

            var groups = new List<string>();
            var identities = new List<string>();
            if (isOfficer)
            {
                foreach ((string group, string at) in v.StringArray(item, "groups", path, required: false) ?? [])
                {
                    if (RosterNames.IsValid(group))
                    {
                        groups.Add(group);
                    }
                    else
                    {
                        v.Add(at, $"{JsonValidation.Quote(group)} is not a valid group name ({RosterNames.Rule})");
                    }
                }

                foreach ((string identity, string at) in v.StringArray(item, "identities", path, required: false) ?? [])
                {
                    if (CallerIdentity.IsValidText(identity))
                    {
                        identities.Add(identity);
                    }
                    else
                    {
                        v.Add(at, "an identity must be 1-1024 characters without control characters");
                    }
                }
            }

            if (v.Errors.Count == before && name is not null)
            {
                into.Add(isOfficer
                    ? (T)(object)new Officer(name, keys, groups, identities)
                    : (T)(object)new Custodian(name, keys));
            }
        }
    }

    /// <summary>The canonical JSON form (see <see cref="CanonicalJson"/>) for storage and endorsement.</summary>
    public string ToCanonicalJson()
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteNumber("version", Version);
            writer.WriteStartArray("officers");
            foreach (Officer officer in Officers)
            {
                writer.WriteStartObject();
                writer.WriteString("name", officer.Name);
                WriteKeys(writer, officer.Keys);
                writer.WriteStartArray("groups");
                officer.Groups.ToList().ForEach(writer.WriteStringValue);
                writer.WriteEndArray();
                writer.WriteStartArray("identities");
                officer.Identities.ToList().ForEach(writer.WriteStringValue);
                writer.WriteEndArray();
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
            writer.WriteStartArray("custodians");
            foreach (Custodian custodian in Custodians)
            {
                writer.WriteStartObject();
                writer.WriteString("name", custodian.Name);
                WriteKeys(writer, custodian.Keys);
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
        }

        return CanonicalJson.Canonicalize(System.Text.Encoding.UTF8.GetString(buffer.ToArray()));
    }

    private static void WriteKeys(Utf8JsonWriter writer, IReadOnlyList<SshPublicKey> keys)
    {
        writer.WriteStartArray("keys");
        foreach (SshPublicKey key in keys)
        {
            writer.WriteStringValue(key.ToAuthorizedKeysLine());
        }

        writer.WriteEndArray();
    }

    private static void Add<T>(Dictionary<string, List<T>> index, string fingerprint, T member)
    {
        if (!index.TryGetValue(fingerprint, out List<T>? list))
        {
            index[fingerprint] = list = [];
        }

        list.Add(member);
    }
}
