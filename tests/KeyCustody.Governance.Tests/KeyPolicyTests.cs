// SPDX-License-Identifier: Apache-2.0
using System.Text.Json.Nodes;
using KeyCustody.Core;
using Xunit;

namespace KeyCustody.Governance.Tests;

public sealed class KeyPolicyTests
{
    [Fact]
    public void Parse_FullDocument_ReadsEveryField()
    {
        // Act
        KeyPolicy policy = KeyPolicy.Parse(PolicyDocuments.HighRisk);

        // Assert
        Assert.Equal(3, policy.Version);
        Assert.Equal("release", policy.Key.Value);
        Assert.Equal(RiskTier.High, policy.RiskTier);
        Assert.Equal(2, policy.AllowedCallers.Count);
        Assert.Equal("CN=ci-*,O=Example", policy.AllowedCallers[0].Subject!.Pattern);
        Assert.Null(policy.AllowedCallers[0].San);
        Assert.Equal("spiffe://example.org/ci/*", policy.AllowedCallers[1].San!.Pattern);
        Assert.Equal([DigestAlgorithm.Sha256, DigestAlgorithm.Sha512], policy.AllowedDigests);
        Assert.Equal(new ApprovalRule(2, "release-officers", TimeSpan.FromHours(1), 1), policy.Approvals);
        Assert.Equal(new PresenceRule(true, TimeSpan.FromMinutes(2)), policy.Presence);
        Assert.Equal(TimeSpan.FromHours(24), policy.RequestExpiry);
        TimeWindow window = Assert.Single(policy.TimeWindows);
        Assert.Equal([DayOfWeek.Monday, DayOfWeek.Tuesday, DayOfWeek.Wednesday, DayOfWeek.Thursday, DayOfWeek.Friday], window.Days);
        Assert.Equal(TimeSpan.FromHours(9), window.From);
        Assert.Equal(TimeSpan.FromHours(17), window.To);
        Assert.Equal("Europe/Berlin", window.TimeZone.Id);
        Assert.Equal([new RateLimit(RateLimitScope.Caller, 10, TimeSpan.FromHours(1)), new RateLimit(RateLimitScope.Key, 50, TimeSpan.FromDays(1))], policy.RateLimits);
        Assert.Equal(5, policy.MaxPending);
        Assert.False(policy.AllowsImmediateSigning);
    }

    [Fact]
    public void Parse_MinimalLowRisk_AppliesDefaults()
    {
        // Act
        KeyPolicy policy = KeyPolicy.Parse(PolicyDocuments.LowRiskMinimal);

        // Assert
        Assert.Equal(RiskTier.Low, policy.RiskTier);
        Assert.Equal(new ApprovalRule(0, null, KeyPolicy.DefaultApprovalValidity, 1), policy.Approvals);
        Assert.Equal(new PresenceRule(false, KeyPolicy.DefaultPresenceWindow), policy.Presence);
        Assert.Equal(KeyPolicy.DefaultRequestExpiry, policy.RequestExpiry);
        Assert.Empty(policy.TimeWindows);
        Assert.Empty(policy.RateLimits);
        Assert.Equal(KeyPolicy.DefaultMaxPending, policy.MaxPending);
        Assert.True(policy.AllowsImmediateSigning);
    }

    [Fact]
    public void ToCanonicalJson_ParsedBack_IsEqualAndByteIdentical()
    {
        // Arrange
        KeyPolicy policy = KeyPolicy.Parse(PolicyDocuments.HighRisk);

        // Act
        string canonical = policy.ToCanonicalJson();
        KeyPolicy again = KeyPolicy.Parse(canonical);

        // Assert
        Assert.Equal(policy, again);
        Assert.Equal(canonical, again.ToCanonicalJson());
        Assert.DoesNotContain(" ", canonical.Replace("CN=ci-*,O=Example", string.Empty));
        Assert.StartsWith("{\"allowedCallers\":[{\"subject\":\"CN=ci-*,O=Example\"},{\"san\":\"spiffe://example.org/ci/*\"}],\"allowedDigests\":[\"sha256\",\"sha512\"],", canonical);
        Assert.Contains("\"approvals\":{\"denialsToReject\":1,\"group\":\"release-officers\",\"required\":2,\"validity\":\"1h\"}", canonical);
    }

    [Fact]
    public void ToCanonicalJson_DefaultsMadeExplicit()
    {
        // Act
        string canonical = KeyPolicy.Parse(PolicyDocuments.LowRiskMinimal).ToCanonicalJson();

        // Assert
        Assert.Equal(
            "{\"allowedCallers\":[{\"subject\":\"CN=nightly\"}],\"allowedDigests\":[\"sha256\"],"
            + "\"approvals\":{\"denialsToReject\":1,\"required\":0,\"validity\":\"1h\"},\"key\":\"nightly\",\"maxPending\":16,"
            + "\"presence\":{\"required\":false,\"window\":\"1m\"},\"rateLimits\":[],\"requestExpiry\":\"1d\",\"riskTier\":\"low\","
            + "\"timeWindows\":[],\"version\":1}",
            canonical);
    }

    [Fact]
    public void Equals_ReorderedOrChanged_EqualOnlyWhenSameValues()
    {
        // Arrange
        KeyPolicy a = KeyPolicy.Parse(PolicyDocuments.HighRisk);
        KeyPolicy reordered = KeyPolicy.Parse(PolicyDocuments.With(p =>
        {
            JsonNode limits = p["rateLimits"]!;
            p.Remove("rateLimits");
            p["rateLimits"] = limits.DeepClone();
        }));
        KeyPolicy changed = KeyPolicy.Parse(PolicyDocuments.With(p => p["maxPending"] = 6));

        // Act & Assert
        Assert.Equal(a, reordered);
        Assert.Equal(a.GetHashCode(), reordered.GetHashCode());
        Assert.NotEqual(a, changed);
    }

    [Fact]
    public void Parse_BadRateLimitWindow_NamesPathAndFix()
    {
        // Arrange
        string json = PolicyDocuments.With(p => p["rateLimits"]![1]!["window"] = "2x");

        // Act
        var e = Assert.Throws<DocumentValidationException>(() => KeyPolicy.Parse(json));

        // Assert
        Assert.Equal(CustodyStatus.InvalidArgument, e.Status);
        ValidationError error = Assert.Single(e.Errors);
        Assert.Equal("policy.rateLimits[1].window: \"2x\" is not a duration (use e.g. \"1h\", \"30m\", \"1d\")", error.ToString());
        Assert.Contains("policy.rateLimits[1].window: \"2x\" is not a duration", e.Message);
    }

    [Fact]
    public void Parse_SeveralErrors_CollectsAllInDocumentOrder()
    {
        // Arrange
        string json = PolicyDocuments.With(p =>
        {
            p["version"] = 0;
            p["riskTier"] = "medium";
            p["allowedDigests"] = new JsonArray("md5");
            p["rateLimits"]![0]!["count"] = 0;
            p["maxPending"] = "many";
        });

        // Act
        bool parsed = KeyPolicy.TryParse(json, out KeyPolicy? policy, out IReadOnlyList<ValidationError> errors);

        // Assert
        Assert.False(parsed);
        Assert.Null(policy);
        Assert.Equal(
            ["policy.version", "policy.riskTier", "policy.allowedDigests[0]", "policy.rateLimits[0].count", "policy.maxPending"],
            errors.Select(e => e.Path));
    }

    public static TheoryData<string, string> InvalidDocuments() => new()
    {
        { PolicyDocuments.With(p => p["versoin"] = 1), "policy.versoin: unknown field (expected one of: version, key, riskTier, allowedCallers, allowedDigests, approvals, presence, requestExpiry, timeWindows, rateLimits, maxPending)" },
        { PolicyDocuments.HighRisk.Replace("\"maxPending\": 5", "\"maxPending\": 5, \"maxPending\": 6"), "policy.maxPending: duplicate field" },
        { PolicyDocuments.With(p => p.Remove("version")), "policy.version: required" },
        { PolicyDocuments.With(p => p["version"] = "3"), "policy.version: expected a whole number, got a string" },
        { PolicyDocuments.With(p => p["version"] = 1.5), "policy.version: 1.5 is not a whole number" },
        { PolicyDocuments.With(p => p["key"] = "Release!"), "policy.key: \"Release!\" is not a valid key name (1-64 characters a-z, 0-9, '-', '_' or '.', starting with a letter or digit)" },
        { PolicyDocuments.With(p => p["riskTier"] = "medium"), "policy.riskTier: \"medium\" is not a risk tier (use \"low\" or \"high\")" },
        { PolicyDocuments.With(p => p["allowedCallers"] = new JsonArray()), "policy.allowedCallers: at least one caller pattern is required" },
        { PolicyDocuments.With(p => p["allowedCallers"] = new JsonArray(new JsonObject())), "policy.allowedCallers[0]: give \"subject\", \"san\" or both" },
        { PolicyDocuments.With(p => p["allowedCallers"] = new JsonArray(new JsonObject { ["subject"] = "CN=a\\" })), "policy.allowedCallers[0].subject: \"CN=a\\\\\": a pattern cannot end with an escape '\\'" },
        { PolicyDocuments.With(p => p["allowedCallers"] = new JsonArray(new JsonObject { ["subjct"] = "x" })), "policy.allowedCallers[0].subjct: unknown field (expected one of: subject, san)" },
        { PolicyDocuments.With(p => p["allowedCallers"] = new JsonArray("CN=x")), "policy.allowedCallers[0]: expected an object, got a string" },
        { PolicyDocuments.With(p => p["allowedDigests"] = new JsonArray("sha1")), "policy.allowedDigests[0]: \"sha1\" is not a digest algorithm (use \"sha256\", \"sha384\" or \"sha512\")" },
        { PolicyDocuments.With(p => p["allowedDigests"] = new JsonArray("sha256", "sha256")), "policy.allowedDigests[1]: \"sha256\" is listed twice" },
        { PolicyDocuments.With(p => p["allowedDigests"] = new JsonArray()), "policy.allowedDigests: at least one digest algorithm is required (sha256, sha384, sha512)" },
        { PolicyDocuments.With(p => p["allowedDigests"] = "sha256"), "policy.allowedDigests: expected an array, got a string" },
        { PolicyDocuments.With(p => p["approvals"]!["required"] = 17), "policy.approvals.required: 17 is out of range (0 to 16)" },
        { PolicyDocuments.With(p => p["approvals"]!.AsObject().Remove("group")), "policy.approvals.group: required" },
        { PolicyDocuments.With(p => p["approvals"]!["group"] = "Release Officers"), "policy.approvals.group: \"Release Officers\" is not a valid group name (use 1-64 characters a-z, 0-9, '.', '_', '-' or '@', starting with a letter or digit)" },
        { PolicyDocuments.With(p => p["approvals"]!["validity"] = "30s"), "policy.approvals.validity: \"30s\" is out of range (1m to 30d)" },
        { PolicyDocuments.With(p => p["approvals"]!["denialsToReject"] = 0), "policy.approvals.denialsToReject: 0 is out of range (1 to 16)" },
        { PolicyDocuments.With(p => p["approvals"] = new JsonObject { ["required"] = 0 }), "policy.approvals.required: a high-risk key needs at least 1 approval" },
        { PolicyDocuments.With(p => p["approvals"] = new JsonObject { ["required"] = 0, ["group"] = "x" }, PolicyDocuments.LowRiskMinimal), "policy.approvals.group: a group is only meaningful when approvals are required (required is 0)" },
        { PolicyDocuments.With(p => p["presence"] = new JsonObject { ["window"] = "1m" }), "policy.presence.required: required" },
        { PolicyDocuments.With(p => p["presence"]!["required"] = "yes"), "policy.presence.required: expected true or false, got a string" },
        { PolicyDocuments.With(p => { p["requestExpiry"] = "5m"; p["presence"]!["window"] = "10m"; }), "policy.presence.window: the presence window (10m) is longer than the request expiry (5m)" },
        { PolicyDocuments.With(p => p["requestExpiry"] = "1h-"), "policy.requestExpiry: \"1h-\" is not a duration (use e.g. \"1h\", \"30m\", \"1d\")" },
        { PolicyDocuments.With(p => p["timeWindows"]![0]!["days"] = new JsonArray("monday")), "policy.timeWindows[0].days[0]: \"monday\" is not a day (use mon, tue, wed, thu, fri, sat, sun)" },
        { PolicyDocuments.With(p => p["timeWindows"]![0]!["days"] = new JsonArray()), "policy.timeWindows[0].days: at least one day is required" },
        { PolicyDocuments.With(p => p["timeWindows"]![0]!["from"] = "9:00"), "policy.timeWindows[0].from: \"9:00\" is not a time of day (use \"HH:MM\", 00:00 to 23:59)" },
        { PolicyDocuments.With(p => p["timeWindows"]![0]!["to"] = "24:01"), "policy.timeWindows[0].to: \"24:01\" is not a time of day (use \"HH:MM\", 00:00 to 24:00)" },
        { PolicyDocuments.With(p => p["timeWindows"]![0]!["to"] = "09:00"), "policy.timeWindows[0].to: a window cannot start and end at the same time" },
        { PolicyDocuments.With(p => p["timeWindows"]![0]!["timeZone"] = "Mars/Olympus_Mons"), "policy.timeWindows[0].timeZone: \"Mars/Olympus_Mons\" is not a known IANA time zone (e.g. \"Europe/Berlin\", \"UTC\")" },
        { PolicyDocuments.With(p => p["rateLimits"]![0]!["scope"] = "ip"), "policy.rateLimits[0].scope: \"ip\" is not a scope (use \"caller\" or \"key\")" },
        { PolicyDocuments.With(p => p["rateLimits"]![0]!["count"] = 0), "policy.rateLimits[0].count: 0 is out of range (1 to 1000000)" },
        { PolicyDocuments.With(p => p["rateLimits"]![1]!.AsObject().Remove("window")), "policy.rateLimits[1].window: required" },
        { PolicyDocuments.With(p => p["maxPending"] = 0), "policy.maxPending: 0 is out of range (1 to 10000)" },
        { "[1, 2]", "policy: expected an object, got an array" },
        { "{ \"version\": ", "policy: not valid JSON (line 1, byte 14)" },
        { "  ", "policy: the document is empty" },
        { PolicyDocuments.HighRisk.Replace("CN=ci-*", "CN=\\ud800"), "policy.allowedCallers[0].subject: the string is not valid Unicode (lone surrogate escape)" },
    };

    [Theory]
    [MemberData(nameof(InvalidDocuments))]
    public void TryParse_InvalidField_ReportsPreciseError(string json, string expected)
    {
        // Act
        bool parsed = KeyPolicy.TryParse(json, out _, out IReadOnlyList<ValidationError> errors);

        // Assert
        Assert.False(parsed);
        Assert.Contains(expected, errors.Select(e => e.ToString()));
    }

    [Fact]
    public void Parse_WindowTo2400_Accepted()
    {
        // Arrange
        string json = PolicyDocuments.With(p => p["timeWindows"]![0]!["to"] = "24:00");

        // Act
        KeyPolicy policy = KeyPolicy.Parse(json);

        // Assert
        Assert.Equal(TimeSpan.FromDays(1), policy.TimeWindows[0].To);
        Assert.Contains("\"to\":\"24:00\"", policy.ToCanonicalJson());
    }

    [Fact]
    public void ValidateAgainst_GroupTooSmall_ReportsRequired()
    {
        // Arrange
        KeyPolicy policy = KeyPolicy.Parse(PolicyDocuments.HighRisk);
        using var k1 = SkSigner.Create(SshKeyType.SkEd25519);
        using var k2 = SkSigner.Create(SshKeyType.SkEd25519);
        var roster = new Roster(
            [
                new Officer("alice", [k1.PublicKey], ["release-officers"]),
                new Officer("bob", [k1.PublicKey], ["release-officers"]),
                new Officer("carol", [k2.PublicKey], ["other"]),
            ],
            []);

        // Act
        IReadOnlyList<ValidationError> errors = policy.ValidateAgainst(roster);

        // Assert: alice and bob share a key, so the group can give one approval, not two.
        ValidationError error = Assert.Single(errors);
        Assert.Equal("policy.approvals.required", error.Path);
        Assert.Contains("the roster has 1 distinct officers", error.Message);
    }

    [Fact]
    public void ValidateAgainst_EnoughDistinctOfficers_NoErrors()
    {
        // Arrange
        KeyPolicy policy = KeyPolicy.Parse(PolicyDocuments.HighRisk);
        using var k1 = SkSigner.Create(SshKeyType.SkEd25519);
        using var k2 = SkSigner.Create(SshKeyType.SkEcdsaP256);
        var roster = new Roster(
            [new Officer("alice", [k1.PublicKey], ["release-officers"]), new Officer("bob", [k2.PublicKey], ["release-officers"])],
            []);

        // Act
        IReadOnlyList<ValidationError> errors = policy.ValidateAgainst(roster);

        // Assert
        Assert.Empty(errors);
    }
}
