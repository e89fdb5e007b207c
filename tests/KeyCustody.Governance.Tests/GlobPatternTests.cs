// SPDX-License-Identifier: Apache-2.0
using Xunit;

namespace KeyCustody.Governance.Tests;

public sealed class GlobPatternTests
{
    [Theory]
    [InlineData("CN=ci-*,O=Example", "CN=ci-release,O=Example", true)]
    [InlineData("CN=ci-*,O=Example", "CN=ci-,O=Example", true)]
    [InlineData("CN=ci-*,O=Example", "CN=ci-release,O=Example,OU=x", false)]
    [InlineData("CN=ci-*,O=Example", "cn=ci-release,O=Example", false)]
    [InlineData("spiffe://example.org/ci/*", "spiffe://example.org/ci/release/main", true)]
    [InlineData("build-??", "build-01", true)]
    [InlineData("build-??", "build-1", false)]
    [InlineData("*", "", true)]
    [InlineData("a*b*c", "aXbYbZc", true)]
    [InlineData("a*b*c", "aXbYbZ", false)]
    [InlineData(@"literal\*star", "literal*star", true)]
    [InlineData(@"literal\*star", "literalXstar", false)]
    [InlineData(@"q\?", "q?", true)]
    [InlineData(@"q\?", "qx", false)]
    public void IsMatch_Cases_AsExpected(string pattern, string text, bool expected)
    {
        // Act
        bool matched = GlobPattern.Parse(pattern).IsMatch(text);

        // Assert
        Assert.Equal(expected, matched);
    }

    [Fact]
    public void IsMatch_HostileInput_FinishesAndFails()
    {
        // Arrange: the classic exponential-backtracking shape for naive matchers.
        GlobPattern pattern = GlobPattern.Parse("*a*a*a*a*a*a*a*a*a*a*b");
        string text = new('a', 5000);

        // Act
        bool matched = pattern.IsMatch(text);

        // Assert
        Assert.False(matched);
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("abc\\", "escape")]
    [InlineData("a\nb", "control")]
    public void TryParse_Invalid_ReturnsReason(string text, string fragment)
    {
        // Act
        bool parsed = GlobPattern.TryParse(text, out GlobPattern? pattern, out string? error);

        // Assert
        Assert.False(parsed);
        Assert.Null(pattern);
        Assert.Contains(fragment, error);
    }
}
