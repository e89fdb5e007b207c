// SPDX-License-Identifier: Apache-2.0
using KeyCustody.Core;
using Xunit;

namespace KeyCustody.Core.Tests;

public class KeyNameTests
{
    [Theory]
    [InlineData("dev-low")]
    [InlineData("release.2026_q4")]
    [InlineData("0")]
    public void TryParse_ValidName_RoundTrips(string text)
    {
        // Act
        bool ok = KeyName.TryParse(text, out KeyName name);

        // Assert
        Assert.True(ok);
        Assert.Equal(text, name.Value);
        Assert.Equal(text, name.ToString());
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("-leading-dash")]
    [InlineData("Upper")]
    [InlineData("has space")]
    [InlineData("slash/name")]
    [InlineData("ünicode")]
    public void TryParse_InvalidName_ReturnsFalse(string? text)
    {
        // Act
        bool ok = KeyName.TryParse(text, out _);

        // Assert
        Assert.False(ok);
    }

    [Fact]
    public void TryParse_65Characters_ReturnsFalse()
    {
        // Arrange
        string text = new('a', 65);

        // Act & Assert
        Assert.False(KeyName.TryParse(text, out _));
        Assert.True(KeyName.TryParse(text[..64], out _));
    }

    [Fact]
    public void Parse_InvalidName_ThrowsInvalidArgumentNamingTheInput()
    {
        // Act
        var ex = Assert.Throws<CustodyException>(() => KeyName.Parse("Bad Name"));

        // Assert
        Assert.Equal(CustodyStatus.InvalidArgument, ex.Status);
        Assert.Contains("'Bad Name'", ex.Message);
    }
}
