// SPDX-License-Identifier: Apache-2.0
namespace KeyCustody.Governance;

/// <summary>One earlier request for a key, as the rate limiter needs it.</summary>
/// <param name="SubmittedAt">When it was submitted.</param>
/// <param name="Caller">The submitting caller's certificate subject.</param>
public readonly record struct RequestHistoryEntry(DateTimeOffset SubmittedAt, string Caller);

/// <summary>The outcome of a rate-limit check.</summary>
/// <param name="Allowed">True when every limit has room for one more request.</param>
/// <param name="Exceeded">The binding limit when not allowed (the one that frees up last).</param>
/// <param name="ExceededIndex">Its index in the policy's <c>rateLimits</c>.</param>
/// <param name="RetryAt">When a new request would be allowed, assuming no other requests arrive.</param>
public sealed record RateLimitDecision(bool Allowed, RateLimit? Exceeded, int? ExceededIndex, DateTimeOffset? RetryAt)
{
    /// <summary>The decision that allows the request.</summary>
    public static RateLimitDecision Allow { get; } = new(true, null, null, null);
}

/// <summary>
/// Sliding-window rate limits as a pure function over the recent submission times the daemon has persisted
/// anyway (every request is stored): a request at <c>now</c> is allowed when, for every limit, fewer than
/// <c>Count</c> earlier requests in its scope were submitted in <c>(now - Window, now]</c>. No counter state
/// exists to persist, lose or roll back. Callers pass at least <see cref="LongestWindow"/> of history.
/// </summary>
public static class RateLimiter
{
    /// <summary>How far back the history must reach to evaluate <paramref name="limits"/>.</summary>
    public static TimeSpan LongestWindow(IReadOnlyList<RateLimit> limits) =>
        limits.Count == 0 ? TimeSpan.Zero : limits.Max(l => l.Window);

    /// <summary>Evaluates every limit for one more request by <paramref name="caller"/> at <paramref name="now"/>.</summary>
    /// <param name="limits">The key policy's limits.</param>
    /// <param name="caller">The submitting caller's certificate subject.</param>
    /// <param name="history">Earlier requests for the same key (any state, any caller).</param>
    /// <param name="now">The submission time.</param>
    public static RateLimitDecision Evaluate(IReadOnlyList<RateLimit> limits, string caller, IEnumerable<RequestHistoryEntry> history, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(limits);
        ArgumentNullException.ThrowIfNull(history);
        if (limits.Count == 0)
        {
            return RateLimitDecision.Allow;
        }

        RequestHistoryEntry[] entries = history.ToArray();
        RateLimitDecision? worst = null;
        for (int i = 0; i < limits.Count; i++)
        {
            RateLimit limit = limits[i];
            DateTimeOffset windowStart = now - limit.Window;

            // Entries stamped after now (clock skew between restarts) still count: fail closed.
            List<DateTimeOffset> inWindow = entries
                .Where(e => e.SubmittedAt > windowStart && (limit.Scope == RateLimitScope.Key || string.Equals(e.Caller, caller, StringComparison.Ordinal)))
                .Select(e => e.SubmittedAt)
                .Order()
                .ToList();
            if (inWindow.Count < limit.Count)
            {
                continue;
            }

            // Room returns when enough of the oldest entries have slid out: the (n - Count)th oldest leaves last.
            DateTimeOffset retryAt = inWindow[inWindow.Count - limit.Count] + limit.Window;
            if (worst is null || retryAt > worst.RetryAt)
            {
                worst = new RateLimitDecision(false, limit, i, retryAt);
            }
        }

        return worst ?? RateLimitDecision.Allow;
    }
}
