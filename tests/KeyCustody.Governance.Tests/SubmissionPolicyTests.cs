// SPDX-License-Identifier: Apache-2.0
using System.Text.Json.Nodes;
using KeyCustody.Core;
using Xunit;

namespace KeyCustody.Governance.Tests;

public sealed class SubmissionPolicyTests
{
    // Wednesday 2025-01-15 10:00 Berlin (09:00Z): inside the baseline policy's office hours.
    private static readonly DateTimeOffset s_officeHours = new(2025, 1, 15, 9, 0, 0, TimeSpan.Zero);
    private static readonly KeyPolicy s_policy = KeyPolicy.Parse(PolicyDocuments.HighRisk);
    private static readonly CallerIdentity s_ci = new("CN=ci-release,O=Example");

    private static SubmissionContext Context(CallerIdentity? caller = null, DigestAlgorithm algorithm = DigestAlgorithm.Sha256,
        int? digestLength = null, DateTimeOffset? now = null, IReadOnlyList<RequestHistoryEntry>? history = null, int pending = 0) =>
        new(caller ?? s_ci, KeyName.Parse("release"), algorithm, new byte[digestLength ?? Algorithms.DigestLength(algorithm)],
            now ?? s_officeHours, history ?? [], pending);

    [Fact]
    public void Enforce_EverythingInOrder_DoesNotThrow()
    {
        // Act
        Exception? thrown = Record.Exception(() => SubmissionPolicy.Enforce(s_policy, Context()));

        // Assert
        Assert.Null(thrown);
    }

    [Fact]
    public void Enforce_CallerBySanOnly_Allowed()
    {
        // Arrange
        var caller = new CallerIdentity("CN=runner-7", ["dns:runner-7.example.org", "spiffe://example.org/ci/release"]);

        // Act
        bool allowed = SubmissionPolicy.IsCallerAllowed(s_policy, caller);

        // Assert
        Assert.True(allowed);
    }

    [Fact]
    public void IsCallerAllowed_SubjectAndSanBothGiven_BothMustMatch()
    {
        // Arrange
        KeyPolicy policy = KeyPolicy.Parse(PolicyDocuments.With(p =>
            p["allowedCallers"] = new JsonArray(new JsonObject { ["subject"] = "CN=ci-*", ["san"] = "spiffe://example.org/*" })));

        // Act
        bool both = SubmissionPolicy.IsCallerAllowed(policy, new CallerIdentity("CN=ci-a", ["spiffe://example.org/a"]));
        bool subjectOnly = SubmissionPolicy.IsCallerAllowed(policy, new CallerIdentity("CN=ci-a", ["spiffe://evil.org/a"]));
        bool sanOnly = SubmissionPolicy.IsCallerAllowed(policy, new CallerIdentity("CN=other", ["spiffe://example.org/a"]));

        // Assert
        Assert.True(both);
        Assert.False(subjectOnly);
        Assert.False(sanOnly);
    }

    [Fact]
    public void Enforce_WrongDigestLength_InvalidArgument()
    {
        // Act
        var e = Assert.Throws<CustodyException>(() => SubmissionPolicy.Enforce(s_policy, Context(digestLength: 20)));

        // Assert
        Assert.Equal(CustodyStatus.InvalidArgument, e.Status);
        Assert.Equal("A sha256 digest is 32 bytes, but 20 were sent.", e.Message);
    }

    [Fact]
    public void Enforce_UnknownCaller_PermissionDenied()
    {
        // Act
        var e = Assert.Throws<CustodyException>(() => SubmissionPolicy.Enforce(s_policy, Context(caller: new CallerIdentity("CN=laptop,O=Example"))));

        // Assert
        Assert.Equal(CustodyStatus.PermissionDenied, e.Status);
        Assert.Equal("Caller 'CN=laptop,O=Example' is not allowed to request signatures with key 'release' (policy v3).", e.Message);
    }

    [Fact]
    public void Enforce_DigestAlgorithmNotAllowed_PermissionDenied()
    {
        // Act
        var e = Assert.Throws<CustodyException>(() => SubmissionPolicy.Enforce(s_policy, Context(algorithm: DigestAlgorithm.Sha384)));

        // Assert
        Assert.Equal(CustodyStatus.PermissionDenied, e.Status);
        Assert.Equal("Key 'release' does not accept sha384 digests; use sha256 or sha512.", e.Message);
    }

    [Fact]
    public void Enforce_OutsideTimeWindow_PermissionDeniedNamingWindow()
    {
        // Arrange: Wednesday 18:30 in Berlin.
        var evening = new DateTimeOffset(2025, 1, 15, 17, 30, 0, TimeSpan.Zero);

        // Act
        var e = Assert.Throws<CustodyException>(() => SubmissionPolicy.Enforce(s_policy, Context(now: evening)));

        // Assert
        Assert.Equal(CustodyStatus.PermissionDenied, e.Status);
        Assert.Equal("Key 'release' may only be used during mon,tue,wed,thu,fri 09:00-17:00 Europe/Berlin.", e.Message);
    }

    [Fact]
    public void Enforce_TooManyPending_RateLimited()
    {
        // Act
        var e = Assert.Throws<CustodyException>(() => SubmissionPolicy.Enforce(s_policy, Context(pending: 5)));

        // Assert
        Assert.Equal(CustodyStatus.RateLimited, e.Status);
        Assert.True(e.IsTransient);
        Assert.Contains("already has 5 pending requests (the policy allows 5)", e.Message);
    }

    [Fact]
    public void Enforce_RateLimitReached_RateLimitedWithRetryTime()
    {
        // Arrange: ten requests by this caller in the last hour.
        RequestHistoryEntry[] history = Enumerable.Range(1, 10)
            .Select(i => new RequestHistoryEntry(s_officeHours.AddMinutes(-5 * i), s_ci.Subject)).ToArray();

        // Act
        var e = Assert.Throws<CustodyException>(() => SubmissionPolicy.Enforce(s_policy, Context(history: history)));

        // Assert: the oldest (50 minutes ago) leaves the window in 10 minutes.
        Assert.Equal(CustodyStatus.RateLimited, e.Status);
        Assert.Equal("Rate limit policy.rateLimits[0] (10 per 1h per caller) reached for key 'release'; retry after 2025-01-15T09:10:00Z.", e.Message);
    }

    [Fact]
    public void Enforce_PolicyForOtherKey_ArgumentException()
    {
        // Arrange
        SubmissionContext context = Context() with { Key = KeyName.Parse("nightly") };

        // Act & Assert
        Assert.Throws<ArgumentException>(() => SubmissionPolicy.Enforce(s_policy, context));
    }
}
