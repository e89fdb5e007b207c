// SPDX-License-Identifier: Apache-2.0
namespace KeyCustody.Gpio.Tests;

public class EvdevEdgeDecoderTests
{
    private static readonly TimeSpan s_at = TimeSpan.FromSeconds(1_700_000_000) + TimeSpan.FromMicroseconds(123_456);

    [Theory]
    [InlineData(1, true)]
    [InlineData(0, false)]
    public void Decode_KeyOfConfiguredCode_ReturnsEdgeWithTimestamp(int value, bool isDown)
    {
        // Arrange
        var decoder = new EvdevEdgeDecoder(Records.KEY_PROG1);

        // Act
        EdgeDecodeResult result = decoder.Decode(Records.InputEvent(s_at, Records.EV_KEY, Records.KEY_PROG1, value), out RawEdge edge);

        // Assert
        Assert.Equal(EdgeDecodeResult.Edge, result);
        Assert.Equal(isDown, edge.IsDown);
        Assert.Equal(s_at, edge.Timestamp);
    }

    [Fact]
    public void Decode_Autorepeat_Ignored()
    {
        // Arrange
        var decoder = new EvdevEdgeDecoder(Records.KEY_PROG1);

        // Act
        EdgeDecodeResult result = decoder.Decode(Records.InputEvent(s_at, Records.EV_KEY, Records.KEY_PROG1, 2), out _);

        // Assert
        Assert.Equal(EdgeDecodeResult.Ignored, result);
    }

    [Fact]
    public void Decode_OtherKey_Ignored()
    {
        // Arrange
        var decoder = new EvdevEdgeDecoder(Records.KEY_PROG1);

        // Act
        EdgeDecodeResult result = decoder.Decode(Records.InputEvent(s_at, Records.EV_KEY, Records.KEY_A, 1), out _);

        // Assert
        Assert.Equal(EdgeDecodeResult.Ignored, result);
    }

    [Fact]
    public void Decode_SynDropped_ReportsLossAndIgnoresKeysUntilNextReport()
    {
        // Arrange
        var decoder = new EvdevEdgeDecoder(Records.KEY_PROG1);

        // Act
        EdgeDecodeResult dropped = decoder.Decode(Records.InputEvent(s_at, Records.EV_SYN, Records.SYN_DROPPED, 0), out _);
        EdgeDecodeResult during = decoder.Decode(Records.InputEvent(s_at, Records.EV_KEY, Records.KEY_PROG1, 0), out _);
        decoder.Decode(Records.InputEvent(s_at, Records.EV_SYN, Records.SYN_REPORT, 0), out _);
        EdgeDecodeResult after = decoder.Decode(Records.InputEvent(s_at, Records.EV_KEY, Records.KEY_PROG1, 1), out _);

        // Assert
        Assert.Equal(EdgeDecodeResult.EventsLost, dropped);
        Assert.Equal(EdgeDecodeResult.Ignored, during);
        Assert.Equal(EdgeDecodeResult.Edge, after);
    }
}

public class GpioLineEdgeDecoderTests
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Decode_EdgeEvent_MapsRisingToDownWithNanosecondTimestamp(bool rising)
    {
        // Arrange
        var decoder = new GpioLineEdgeDecoder();
        TimeSpan at = TimeSpan.FromSeconds(5025) + TimeSpan.FromTicks(1234567);

        // Act
        EdgeDecodeResult result = decoder.Decode(Records.LineEvent(at, rising, lineSeqno: 1), out RawEdge edge);

        // Assert
        Assert.Equal(EdgeDecodeResult.Edge, result);
        Assert.Equal(rising, edge.IsDown);
        Assert.Equal(at, edge.Timestamp);
    }

    [Fact]
    public void Decode_LineSeqnoGap_ReportsLossWithTheEdge()
    {
        // Arrange
        var decoder = new GpioLineEdgeDecoder();
        decoder.Decode(Records.LineEvent(TimeSpan.FromSeconds(1), rising: true, lineSeqno: 1), out _);

        // Act: events 2 and 3 were overwritten in the kernel's buffer.
        EdgeDecodeResult result = decoder.Decode(Records.LineEvent(TimeSpan.FromSeconds(2), rising: true, lineSeqno: 4), out RawEdge edge);

        // Assert
        Assert.Equal(EdgeDecodeResult.EventsLost | EdgeDecodeResult.Edge, result);
        Assert.True(edge.IsDown);
    }

    [Fact]
    public void Decode_ConsecutiveSeqnos_NoLoss()
    {
        // Arrange
        var decoder = new GpioLineEdgeDecoder();
        decoder.Decode(Records.LineEvent(TimeSpan.FromSeconds(1), rising: true, lineSeqno: 7), out _);

        // Act
        EdgeDecodeResult result = decoder.Decode(Records.LineEvent(TimeSpan.FromSeconds(2), rising: false, lineSeqno: 8), out _);

        // Assert
        Assert.Equal(EdgeDecodeResult.Edge, result);
    }

    [Fact]
    public void Decode_UnknownEventId_Ignored()
    {
        // Arrange
        var decoder = new GpioLineEdgeDecoder();
        byte[] record = Records.LineEvent(TimeSpan.FromSeconds(1), rising: true, lineSeqno: 1);
        record[8] = 9;

        // Act
        EdgeDecodeResult result = decoder.Decode(record, out _);

        // Assert
        Assert.Equal(EdgeDecodeResult.Ignored, result);
    }
}
