// SPDX-License-Identifier: Apache-2.0
using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using KeyCustody.Core;

namespace KeyCustody.Governance;

/// <summary>
/// The versioned policy of one signing key. Built only by parsing a policy document, so every instance is
/// valid; <see cref="ToCanonicalJson"/> writes it back with every default made explicit.
/// </summary>
/// <remarks>
/// Document shape (fields marked * are required):
/// <code>
/// {
///   "version": 3,                     * integer ≥ 1; raised on every change
///   "key": "release",                 * the key name
///   "riskTier": "high",               * "low" | "high" (high needs approvals.required ≥ 1)
///   "allowedCallers": [               * at least one; each has "subject" and/or "san" (globs: * ? \)
///     { "subject": "CN=ci-*,O=Example", "san": "spiffe://example.org/ci/*" } ],
///   "allowedDigests": ["sha256"],     * at least one of sha256, sha384, sha512
///   "approvals": { "required": 2, "group": "release-officers", "validity": "1h", "denialsToReject": 1 },
///   "presence": { "required": true, "window": "2m" },
///   "requestExpiry": "24h",
///   "timeWindows": [ { "days": ["mon","tue","wed","thu","fri"], "from": "09:00", "to": "17:00",
///                      "timeZone": "Europe/Berlin" } ],
///   "rateLimits": [ { "scope": "caller", "count": 10, "window": "1h" },
///                   { "scope": "key", "count": 50, "window": "1d" } ],
///   "maxPending": 16
/// }
/// </code>
/// Defaults: approvals {required 0, validity "1h", denialsToReject 1}; presence {required false, window "1m"};
/// requestExpiry "24h"; no time windows (any time); no rate limits; maxPending 16.
/// </remarks>
public sealed class KeyPolicy : IEquatable<KeyPolicy>
{
    /// <summary>Default approval validity.</summary>
    public static readonly TimeSpan DefaultApprovalValidity = TimeSpan.FromHours(1);

    /// <summary>Default presence window.</summary>
    public static readonly TimeSpan DefaultPresenceWindow = TimeSpan.FromMinutes(1);

    /// <summary>Default request expiry.</summary>
    public static readonly TimeSpan DefaultRequestExpiry = TimeSpan.FromHours(24);

    /// <summary>Default maximum of pending requests per key.</summary>
    public const int DefaultMaxPending = 16;

    /// <summary>The largest M a policy may ask for.</summary>
    public const int MaxApprovals = 16;

    private static readonly string[] s_rootFields =
        ["version", "key", "riskTier", "allowedCallers", "allowedDigests", "approvals", "presence", "requestExpiry", "timeWindows", "rateLimits", "maxPending"];

    private string? _canonical;

    private KeyPolicy()
    {
    }

    /// <summary>The policy version (≥ 1). Requests and statements name the version they were governed by.</summary>
    public long Version { get; private init; }

    /// <summary>The key the policy governs.</summary>
    public KeyName Key { get; private init; }

    /// <summary>Low or high risk.</summary>
    public RiskTier RiskTier { get; private init; }

    /// <summary>Who may submit requests; a caller must match at least one entry.</summary>
    public IReadOnlyList<CallerPattern> AllowedCallers { get; private init; } = [];

    /// <summary>Digest algorithms callers may submit.</summary>
    public IReadOnlyList<DigestAlgorithm> AllowedDigests { get; private init; } = [];

    /// <summary>The officer quorum.</summary>
    public ApprovalRule Approvals { get; private init; } = new(0, null, DefaultApprovalValidity, 1);

    /// <summary>The presence requirement.</summary>
    public PresenceRule Presence { get; private init; } = new(false, DefaultPresenceWindow);

    /// <summary>How long a request stays open before it expires.</summary>
    public TimeSpan RequestExpiry { get; private init; } = DefaultRequestExpiry;

    /// <summary>When requests may be submitted; empty means any time.</summary>
    public IReadOnlyList<TimeWindow> TimeWindows { get; private init; } = [];

    /// <summary>Rate limits, all enforced together.</summary>
    public IReadOnlyList<RateLimit> RateLimits { get; private init; } = [];

    /// <summary>The most non-terminal requests the key may have at once.</summary>
    public int MaxPending { get; private init; } = DefaultMaxPending;

    /// <summary>True when the key signs at once: no approvals and no presence.</summary>
    public bool AllowsImmediateSigning => Approvals.Required == 0 && !Presence.Required;

    /// <summary>Parses and validates a policy document; throws <see cref="DocumentValidationException"/> (InvalidArgument) listing every error.</summary>
    public static KeyPolicy Parse(string json) =>
        TryParse(json, out KeyPolicy? policy, out IReadOnlyList<ValidationError> errors)
            ? policy
            : throw new DocumentValidationException("policy", errors);

    /// <summary>Parses and validates a policy document, collecting every error with its path.</summary>
    public static bool TryParse(string? json, [NotNullWhen(true)] out KeyPolicy? policy, out IReadOnlyList<ValidationError> errors)
    {
        policy = null;
        var v = new JsonValidation();
        using JsonDocument? document = v.ParseDocument(json, "policy");
        if (document is null || !v.CheckObject(document.RootElement, "policy", s_rootFields))
        {
            errors = v.Errors;
            return false;
        }

        JsonElement root = document.RootElement;
        const string P = "policy";
        long? version = v.Integer(root, "version", P, required: true, 1, long.MaxValue);

        KeyName key = default;
        string? keyText = v.String(root, "key", P, required: true);
        if (keyText is not null && !KeyName.TryParse(keyText, out key))
        {
            v.Add("policy.key", $"{JsonValidation.Quote(keyText)} is not a valid key name (1-64 characters a-z, 0-9, '-', '_' or '.', starting with a letter or digit)");
        }

        RiskTier tier = 0;
        string? tierText = v.String(root, "riskTier", P, required: true);
        if (tierText is not null)
        {
            tier = tierText switch { "low" => RiskTier.Low, "high" => RiskTier.High, _ => 0 };
            if (tier == 0)
            {
                v.Add("policy.riskTier", $"{JsonValidation.Quote(tierText)} is not a risk tier (use \"low\" or \"high\")");
            }
        }

        List<CallerPattern> callers = ReadCallers(v, root);
        List<DigestAlgorithm> digests = ReadDigests(v, root);
        TimeSpan expiry = v.Duration(root, "requestExpiry", P, required: false, TimeSpan.FromMinutes(1), TimeSpan.FromDays(30)) ?? DefaultRequestExpiry;
        ApprovalRule approvals = ReadApprovals(v, root, tier);
        PresenceRule presence = ReadPresence(v, root, expiry);
        List<TimeWindow> windows = ReadTimeWindows(v, root);
        List<RateLimit> limits = ReadRateLimits(v, root);
        long maxPending = v.Integer(root, "maxPending", P, required: false, 1, 10_000) ?? DefaultMaxPending;

        errors = v.Errors;
        if (v.HasErrors)
        {
            return false;
        }

        policy = new KeyPolicy
        {
            Version = version!.Value,
            Key = key,
            RiskTier = tier,
            AllowedCallers = callers,
            AllowedDigests = digests,
            Approvals = approvals,
            Presence = presence,
            RequestExpiry = expiry,
            TimeWindows = windows,
            RateLimits = limits,
            MaxPending = (int)maxPending,
        };
        return true;
    }

    /// <summary>
    /// Checks the policy against a roster: the approver group must be able to reach the quorum with distinct
    /// officers (officers sharing a key count once). Returns the problems found (empty when fine).
    /// </summary>
    public IReadOnlyList<ValidationError> ValidateAgainst(Roster roster)
    {
        ArgumentNullException.ThrowIfNull(roster);
        var errors = new List<ValidationError>();
        if (Approvals.Required > 0)
        {
            int distinct = roster.DistinctApprovers(Approvals.Group!);
            if (distinct < Approvals.Required)
            {
                errors.Add(new ValidationError("policy.approvals.required",
                    $"{Approvals.Required} approvals from group \"{Approvals.Group}\" can never be reached: the roster has {distinct} distinct officers in it"));
            }
        }

        return errors;
    }

    /// <summary>The canonical JSON (see <see cref="CanonicalJson"/>), with all defaults explicit, for storage and hashing.</summary>
    public string ToCanonicalJson() => _canonical ??= CanonicalJson.Canonicalize(WriteJson());

    /// <summary>True when both policies have the same canonical JSON.</summary>
    public bool Equals(KeyPolicy? other) => other is not null && ToCanonicalJson() == other.ToCanonicalJson();

    /// <inheritdoc />
    public override bool Equals(object? obj) => Equals(obj as KeyPolicy);

    /// <inheritdoc />
    public override int GetHashCode() => StringComparer.Ordinal.GetHashCode(ToCanonicalJson());

    /// <summary>E.g. <c>policy release v3 (high)</c>.</summary>
    public override string ToString() => $"policy {Key} v{Version} ({(RiskTier == RiskTier.High ? "high" : "low")})";

    private static List<CallerPattern> ReadCallers(JsonValidation v, JsonElement root)
    {
        var callers = new List<CallerPattern>();
        JsonElement? array = v.Array(root, "allowedCallers", "policy", required: true);
        if (array is null)
        {
            return callers;
        }

        if (array.Value.GetArrayLength() == 0)
        {
            v.Add("policy.allowedCallers", "at least one caller pattern is required");
        }

        int index = 0;
        foreach (JsonElement item in array.Value.EnumerateArray())
        {
            string path = JsonValidation.Index("policy.allowedCallers", index++);
            if (!v.CheckObject(item, path, "subject", "san"))
            {
                continue;
            }

            GlobPattern? subject = ReadGlob(v, item, "subject", path);
            GlobPattern? san = ReadGlob(v, item, "san", path);
            if (!JsonValidation.TryGet(item, "subject", out _) && !JsonValidation.TryGet(item, "san", out _))
            {
                v.Add(path, "give \"subject\", \"san\" or both");
            }
            else if (subject is not null || san is not null)
            {
                callers.Add(new CallerPattern(subject, san));
            }
        }

        return callers;
    }

    private static GlobPattern? ReadGlob(JsonValidation v, JsonElement item, string field, string path)
    {
        string? text = v.String(item, field, path, required: false);
        if (text is null)
        {
            return null;
        }

        if (!GlobPattern.TryParse(text, out GlobPattern? glob, out string? error))
        {
            v.Add($"{path}.{field}", $"{JsonValidation.Quote(text)}: {error}");
        }

        return glob;
    }

    private static List<DigestAlgorithm> ReadDigests(JsonValidation v, JsonElement root)
    {
        var digests = new List<DigestAlgorithm>();
        List<(string Value, string Path)>? items = v.StringArray(root, "allowedDigests", "policy", required: true);
        if (items is null)
        {
            return digests;
        }

        if (items.Count == 0)
        {
            v.Add("policy.allowedDigests", "at least one digest algorithm is required (sha256, sha384, sha512)");
        }

        foreach ((string text, string at) in items)
        {
            // Only the canonical spellings: a policy is compared and stored in canonical form.
            if (text is not ("sha256" or "sha384" or "sha512") || !Algorithms.TryParseDigest(text, out DigestAlgorithm digest))
            {
                v.Add(at, $"{JsonValidation.Quote(text)} is not a digest algorithm (use \"sha256\", \"sha384\" or \"sha512\")");
            }
            else if (digests.Contains(digest))
            {
                v.Add(at, $"{JsonValidation.Quote(text)} is listed twice");
            }
            else
            {
                digests.Add(digest);
            }
        }

        digests.Sort();
        return digests;
    }

    private static ApprovalRule ReadApprovals(JsonValidation v, JsonElement root, RiskTier tier)
    {
        const string P = "policy.approvals";
        int required = 0;
        string? group = null;
        TimeSpan validity = DefaultApprovalValidity;
        int denials = 1;
        if (JsonValidation.TryGet(root, "approvals", out JsonElement approvals)
            && v.CheckObject(approvals, P, "required", "group", "validity", "denialsToReject"))
        {
            required = (int)(v.Integer(approvals, "required", P, required: true, 0, MaxApprovals) ?? 0);
            group = v.String(approvals, "group", P, required: required > 0);
            if (group is not null && !RosterNames.IsValid(group))
            {
                v.Add($"{P}.group", $"{JsonValidation.Quote(group)} is not a valid group name ({RosterNames.Rule})");
            }

            validity = v.Duration(approvals, "validity", P, required: false, TimeSpan.FromMinutes(1), TimeSpan.FromDays(30)) ?? DefaultApprovalValidity;
            denials = (int)(v.Integer(approvals, "denialsToReject", P, required: false, 1, MaxApprovals) ?? 1);
            if (required == 0 && group is not null)
            {
                v.Add($"{P}.group", "a group is only meaningful when approvals are required (required is 0)");
            }
        }

        if (tier == RiskTier.High && required == 0)
        {
            v.Add($"{P}.required", "a high-risk key needs at least 1 approval");
        }

        return new ApprovalRule(required, group, validity, denials);
    }

    private static PresenceRule ReadPresence(JsonValidation v, JsonElement root, TimeSpan requestExpiry)
    {
        const string P = "policy.presence";
        if (!JsonValidation.TryGet(root, "presence", out JsonElement presence) || !v.CheckObject(presence, P, "required", "window"))
        {
            return new PresenceRule(false, DefaultPresenceWindow);
        }

        bool required = v.Boolean(presence, "required", P, required: true) ?? false;
        TimeSpan window = v.Duration(presence, "window", P, required: false, TimeSpan.FromSeconds(5), TimeSpan.FromHours(1)) ?? DefaultPresenceWindow;
        if (window > requestExpiry)
        {
            v.Add($"{P}.window", $"the presence window ({DurationText.Format(window)}) is longer than the request expiry ({DurationText.Format(requestExpiry)})");
        }

        return new PresenceRule(required, window);
    }

    private static List<TimeWindow> ReadTimeWindows(JsonValidation v, JsonElement root)
    {
        var windows = new List<TimeWindow>();
        JsonElement? array = v.Array(root, "timeWindows", "policy", required: false);
        if (array is null)
        {
            return windows;
        }

        int index = 0;
        foreach (JsonElement item in array.Value.EnumerateArray())
        {
            string path = JsonValidation.Index("policy.timeWindows", index++);
            if (!v.CheckObject(item, path, "days", "from", "to", "timeZone"))
            {
                continue;
            }

            int before = v.Errors.Count;
            var days = new List<DayOfWeek>();
            List<(string Value, string Path)>? dayItems = v.StringArray(item, "days", path, required: true);
            if (dayItems is not null && dayItems.Count == 0)
            {
                v.Add($"{path}.days", "at least one day is required");
            }

            foreach ((string text, string at) in dayItems ?? [])
            {
                int day = System.Array.IndexOf(TimeWindow.DayNames, text);
                if (day < 0)
                {
                    v.Add(at, $"{JsonValidation.Quote(text)} is not a day (use mon, tue, wed, thu, fri, sat, sun)");
                }
                else if (days.Contains((DayOfWeek)day))
                {
                    v.Add(at, $"{JsonValidation.Quote(text)} is listed twice");
                }
                else
                {
                    days.Add((DayOfWeek)day);
                }
            }

            TimeSpan from = ReadTime(v, item, "from", path, allow24: false);
            TimeSpan to = ReadTime(v, item, "to", path, allow24: true);
            if (v.Errors.Count == before && from == to)
            {
                v.Add($"{path}.to", "a window cannot start and end at the same time");
            }

            TimeZoneInfo? zone = null;
            string? zoneText = v.String(item, "timeZone", path, required: true);
            if (zoneText is not null)
            {
                try
                {
                    zone = TimeZoneInfo.FindSystemTimeZoneById(zoneText);
                }
                catch (Exception e) when (e is TimeZoneNotFoundException or InvalidTimeZoneException)
                {
                    v.Add($"{path}.timeZone", $"{JsonValidation.Quote(zoneText)} is not a known IANA time zone (e.g. \"Europe/Berlin\", \"UTC\")");
                }
            }

            if (v.Errors.Count == before && zone is not null)
            {
                windows.Add(new TimeWindow(days, from, to, zone));
            }
        }

        return windows;
    }

    private static TimeSpan ReadTime(JsonValidation v, JsonElement item, string field, string path, bool allow24)
    {
        string? text = v.String(item, field, path, required: true);
        if (text is null)
        {
            return TimeSpan.Zero;
        }

        if (!TimeWindow.TryParseTime(text, allow24, out TimeSpan time))
        {
            v.Add($"{path}.{field}", $"{JsonValidation.Quote(text)} is not a time of day (use \"HH:MM\", 00:00 to {(allow24 ? "24:00" : "23:59")})");
        }

        return time;
    }

    private static List<RateLimit> ReadRateLimits(JsonValidation v, JsonElement root)
    {
        var limits = new List<RateLimit>();
        JsonElement? array = v.Array(root, "rateLimits", "policy", required: false);
        if (array is null)
        {
            return limits;
        }

        int index = 0;
        foreach (JsonElement item in array.Value.EnumerateArray())
        {
            string path = JsonValidation.Index("policy.rateLimits", index++);
            if (!v.CheckObject(item, path, "scope", "count", "window"))
            {
                continue;
            }

            int before = v.Errors.Count;
            string? scopeText = v.String(item, "scope", path, required: true);
            RateLimitScope scope = scopeText switch { "caller" => RateLimitScope.Caller, "key" => RateLimitScope.Key, _ => 0 };
            if (scopeText is not null && scope == 0)
            {
                v.Add($"{path}.scope", $"{JsonValidation.Quote(scopeText)} is not a scope (use \"caller\" or \"key\")");
            }

            long? count = v.Integer(item, "count", path, required: true, 1, 1_000_000);
            TimeSpan? window = v.Duration(item, "window", path, required: true, TimeSpan.FromSeconds(1), TimeSpan.FromDays(366));
            if (v.Errors.Count == before)
            {
                limits.Add(new RateLimit(scope, (int)count!.Value, window!.Value));
            }
        }

        return limits;
    }

    private string WriteJson()
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteNumber("version", Version);
            w.WriteString("key", Key.Value);
            w.WriteString("riskTier", RiskTier == RiskTier.High ? "high" : "low");
            w.WriteStartArray("allowedCallers");
            foreach (CallerPattern caller in AllowedCallers)
            {
                w.WriteStartObject();
                if (caller.Subject is not null)
                {
                    w.WriteString("subject", caller.Subject.Pattern);
                }

                if (caller.San is not null)
                {
                    w.WriteString("san", caller.San.Pattern);
                }

                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteStartArray("allowedDigests");
            AllowedDigests.Select(Algorithms.Name).ToList().ForEach(w.WriteStringValue);
            w.WriteEndArray();
            w.WriteStartObject("approvals");
            w.WriteNumber("required", Approvals.Required);
            if (Approvals.Group is not null)
            {
                w.WriteString("group", Approvals.Group);
            }

            w.WriteString("validity", DurationText.Format(Approvals.Validity));
            w.WriteNumber("denialsToReject", Approvals.DenialsToReject);
            w.WriteEndObject();
            w.WriteStartObject("presence");
            w.WriteBoolean("required", Presence.Required);
            w.WriteString("window", DurationText.Format(Presence.Window));
            w.WriteEndObject();
            w.WriteString("requestExpiry", DurationText.Format(RequestExpiry));
            w.WriteStartArray("timeWindows");
            foreach (TimeWindow window in TimeWindows)
            {
                w.WriteStartObject();
                w.WriteStartArray("days");
                window.Days.Select(d => TimeWindow.DayNames[(int)d]).ToList().ForEach(w.WriteStringValue);
                w.WriteEndArray();
                w.WriteString("from", TimeWindow.FormatTime(window.From));
                w.WriteString("to", TimeWindow.FormatTime(window.To));
                w.WriteString("timeZone", window.TimeZone.Id);
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteStartArray("rateLimits");
            foreach (RateLimit limit in RateLimits)
            {
                w.WriteStartObject();
                w.WriteString("scope", limit.Scope == RateLimitScope.Caller ? "caller" : "key");
                w.WriteNumber("count", limit.Count);
                w.WriteString("window", DurationText.Format(limit.Window));
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteNumber("maxPending", MaxPending);
            w.WriteEndObject();
        }

        return System.Text.Encoding.UTF8.GetString(buffer.ToArray());
    }
}
