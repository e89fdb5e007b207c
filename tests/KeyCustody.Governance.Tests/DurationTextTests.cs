// SPDX-License-Identifier: Apache-2.0
using Xunit;

namespace KeyCustody.Governance.Tests;

public sealed class DurationTextTests
{
    [Theory]
    [InlineData("30s", 30)]
    [InlineData("15m", 900)]
    [InlineData("1h", 3600)]
    [InlineData("1h30m", 5400)]
    [InlineData("1d", 86400)]
    [InlineData("2w", 1209600)]
    [InlineData("1d2h3m4s", 93784)]
    [InlineData("0s", 0)]
    [InlineData("90m", 5400)]
    public void TryParse_Valid_ReturnsSeconds(string text, long seconds)
    {
        // Act
        bool parsed = DurationText.TryParse(text, out TimeSpan duration);

        // Assert
        Assert.True(parsed);
        Assert.Equal(TimeSpan.FromSeconds(seconds), duration);
    }

    [Theory]
    [InlineData("")]
    [InlineData("2x")]
    [InlineData("h")]
    [InlineData("1")]
    [InlineData("1H")]
    [InlineData("30m1h")]
    [InlineData("1h1h")]
    [InlineData("-1h")]
    [InlineData("1.5h")]
    [InlineData(" 1h")]
    [InlineData("9999999999s")]
    [InlineData("4000d")]
    public void TryParse_Invalid_ReturnsFalse(string text)
    {
        // Act
        bool parsed = DurationText.TryParse(text, out _);

        // Assert
        Assert.False(parsed);
    }

    [Theory]
    [InlineData(5400, "1h30m")]
    [InlineData(1209600, "14d")]
    [InlineData(0, "0s")]
    [InlineData(93784, "1d2h3m4s")]
    [InlineData(60, "1m")]
    public void Format_Seconds_CanonicalAndParsesBack(long seconds, string expected)
    {
        // Act
        string text = DurationText.Format(TimeSpan.FromSeconds(seconds));

        // Assert
        Assert.Equal(expected, text);
        Assert.True(DurationText.TryParse(text, out TimeSpan back));
        Assert.Equal(TimeSpan.FromSeconds(seconds), back);
    }
}
