// SPDX-License-Identifier: Apache-2.0
using KeyCustody.Grpc.Internal;
using Xunit;

namespace KeyCustody.Grpc.Tests;

public sealed class MetadataTests
{
    [Fact]
    public void Add_MixedCaseKey_IsStoredLowerCaseInOrder()
    {
        // Arrange
        var metadata = new Metadata();

        // Act
        metadata.Add("X-Request-Id", "1").Add("x-other", "2").Add("x-request-id", "3");

        // Assert
        Assert.Equal(["x-request-id", "x-other", "x-request-id"], metadata.Select(e => e.Key));
        Assert.Equal("1", metadata.GetValue("X-REQUEST-ID"));
        Assert.Equal(["1", "3"], metadata.GetAll("x-request-id").Select(e => e.Value));
    }

    [Fact]
    public void Add_BinaryKey_StoresBytesAndBase64WireForm()
    {
        // Arrange
        var metadata = new Metadata();

        // Act
        metadata.Add("trace-bin", new byte[] { 0, 0xFF, 0x10 });

        // Assert
        Assert.True(metadata[0].IsBinary);
        Assert.Equal(new byte[] { 0, 0xFF, 0x10 }, metadata.GetValueBytes("trace-bin"));
        Assert.Equal("AP8Q", metadata[0].Value);
    }

    [Theory]
    [InlineData("grpc-status")]
    [InlineData("grpc-custom")]
    [InlineData(":path")]
    [InlineData("content-type")]
    [InlineData("te")]
    [InlineData("bad key")]
    [InlineData("ключ")]
    [InlineData("")]
    public void Add_ReservedOrInvalidKey_Throws(string key)
    {
        // Arrange
        var metadata = new Metadata();

        // Act / Assert
        Assert.Throws<ArgumentException>(() => metadata.Add(key, "v"));
    }

    [Fact]
    public void Add_TextValueOnBinKeyOrBytesOnTextKey_Throws()
    {
        // Arrange
        var metadata = new Metadata();

        // Act / Assert
        Assert.Throws<ArgumentException>(() => metadata.Add("x-bin", "text"));
        Assert.Throws<ArgumentException>(() => metadata.Add("x-text", new byte[] { 1 }));
    }

    [Fact]
    public void Add_NonPrintableTextValue_Throws()
    {
        // Arrange
        var metadata = new Metadata();

        // Act / Assert
        Assert.Throws<ArgumentException>(() => metadata.Add("x-text", "line\nbreak"));
        Assert.Throws<ArgumentException>(() => metadata.Add("x-text", "ü"));
    }

    [Fact]
    public void ToString_Values_AreNeverRendered()
    {
        // Arrange
        var metadata = new Metadata().Add("authorization", "Bearer super-secret-token");

        // Act
        string text = metadata.ToString() + metadata[0];

        // Assert
        Assert.DoesNotContain("super-secret-token", text, StringComparison.Ordinal);
        Assert.Contains("authorization", text, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("AP8Q", new byte[] { 0, 0xFF, 0x10 })]
    [InlineData("AQ==", new byte[] { 1 })]
    [InlineData("AQ", new byte[] { 1 })]
    [InlineData("AQI", new byte[] { 1, 2 })]
    public void AddReceived_BinaryPaddedOrUnpadded_Decodes(string wire, byte[] expected)
    {
        // Arrange
        var metadata = new Metadata();

        // Act
        MetadataCodec.AddReceived(metadata, "X-Trace-Bin", wire);

        // Assert
        Assert.Equal(expected, metadata.GetValueBytes("x-trace-bin"));
    }

    [Theory]
    [InlineData("grpc-status", "0")]
    [InlineData("content-type", "application/grpc")]
    [InlineData(":status", "200")]
    [InlineData("x-bad-bin", "!!!")]
    [InlineData("x-text", "caf\u00e9")]
    public void AddReceived_ProtocolOrMalformedField_IsDropped(string name, string value)
    {
        // Arrange
        var metadata = new Metadata();

        // Act
        MetadataCodec.AddReceived(metadata, name, value);

        // Assert
        Assert.Empty(metadata);
    }
}
