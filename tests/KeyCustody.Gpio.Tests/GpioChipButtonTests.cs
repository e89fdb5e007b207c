// SPDX-License-Identifier: Apache-2.0
using KeyCustody.Core;
using KeyCustody.Core.Ports;
using KeyCustody.Gpio.Interop;
using KeyCustody.Testing;
using Microsoft.Extensions.Logging.Abstractions;

namespace KeyCustody.Gpio.Tests;

public sealed class GpioChipButtonTests : IDisposable
{
    private readonly TempDirectory _dir = new("keycustody-gpiochip");

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Open_ChipMissing_NotProvisionedNamingPathAndGpiodetect()
    {
        // Arrange
        string chip = _dir.File("gpiochip9");

        // Act
        var ex = Assert.Throws<CustodyException>(() => GpioChipButton.Open(chip, 17));

        // Assert
        Assert.Equal(CustodyStatus.NotProvisioned, ex.Status);
        Assert.Contains(chip, ex.Message, StringComparison.Ordinal);
        Assert.Contains("gpiodetect", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Open_PathIsNotAGpioChip_UnsupportedWithTheFailedIoctl()
    {
        // Arrange
        string chip = _dir.File("gpiochip0");
        File.WriteAllBytes(chip, new byte[64]);

        // Act
        var ex = Assert.Throws<CustodyException>(() => GpioChipButton.Open(chip, 17));

        // Assert
        Assert.Equal(CustodyStatus.Unsupported, ex.Status);
        Assert.Contains("not a GPIO character device", ex.Message, StringComparison.Ordinal);
        Assert.Contains("GPIO_GET_CHIPINFO_IOCTL", ex.Message, StringComparison.Ordinal);
        Assert.Contains("ENOTTY", ex.Message, StringComparison.Ordinal);
        Assert.IsType<NativeCallException>(ex.InnerException);
    }

    [Fact]
    public void FindChip_NoChipHasTheLabel_NotProvisioned()
    {
        // Arrange
        File.WriteAllBytes(_dir.File("gpiochip0"), []);

        // Act
        var ex = Assert.Throws<CustodyException>(() => GpioChipButton.FindChip("pinctrl-rp1", _dir.Path));

        // Assert
        Assert.Equal(CustodyStatus.NotProvisioned, ex.Status);
        Assert.Contains("pinctrl-rp1", ex.Message, StringComparison.Ordinal);
        Assert.Contains("no GPIO chips were readable", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(true, GpioBias.PullUp, 0b1_0011_0110UL)]
    [InlineData(false, GpioBias.PullDown, 0b10_0011_0100UL)]
    [InlineData(true, GpioBias.Disabled, 0b100_0011_0110UL)]
    [InlineData(false, GpioBias.AsIs, 0b0011_0100UL)]
    public void LineFlags_Wiring_InputWithBothEdgesAndTheBias(bool activeLow, GpioBias bias, ulong expected)
    {
        // Arrange / Act
        ulong flags = GpioChipButton.LineFlags(activeLow, bias);

        // Assert
        Assert.Equal(expected, flags);
    }

    [Fact]
    public async Task ReadPressesAsync_SeqnoGapDuringPress_DiscardsIt()
    {
        // Arrange
        string path = _dir.File("events.bin");
        TimeSpan t = TimeSpan.FromSeconds(100);
        byte[] records =
        [
            .. Records.LineEvent(t, rising: true, lineSeqno: 1),
            .. Records.LineEvent(t + TimeSpan.FromMilliseconds(900), rising: false, lineSeqno: 4),
            .. Records.LineEvent(t + TimeSpan.FromSeconds(2), rising: true, lineSeqno: 5),
            .. Records.LineEvent(t + TimeSpan.FromSeconds(2.2), rising: false, lineSeqno: 6),
        ];
        await File.WriteAllBytesAsync(path, records);
        await using GpioChipButton button = GpioChipButton.OpenEventStream(path, DebounceFilter.DefaultWindow, TimeProvider.System, NullLogger.Instance);

        // Act
        List<ButtonPress> presses = await Deadline.ReadToEndAsync(button);

        // Assert
        Assert.Equal(TimeSpan.FromMilliseconds(200), Assert.Single(presses).Duration);
    }

    [Fact]
    public async Task ReadPressesAsync_MonotonicStamps_MappedToWallClockThroughTimeProvider()
    {
        // Arrange: a wall clock frozen at a known instant; the press went down 5 s (monotonic) before now.
        var wall = new DateTimeOffset(2030, 1, 2, 3, 4, 5, TimeSpan.Zero);
        string path = _dir.File("events.bin");
        TimeSpan down = MonotonicClock.Now - TimeSpan.FromSeconds(5);
        await File.WriteAllBytesAsync(path, [.. Records.LineEvent(down, true, 1), .. Records.LineEvent(down + TimeSpan.FromMilliseconds(150), false, 2)]);
        await using GpioChipButton button = GpioChipButton.OpenEventStream(path, DebounceFilter.DefaultWindow, new FixedTimeProvider(wall), NullLogger.Instance);

        // Act
        ButtonPress press = Assert.Single(await Deadline.ReadToEndAsync(button));

        // Assert: 5 s before the frozen wall clock, plus however long the read took to happen.
        Assert.InRange(press.PressedAt, wall - TimeSpan.FromSeconds(5) - TimeSpan.FromMinutes(1), wall - TimeSpan.FromSeconds(5));
    }

    private sealed class FixedTimeProvider(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
