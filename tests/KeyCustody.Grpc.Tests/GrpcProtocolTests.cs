// SPDX-License-Identifier: Apache-2.0
using KeyCustody.Grpc.Internal;
using Xunit;

namespace KeyCustody.Grpc.Tests;

public sealed class GrpcProtocolTests
{
    [Theory]
    [InlineData("1H", 36_000_000_000L)]
    [InlineData("2M", 1_200_000_000L)]
    [InlineData("3S", 30_000_000L)]
    [InlineData("250m", 2_500_000L)]
    [InlineData("7u", 70L)]
    [InlineData("100n", 1L)]
    [InlineData("1n", 1L)]
    [InlineData("150n", 2L)]
    [InlineData("0S", 0L)]
    [InlineData("99999999S", 999_999_990_000_000L)]
    [InlineData("00000005m", 50_000L)]
    public void TryParseTimeout_ValidValue_ReturnsTicks(string text, long expectedTicks)
    {
        // Arrange / Act
        bool ok = GrpcProtocol.TryParseTimeout(text, out TimeSpan timeout);

        // Assert
        Assert.True(ok);
        Assert.Equal(expectedTicks, timeout.Ticks);
    }

    [Theory]
    [InlineData("")]
    [InlineData("S")]
    [InlineData("10")]
    [InlineData("10s")]
    [InlineData("10X")]
    [InlineData("-1S")]
    [InlineData("1.5S")]
    [InlineData(" 1S")]
    [InlineData("1S ")]
    [InlineData("123456789S")]
    [InlineData("１S")]
    [InlineData(null)]
    public void TryParseTimeout_MalformedValue_ReturnsFalse(string? text)
    {
        // Arrange / Act
        bool ok = GrpcProtocol.TryParseTimeout(text, out _);

        // Assert
        Assert.False(ok);
    }

    [Theory]
    [InlineData(1L, "100n")]
    [InlineData(999_999L, "99999900n")]
    [InlineData(1_000_000L, "100000u")]
    [InlineData(10_000_000L, "1000000u")]
    [InlineData(50_000_000_000L, "5000000m")]
    [InlineData(1_000_000_000_000L, "100000S")]
    public void FormatTimeout_Value_UsesFinestUnitThatFits(long ticks, string expected)
    {
        // Arrange / Act
        string text = GrpcProtocol.FormatTimeout(TimeSpan.FromTicks(ticks));

        // Assert
        Assert.Equal(expected, text);
    }

    [Theory]
    [InlineData(1L)]
    [InlineData(12_345L)]
    [InlineData(999_999_999L)]
    [InlineData(36_000_000_001L)]
    [InlineData(86_400_0000000L * 365)]
    public void FormatTimeout_RoundTrip_NeverShortensTheTimeout(long ticks)
    {
        // Arrange
        TimeSpan original = TimeSpan.FromTicks(ticks);

        // Act
        string text = GrpcProtocol.FormatTimeout(original);
        bool ok = GrpcProtocol.TryParseTimeout(text, out TimeSpan parsed);

        // Assert
        Assert.True(ok, text);
        Assert.True(text.Length - 1 <= 8, text);
        Assert.True(parsed >= original, $"{text} parsed to {parsed}, shorter than {original}");
    }

    [Fact]
    public void FormatTimeout_ZeroOrNegative_IsOneNanosecond()
    {
        // Arrange / Act / Assert
        Assert.Equal("1n", GrpcProtocol.FormatTimeout(TimeSpan.Zero));
        Assert.Equal("1n", GrpcProtocol.FormatTimeout(TimeSpan.FromSeconds(-5)));
    }

    [Theory]
    [InlineData("plain message", "plain message")]
    [InlineData("100% sure", "100%25 sure")]
    [InlineData("tab\there", "tab%09here")]
    [InlineData("line\nbreak", "line%0Abreak")]
    [InlineData("ünïcode", "%C3%BCn%C3%AFcode")]
    [InlineData("鍵", "%E9%8D%B5")]
    [InlineData("reserved ?&=+/:; stay", "reserved ?&=+/:; stay")]
    [InlineData("~ and space", "~ and space")]
    [InlineData("", "")]
    public void EncodeMessage_Text_EscapesOnlyOutsidePrintableAsciiAndPercent(string message, string expected)
    {
        // Arrange / Act
        string encoded = GrpcProtocol.EncodeMessage(message);

        // Assert
        Assert.Equal(expected, encoded);
    }

    [Theory]
    [InlineData("Schlüssel gesperrt — 100% ✓")]
    [InlineData("emoji 🔑 and CJK 鍵 and RTL עברית")]
    [InlineData("%%%")]
    [InlineData("\u0001\u007f control")]
    public void EncodeDecode_NonAscii_RoundTrips(string message)
    {
        // Arrange / Act
        string wire = GrpcProtocol.EncodeMessage(message);
        string decoded = GrpcProtocol.DecodeMessage(wire);

        // Assert
        Assert.All(wire, c => Assert.InRange(c, ' ', '~'));
        Assert.Equal(message, decoded);
    }

    [Theory]
    [InlineData("%", "%")]
    [InlineData("50%", "50%")]
    [InlineData("%zz", "%zz")]
    [InlineData("%4", "%4")]
    [InlineData("%41%42", "AB")]
    [InlineData("%c3%bc", "ü")]
    [InlineData("%FF", "\uFFFD")]
    [InlineData(null, "")]
    public void DecodeMessage_LenientInput_DoesNotFail(string? wire, string expected)
    {
        // Arrange / Act
        string decoded = GrpcProtocol.DecodeMessage(wire);

        // Assert
        Assert.Equal(expected, decoded);
    }

    [Theory]
    [InlineData("application/grpc", true)]
    [InlineData("application/grpc+proto", true)]
    [InlineData("application/grpc; charset=utf-8", true)]
    [InlineData("APPLICATION/GRPC", true)]
    [InlineData("application/grpc-web", false)]
    [InlineData("application/grpcx", false)]
    [InlineData("application/json", false)]
    [InlineData("", false)]
    [InlineData(null, false)]
    public void IsGrpcContentType_Value_Classifies(string? contentType, bool expected)
    {
        // Arrange / Act / Assert
        Assert.Equal(expected, GrpcProtocol.IsGrpcContentType(contentType));
    }
}
