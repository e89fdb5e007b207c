// SPDX-License-Identifier: Apache-2.0
using Xunit;

namespace KeyCustody.Governance.Tests;

public sealed class RateLimiterTests
{
    private static readonly DateTimeOffset s_now = new(2025, 3, 3, 12, 0, 0, TimeSpan.Zero);

    private static readonly RateLimit[] s_limits =
    [
        new(RateLimitScope.Caller, 3, TimeSpan.FromHours(1)),
        new(RateLimitScope.Key, 5, TimeSpan.FromDays(1)),
    ];

    private static RequestHistoryEntry At(double minutesAgo, string caller = "CN=ci-a") => new(s_now.AddMinutes(-minutesAgo), caller);

    [Fact]
    public void Evaluate_NoLimits_Allowed()
    {
        // Act
        RateLimitDecision decision = RateLimiter.Evaluate([], "CN=ci-a", [At(1), At(2)], s_now);

        // Assert
        Assert.True(decision.Allowed);
    }

    [Fact]
    public void Evaluate_BelowEveryLimit_Allowed()
    {
        // Act
        RateLimitDecision decision = RateLimiter.Evaluate(s_limits, "CN=ci-a", [At(10), At(20), At(120, "CN=ci-b")], s_now);

        // Assert
        Assert.True(decision.Allowed);
        Assert.Null(decision.Exceeded);
    }

    [Fact]
    public void Evaluate_CallerHourlyLimitReached_DeniedWithRetryWhenOldestLeaves()
    {
        // Arrange
        RequestHistoryEntry[] history = [At(50), At(10), At(30)];

        // Act
        RateLimitDecision decision = RateLimiter.Evaluate(s_limits, "CN=ci-a", history, s_now);

        // Assert
        Assert.False(decision.Allowed);
        Assert.Equal(0, decision.ExceededIndex);
        Assert.Equal(s_limits[0], decision.Exceeded);
        Assert.Equal(s_now.AddMinutes(10), decision.RetryAt);
    }

    [Fact]
    public void Evaluate_OtherCallersDoNotCountForCallerScope_ButDoForKeyScope()
    {
        // Arrange: three from ci-b in the hour, two from ci-a earlier in the day = 5 for the key.
        RequestHistoryEntry[] history = [At(5, "CN=ci-b"), At(6, "CN=ci-b"), At(7, "CN=ci-b"), At(300), At(600)];

        // Act
        RateLimitDecision forA = RateLimiter.Evaluate(s_limits, "CN=ci-a", history, s_now);
        RateLimitDecision forC = RateLimiter.Evaluate(s_limits, "CN=ci-c", history.Take(4), s_now);

        // Assert: ci-a is fine per caller but the key's daily limit of 5 is reached; it frees when the oldest leaves.
        Assert.False(forA.Allowed);
        Assert.Equal(1, forA.ExceededIndex);
        Assert.Equal(s_now.AddMinutes(-600).AddDays(1), forA.RetryAt);
        Assert.True(forC.Allowed);
    }

    [Fact]
    public void Evaluate_BothLimitsExceeded_ReportsTheOneThatFreesLast()
    {
        // Arrange: 3 in the last hour by ci-a and 5 in the day.
        RequestHistoryEntry[] history = [At(1), At(2), At(3), At(100), At(200)];

        // Act
        RateLimitDecision decision = RateLimiter.Evaluate(s_limits, "CN=ci-a", history, s_now);

        // Assert: the hourly frees at now+57m, the daily at now-200m+1d; the later one binds.
        Assert.False(decision.Allowed);
        Assert.Equal(1, decision.ExceededIndex);
        Assert.Equal(s_now.AddMinutes(-200).AddDays(1), decision.RetryAt);
    }

    [Fact]
    public void Evaluate_EntryExactlyOneWindowOld_HasLeftTheWindow()
    {
        // Arrange
        RequestHistoryEntry[] history = [At(60), At(30), At(20)];

        // Act
        RateLimitDecision decision = RateLimiter.Evaluate(s_limits, "CN=ci-a", history, s_now);

        // Assert
        Assert.True(decision.Allowed);
    }

    [Fact]
    public void Evaluate_SlidingNotFixed_CountsAcrossHourBoundary()
    {
        // Arrange: 11:40, 11:50 and 12:00 (now-0) are within one sliding hour though they straddle the 12:00 mark.
        var limits = new[] { new RateLimit(RateLimitScope.Caller, 2, TimeSpan.FromHours(1)) };
        RequestHistoryEntry[] history = [At(20), At(10)];

        // Act
        RateLimitDecision decision = RateLimiter.Evaluate(limits, "CN=ci-a", history, s_now.AddMinutes(5));

        // Assert
        Assert.False(decision.Allowed);
        Assert.Equal(s_now.AddMinutes(-20).AddHours(1), decision.RetryAt);
    }

    [Fact]
    public void Evaluate_FutureStampedEntries_StillCount()
    {
        // Arrange: after a clock step backwards, stored entries can look like they are in the future.
        var limits = new[] { new RateLimit(RateLimitScope.Key, 1, TimeSpan.FromMinutes(5)) };

        // Act
        RateLimitDecision decision = RateLimiter.Evaluate(limits, "CN=ci-a", [At(-3)], s_now);

        // Assert
        Assert.False(decision.Allowed);
    }

    [Fact]
    public void LongestWindow_SeveralOrNone_MaxOrZero()
    {
        // Act & Assert
        Assert.Equal(TimeSpan.FromDays(1), RateLimiter.LongestWindow(s_limits));
        Assert.Equal(TimeSpan.Zero, RateLimiter.LongestWindow([]));
    }
}
