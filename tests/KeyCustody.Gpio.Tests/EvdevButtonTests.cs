// SPDX-License-Identifier: Apache-2.0
using KeyCustody.Core;
using KeyCustody.Core.Ports;
using KeyCustody.Testing;

namespace KeyCustody.Gpio.Tests;

public sealed class EvdevButtonTests : IDisposable
{
    private static readonly TimeSpan s_t0 = TimeSpan.FromSeconds(1_750_000_000);
    private readonly TempDirectory _dir = new("keycustody-evdev");

    public void Dispose() => _dir.Dispose();

    private static TimeSpan Ms(double ms) => TimeSpan.FromMilliseconds(ms);

    private async Task<List<ButtonPress>> ReadFileAsync(byte[] records, int keyCode = Records.KEY_PROG1)
    {
        string path = _dir.File("events.bin");
        await File.WriteAllBytesAsync(path, records);
        await using EvdevButton button = EvdevButton.Open(path, keyCode);
        return await Deadline.ReadToEndAsync(button);
    }

    [Fact]
    public async Task ReadPressesAsync_RecordedFile_ReportsPressAtKernelTimestampAndEndsAtEof()
    {
        // Arrange
        byte[] records = Records.EvdevPress(s_t0 + Ms(250), Ms(420));

        // Act
        List<ButtonPress> presses = await ReadFileAsync(records);

        // Assert: a non-device keeps evdev's default CLOCK_REALTIME stamps, so PressedAt is exact.
        ButtonPress press = Assert.Single(presses);
        Assert.Equal(DateTimeOffset.UnixEpoch + s_t0 + Ms(250), press.PressedAt);
        Assert.Equal(Ms(420), press.Duration);
    }

    [Fact]
    public async Task ReadPressesAsync_AutorepeatAndOtherKeys_Ignored()
    {
        // Arrange: a held button autorepeats; a keyboard on the same device types a letter meanwhile.
        byte[] records =
        [
            .. Records.Key(s_t0, 1),
            .. Records.EvdevPress(s_t0 + Ms(100), Ms(50), Records.KEY_A),
            .. Records.Key(s_t0 + Ms(500), 2),
            .. Records.Key(s_t0 + Ms(533), 2),
            .. Records.Key(s_t0 + Ms(2700), 0),
        ];

        // Act
        List<ButtonPress> presses = await ReadFileAsync(records);

        // Assert
        ButtonPress press = Assert.Single(presses);
        Assert.Equal(Ms(2700), press.Duration);
        Assert.True(press.IsLong);
    }

    [Fact]
    public async Task ReadPressesAsync_ContactBounce_ReportsOneDebouncedPress()
    {
        // Arrange
        byte[] records =
        [
            .. Records.Key(s_t0, 1),
            .. Records.Key(s_t0 + Ms(2), 0),
            .. Records.Key(s_t0 + Ms(4), 1),
            .. Records.Key(s_t0 + Ms(300), 0),
            .. Records.Key(s_t0 + Ms(303), 1),
            .. Records.Key(s_t0 + Ms(306), 0),
        ];

        // Act
        List<ButtonPress> presses = await ReadFileAsync(records);

        // Assert
        ButtonPress press = Assert.Single(presses);
        Assert.Equal(Ms(306), press.Duration);
    }

    [Fact]
    public async Task ReadPressesAsync_SynDroppedDuringPress_DiscardsIt()
    {
        // Arrange: the down edge was seen, then the buffer overflowed; the next press is clean.
        byte[] records =
        [
            .. Records.Key(s_t0, 1),
            .. Records.InputEvent(s_t0 + Ms(50), Records.EV_SYN, Records.SYN_DROPPED, 0),
            .. Records.InputEvent(s_t0 + Ms(60), Records.EV_KEY, Records.KEY_PROG1, 0),
            .. Records.InputEvent(s_t0 + Ms(60), Records.EV_SYN, Records.SYN_REPORT, 0),
            .. Records.Key(s_t0 + Ms(900), 0),
            .. Records.EvdevPress(s_t0 + Ms(2000), Ms(150)),
        ];

        // Act
        List<ButtonPress> presses = await ReadFileAsync(records);

        // Assert
        ButtonPress press = Assert.Single(presses);
        Assert.Equal(DateTimeOffset.UnixEpoch + s_t0 + Ms(2000), press.PressedAt);
    }

    [Fact]
    public async Task ReadPressesAsync_ConfiguredKeyCode_ListensToThatKeyOnly()
    {
        // Arrange
        byte[] records = [.. Records.EvdevPress(s_t0, Ms(100)), .. Records.EvdevPress(s_t0 + Ms(1000), Ms(200), Records.KEY_A)];

        // Act
        List<ButtonPress> presses = await ReadFileAsync(records, keyCode: Records.KEY_A);

        // Assert
        Assert.Equal(Ms(200), Assert.Single(presses).Duration);
    }

    [Fact]
    public async Task ReadPressesAsync_RecordSplitAcrossWrites_Reassembled()
    {
        // Arrange
        using Fifo fifo = await Fifo.CreateAsync(_dir.File("event3"));
        await using EvdevButton button = EvdevButton.Open(fifo.Path);
        fifo.OpenWriter();
        using CancellationTokenSource cts = Deadline.Start();
        await using IAsyncEnumerator<ButtonPress> presses = button.ReadPressesAsync(cts.Token).GetAsyncEnumerator(cts.Token);
        byte[] records = Records.EvdevPress(s_t0, Ms(640));

        // Act: the first write ends in the middle of a record.
        fifo.Write(records.AsSpan(0, 37));
        Task<bool> next = presses.MoveNextAsync().AsTask();
        fifo.Write(records.AsSpan(37));
        Assert.True(await Deadline.FinishAsync(next, "The press"));

        // Assert
        Assert.Equal(Ms(640), presses.Current.Duration);
    }

    [Fact]
    public async Task ReadPressesAsync_WriterClosesMidRelease_PendingPressReportedThenEnds()
    {
        // Arrange
        using Fifo fifo = await Fifo.CreateAsync(_dir.File("event4"));
        await using EvdevButton button = EvdevButton.Open(fifo.Path);
        fifo.OpenWriter();
        fifo.Write(Records.EvdevPress(s_t0, Ms(90)));

        // Act
        fifo.CloseWriter();
        List<ButtonPress> presses = await Deadline.ReadToEndAsync(button);

        // Assert
        Assert.Equal(Ms(90), Assert.Single(presses).Duration);
    }

    [Fact]
    public async Task Open_PathIsNotAnInputDevice_ToleratesFailingEviocgname()
    {
        // Arrange
        string path = _dir.File("not-a-device");
        await File.WriteAllBytesAsync(path, []);

        // Act
        await using EvdevButton button = EvdevButton.Open(path);

        // Assert
        Assert.Null(button.DeviceName);
        Assert.Equal(Records.KEY_PROG1, button.KeyCode);
        Assert.Equal($"evdev {path} (key 148)", button.Description);
    }

    [Fact]
    public void Open_MissingDevice_NotProvisionedNamingPathAndOverlay()
    {
        // Arrange
        string path = _dir.File("event99");

        // Act
        var ex = Assert.Throws<CustodyException>(() => EvdevButton.Open(path));

        // Assert
        Assert.Equal(CustodyStatus.NotProvisioned, ex.Status);
        Assert.Contains(path, ex.Message, StringComparison.Ordinal);
        Assert.Contains("ENOENT", ex.Message, StringComparison.Ordinal);
        Assert.Contains("dtoverlay=gpio-key", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(768)]
    public void Open_KeyCodeOutOfRange_Throws(int keyCode)
    {
        // Arrange
        string path = _dir.File("unused");

        // Act
        Action open = () => EvdevButton.Open(path, keyCode);

        // Assert
        Assert.Throws<ArgumentOutOfRangeException>(open);
    }
}

public sealed class EvdevDeviceLocatorTests : IDisposable
{
    private readonly TempDirectory _dir = new("keycustody-locator");

    public void Dispose() => _dir.Dispose();

    private string Dev => Path.Combine(_dir.Path, "dev", "input");

    private string Sys => Path.Combine(_dir.Path, "sys", "class", "input");

    private void AddSysfsDevice(string eventName, string deviceName)
    {
        string device = Path.Combine(Sys, eventName, "device");
        Directory.CreateDirectory(device);
        File.WriteAllText(Path.Combine(device, "name"), deviceName + "\n");
    }

    [Fact]
    public void FindByName_SysfsListsTheName_ReturnsItsEventNode()
    {
        // Arrange
        AddSysfsDevice("event0", "vc4-hdmi");
        AddSysfsDevice("event12", "button@11");
        AddSysfsDevice("event2", "button@11");

        // Act
        string node = EvdevDeviceLocator.FindByName("button@11", Dev, Sys);

        // Assert: the lowest-numbered match wins (event2, not event12).
        Assert.Equal(Path.Combine(Dev, "event2"), node);
    }

    [Fact]
    public void FindByName_NoDeviceHasTheName_NotProvisionedListingWhatWasSeen()
    {
        // Arrange
        AddSysfsDevice("event0", "vc4-hdmi");
        AddSysfsDevice("event1", "USB Keyboard");

        // Act
        var ex = Assert.Throws<CustodyException>(() => EvdevDeviceLocator.FindByName("keycustody", Dev, Sys));

        // Assert
        Assert.Equal(CustodyStatus.NotProvisioned, ex.Status);
        Assert.Contains("event0='vc4-hdmi'", ex.Message, StringComparison.Ordinal);
        Assert.Contains("event1='USB Keyboard'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FindByName_NoSysfsAndNodesAreNotDevices_NotProvisionedSaysNoneReadable()
    {
        // Arrange: the ioctl fallback opens each node; regular files fail EVIOCGNAME.
        Directory.CreateDirectory(Dev);
        File.WriteAllBytes(Path.Combine(Dev, "event0"), []);

        // Act
        var ex = Assert.Throws<CustodyException>(() => EvdevDeviceLocator.FindByName("keycustody", Dev, Sys));

        // Assert
        Assert.Contains("no input devices were readable", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task FindByName_ThenOpen_ReadsPressesFromTheFoundNode()
    {
        // Arrange
        AddSysfsDevice("event5", "keycustody-button");
        Directory.CreateDirectory(Dev);
        using Fifo fifo = await Fifo.CreateAsync(Path.Combine(Dev, "event5"));
        string node = EvdevDeviceLocator.FindByName("keycustody-button", Dev, Sys);
        await using EvdevButton button = EvdevButton.Open(node);
        fifo.OpenWriter();

        // Act
        fifo.Write(Records.EvdevPress(Records.RealtimeNow(), TimeSpan.FromMilliseconds(333)));
        fifo.CloseWriter();
        List<ButtonPress> presses = await Deadline.ReadToEndAsync(button);

        // Assert
        Assert.Equal(TimeSpan.FromMilliseconds(333), Assert.Single(presses).Duration);
    }
}
