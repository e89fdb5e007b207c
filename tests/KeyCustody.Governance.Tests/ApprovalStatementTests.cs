// SPDX-License-Identifier: Apache-2.0
using System.Text;
using KeyCustody.Core;
using Xunit;

namespace KeyCustody.Governance.Tests;

public sealed class ApprovalStatementTests
{
    private static readonly byte[] s_digest = Convert.FromHexString("9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08");
    private const string Nonce = "q0CzmmY2a1GdWvXlxY3uNw";

    private static ApprovalStatement Statement(ApprovalAction action = ApprovalAction.Approve) =>
        new("req-01", action, KeyName.Parse("release"), DigestAlgorithm.Sha256, s_digest, "CN=ci-release,O=Example", 3, Nonce,
            new DateTimeOffset(2025, 3, 1, 12, 0, 0, 999, TimeSpan.Zero));

    [Fact]
    public void ToBytes_ExactCanonicalText()
    {
        // Act
        byte[] bytes = Statement().ToBytes();

        // Assert
        Assert.Equal(
            "keycustody-approval-v1\n"
            + "request: req-01\n"
            + "action: approve\n"
            + "key: release\n"
            + "digest: sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08\n"
            + "requester: CN=ci-release,O=Example\n"
            + "policy-version: 3\n"
            + "nonce: q0CzmmY2a1GdWvXlxY3uNw\n"
            + "expires: 2025-03-01T12:00:00Z\n",
            Encoding.UTF8.GetString(bytes));
        Assert.DoesNotContain((byte)'\r', bytes);
    }

    [Fact]
    public void TryParse_CanonicalBytes_RoundTrips()
    {
        // Arrange
        ApprovalStatement original = Statement(ApprovalAction.Deny);

        // Act
        bool parsed = ApprovalStatement.TryParse(original.ToBytes(), out ApprovalStatement? back, out string? error);

        // Assert
        Assert.True(parsed, error);
        Assert.Equal(original, back);
        Assert.Equal(original.ToBytes(), back!.ToBytes());
        Assert.Equal(new DateTimeOffset(2025, 3, 1, 12, 0, 0, TimeSpan.Zero), back.ExpiresAt);
    }

    public static TheoryData<string, string> Mangled()
    {
        string good = Statement().ToText();
        return new()
        {
            { good.Replace("\n", "\r\n"), "LF line endings" },
            { good.TrimEnd('\n'), "must end with a newline" },
            { good + "extra: 1\n", "has 10 lines, expected 9" },
            { good.Replace("keycustody-approval-v1", "keycustody-approval-v2"), "line 1 must be 'keycustody-approval-v1'" },
            { good.Replace("action: approve", "action:  approve"), "the action must be 'approve' or 'deny'" },
            { good.Replace("action: approve", "verdict: approve"), "line 3 must start with 'action: '" },
            { good.Replace("sha256:9f86", "sha256:9F86"), "the digest must be" },
            { good.Replace("sha256:9f86", "sha256:9f8"), "the digest must be" },
            { good.Replace("sha256:", "sha384:"), "the digest must be" },
            { good.Replace("policy-version: 3", "policy-version: 03"), "not in canonical form" },
            { good.Replace("policy-version: 3", "policy-version: -3"), "the policy version must be a positive integer" },
            { good.Replace("2025-03-01T12:00:00Z", "2025-03-01T12:00:00+00:00"), "RFC 3339 UTC time" },
            { good.Replace("key: release", "key: Release"), "the key name is not valid" },
            { good.Replace(Nonce, "short"), "the nonce is not valid" },
        };
    }

    [Theory]
    [MemberData(nameof(Mangled))]
    public void TryParse_NonCanonical_Rejected(string text, string fragment)
    {
        // Act
        bool parsed = ApprovalStatement.TryParse(Encoding.UTF8.GetBytes(text), out ApprovalStatement? statement, out string? error);

        // Assert
        Assert.False(parsed);
        Assert.Null(statement);
        Assert.Contains(fragment, error);
    }

    [Fact]
    public void TryParse_InvalidUtf8_Rejected()
    {
        // Arrange
        byte[] bytes = [.. Statement().ToBytes()[..^2], 0xC3, 0x28, (byte)'\n'];

        // Act
        bool parsed = ApprovalStatement.TryParse(bytes, out _, out string? error);

        // Assert
        Assert.False(parsed);
        Assert.Equal("the statement is not valid UTF-8", error);
    }

    [Fact]
    public void FirstDifference_NamesField()
    {
        // Arrange
        ApprovalStatement stored = Statement();
        var other = new ApprovalStatement("req-01", ApprovalAction.Approve, KeyName.Parse("release"), DigestAlgorithm.Sha256,
            new byte[32], "CN=ci-release,O=Example", 3, Nonce, stored.ExpiresAt);

        // Act
        string? difference = stored.FirstDifference(other);

        // Assert
        Assert.Equal("digest is 'sha256:" + new string('0', 64) + "' but the request has 'sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08'", difference);
        Assert.Null(stored.FirstDifference(Statement()));
    }

    [Fact]
    public void Constructor_RequesterWithNewline_Rejected()
    {
        // Act & Assert: a newline would let a requester forge statement lines.
        Assert.Throws<ArgumentException>(() => new ApprovalStatement("req-01", ApprovalAction.Approve, KeyName.Parse("release"),
            DigestAlgorithm.Sha256, s_digest, "CN=x\naction: approve", 3, Nonce, DateTimeOffset.UnixEpoch));
    }
}
