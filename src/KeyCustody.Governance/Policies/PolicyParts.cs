// SPDX-License-Identifier: Apache-2.0
using System.Globalization;

namespace KeyCustody.Governance;

/// <summary>How much harm a misuse of the key could do; decides how strict the policy must be.</summary>
public enum RiskTier
{
    /// <summary>Low risk: may sign without approvals (e.g. nightly builds).</summary>
    Low = 1,
    /// <summary>High risk: needs at least one officer approval (e.g. release keys).</summary>
    High = 2,
}

/// <summary>
/// One allowed caller: a glob over the certificate subject and/or a glob over its subject alternative names.
/// When both are given, both must match (the SAN pattern against any one SAN).
/// </summary>
/// <param name="Subject">Pattern for the certificate subject, or null for any subject.</param>
/// <param name="San">Pattern for one of the SANs, or null for any SANs.</param>
public sealed record CallerPattern(GlobPattern? Subject, GlobPattern? San)
{
    /// <summary>True when <paramref name="caller"/> matches this entry.</summary>
    public bool Matches(CallerIdentity caller) =>
        (Subject is null || Subject.IsMatch(caller.Subject))
        && (San is null || caller.SubjectAlternativeNames.Any(San.IsMatch));
}

/// <summary>The officer quorum a request needs.</summary>
/// <param name="Required">M: distinct approvals needed (0 = none).</param>
/// <param name="Group">G: the officer group that may approve or deny; null when <paramref name="Required"/> is 0.</param>
/// <param name="Validity">How long an approval counts from when its statement was issued (the statement's expiry).</param>
/// <param name="DenialsToReject">How many denials from the group end the request (1 = a single denial).</param>
public sealed record ApprovalRule(int Required, string? Group, TimeSpan Validity, int DenialsToReject);

/// <summary>Whether the presence button must be pressed after quorum, and how long one press is awaited.</summary>
/// <param name="Required">True when a press is needed before signing.</param>
/// <param name="Window">How long a request owns the button before it goes back to the end of the queue.</param>
public sealed record PresenceRule(bool Required, TimeSpan Window);

/// <summary>What a rate limit counts.</summary>
public enum RateLimitScope
{
    /// <summary>Requests for this key by the same caller (certificate subject).</summary>
    Caller = 1,
    /// <summary>Requests for this key by all callers together.</summary>
    Key = 2,
}

/// <summary>At most <paramref name="Count"/> requests in any sliding <paramref name="Window"/>.</summary>
/// <param name="Scope">Per caller or per key.</param>
/// <param name="Count">The most requests allowed in the window.</param>
/// <param name="Window">The sliding window's length.</param>
public sealed record RateLimit(RateLimitScope Scope, int Count, TimeSpan Window)
{
    /// <summary>E.g. <c>10 per 1h per caller</c>.</summary>
    public override string ToString() =>
        $"{Count} per {DurationText.Format(Window)} per {(Scope == RateLimitScope.Caller ? "caller" : "key")}";
}

/// <summary>
/// A weekly time window in an IANA time zone: on each listed day, from <see cref="From"/> (inclusive) to
/// <see cref="To"/> (exclusive) local wall-clock time. When <see cref="To"/> is not after <see cref="From"/>
/// the window runs past midnight into the next day ("fri 22:00-06:00" ends Saturday 06:00). Local time follows
/// the zone's DST rules: an instant is converted to local time, then compared.
/// </summary>
public sealed record TimeWindow
{
    internal static readonly string[] DayNames = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];

    /// <summary>Creates a window; <paramref name="to"/> may be 24:00.</summary>
    public TimeWindow(IEnumerable<DayOfWeek> days, TimeSpan from, TimeSpan to, TimeZoneInfo timeZone)
    {
        Days = days.Distinct().Order().ToArray();
        if (Days.Count == 0)
        {
            throw new ArgumentException("A time window needs at least one day.", nameof(days));
        }

        if (from < TimeSpan.Zero || from >= TimeSpan.FromDays(1) || to <= TimeSpan.Zero || to > TimeSpan.FromDays(1) || from == to)
        {
            throw new ArgumentException("A time window needs 00:00 <= from < 24:00, 00:00 < to <= 24:00 and from != to.", nameof(from));
        }

        From = from;
        To = to;
        TimeZone = timeZone;
    }

    /// <summary>The days the window opens on.</summary>
    public IReadOnlyList<DayOfWeek> Days { get; }

    /// <summary>Local opening time.</summary>
    public TimeSpan From { get; }

    /// <summary>Local closing time (exclusive); may be 24:00, or earlier than <see cref="From"/> for overnight windows.</summary>
    public TimeSpan To { get; }

    /// <summary>The zone the times are in.</summary>
    public TimeZoneInfo TimeZone { get; }

    /// <summary>True when <paramref name="instant"/> falls inside the window.</summary>
    public bool Contains(DateTimeOffset instant)
    {
        DateTime local = TimeZoneInfo.ConvertTime(instant, TimeZone).DateTime;
        TimeSpan timeOfDay = local.TimeOfDay;
        if (From < To)
        {
            return Days.Contains(local.DayOfWeek) && timeOfDay >= From && timeOfDay < To;
        }

        // Overnight: the evening part belongs to the listed day, the morning part to the day after it.
        DayOfWeek previous = (DayOfWeek)(((int)local.DayOfWeek + 6) % 7);
        return (Days.Contains(local.DayOfWeek) && timeOfDay >= From) || (Days.Contains(previous) && timeOfDay < To);
    }

    /// <summary>E.g. <c>mon,tue 09:00-17:00 Europe/Berlin</c>.</summary>
    public override string ToString() =>
        $"{string.Join(',', Days.Select(d => DayNames[(int)d]))} {FormatTime(From)}-{FormatTime(To)} {TimeZone.Id}";

    /// <inheritdoc />
    public bool Equals(TimeWindow? other) => other is not null && ToString() == other.ToString();

    /// <inheritdoc />
    public override int GetHashCode() => StringComparer.Ordinal.GetHashCode(ToString());

    internal static string FormatTime(TimeSpan time) =>
        time == TimeSpan.FromDays(1) ? "24:00" : time.ToString(@"hh\:mm", CultureInfo.InvariantCulture);

    internal static bool TryParseTime(string text, bool allow24, out TimeSpan time)
    {
        time = default;
        if (text.Length != 5 || text[2] != ':' || !char.IsAsciiDigit(text[0]) || !char.IsAsciiDigit(text[1])
            || !char.IsAsciiDigit(text[3]) || !char.IsAsciiDigit(text[4]))
        {
            return false;
        }

        int hours = (text[0] - '0') * 10 + (text[1] - '0');
        int minutes = (text[3] - '0') * 10 + (text[4] - '0');
        if (minutes > 59 || hours > 24 || (hours == 24 && (minutes != 0 || !allow24)))
        {
            return false;
        }

        time = new TimeSpan(hours, minutes, 0);
        return true;
    }
}
