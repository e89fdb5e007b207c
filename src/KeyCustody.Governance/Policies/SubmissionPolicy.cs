// SPDX-License-Identifier: Apache-2.0
using System.Globalization;
using KeyCustody.Core;

namespace KeyCustody.Governance;

/// <summary>Everything the submission checks need about one new request.</summary>
/// <param name="Caller">The authenticated caller.</param>
/// <param name="Key">The key asked for.</param>
/// <param name="DigestAlgorithm">The digest algorithm the caller used.</param>
/// <param name="Digest">The digest value.</param>
/// <param name="Now">The submission time.</param>
/// <param name="History">Earlier requests for this key reaching back at least <see cref="RateLimiter.LongestWindow"/>.</param>
/// <param name="PendingCount">Requests for this key that are not yet terminal.</param>
public sealed record SubmissionContext(
    CallerIdentity Caller,
    KeyName Key,
    DigestAlgorithm DigestAlgorithm,
    ReadOnlyMemory<byte> Digest,
    DateTimeOffset Now,
    IReadOnlyList<RequestHistoryEntry> History,
    int PendingCount);

/// <summary>
/// The checks a signing request must pass before it is accepted (architecture step 1), in this order:
/// well-formed digest (InvalidArgument), caller allowed (PermissionDenied), digest algorithm allowed
/// (PermissionDenied), inside a time window (PermissionDenied), below the pending maximum (RateLimited),
/// within every rate limit (RateLimited).
/// </summary>
public static class SubmissionPolicy
{
    /// <summary>True when <paramref name="caller"/> matches one of the policy's allowed callers.</summary>
    public static bool IsCallerAllowed(KeyPolicy policy, CallerIdentity caller) =>
        policy.AllowedCallers.Any(pattern => pattern.Matches(caller));

    /// <summary>True when the policy has no time windows or <paramref name="instant"/> is inside one.</summary>
    public static bool IsWithinTimeWindows(KeyPolicy policy, DateTimeOffset instant) =>
        policy.TimeWindows.Count == 0 || policy.TimeWindows.Any(window => window.Contains(instant));

    /// <summary>Runs every check; throws <see cref="CustodyException"/> for the first that fails.</summary>
    public static void Enforce(KeyPolicy policy, SubmissionContext context)
    {
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(context);
        if (context.Key != policy.Key)
        {
            throw new ArgumentException($"The policy governs key '{policy.Key}', not '{context.Key}'.", nameof(context));
        }

        int expectedLength = Algorithms.DigestLength(context.DigestAlgorithm);
        if (context.Digest.Length != expectedLength)
        {
            throw new CustodyException(CustodyStatus.InvalidArgument,
                $"A {Algorithms.Name(context.DigestAlgorithm)} digest is {expectedLength} bytes, but {context.Digest.Length} were sent.");
        }

        if (!IsCallerAllowed(policy, context.Caller))
        {
            throw new CustodyException(CustodyStatus.PermissionDenied,
                $"Caller '{context.Caller.Subject}' is not allowed to request signatures with key '{policy.Key}' (policy v{policy.Version}).");
        }

        if (!policy.AllowedDigests.Contains(context.DigestAlgorithm))
        {
            throw new CustodyException(CustodyStatus.PermissionDenied,
                $"Key '{policy.Key}' does not accept {Algorithms.Name(context.DigestAlgorithm)} digests; use {string.Join(" or ", policy.AllowedDigests.Select(Algorithms.Name))}.");
        }

        if (!IsWithinTimeWindows(policy, context.Now))
        {
            throw new CustodyException(CustodyStatus.PermissionDenied,
                $"Key '{policy.Key}' may only be used during {string.Join("; ", policy.TimeWindows)}.");
        }

        if (context.PendingCount >= policy.MaxPending)
        {
            throw new CustodyException(CustodyStatus.RateLimited,
                $"Key '{policy.Key}' already has {context.PendingCount} pending requests (the policy allows {policy.MaxPending}); wait for some to finish.");
        }

        RateLimitDecision decision = RateLimiter.Evaluate(policy.RateLimits, context.Caller.Subject, context.History, context.Now);
        if (!decision.Allowed)
        {
            throw new CustodyException(CustodyStatus.RateLimited,
                $"Rate limit policy.rateLimits[{decision.ExceededIndex}] ({decision.Exceeded}) reached for key '{policy.Key}'; retry after "
                + decision.RetryAt!.Value.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture) + ".");
        }
    }
}
