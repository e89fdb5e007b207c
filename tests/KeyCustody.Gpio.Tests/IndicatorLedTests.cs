// SPDX-License-Identifier: Apache-2.0
using KeyCustody.Core;
using KeyCustody.Core.Ports;
using KeyCustody.Testing;

namespace KeyCustody.Gpio.Tests;

/// <summary>The contract every <see cref="IIndicatorLed"/> backend keeps, run once per backend that can be observed.</summary>
public abstract class IndicatorLedConformance : IAsyncLifetime
{
    private IIndicatorLed? _led;

    protected TempDirectory Dir { get; } = new("keycustody-led");

    protected IIndicatorLed Led => _led ?? throw new InvalidOperationException("Not initialised.");

    protected abstract IIndicatorLed Open();

    /// <summary>What the LED shows, read back from the backend's own state (sysfs files, recorded state).</summary>
    protected abstract LedState Observe();

    public Task InitializeAsync()
    {
        _led = Open();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await Led.DisposeAsync();
        Dir.Dispose();
    }

    [Theory]
    [InlineData(LedState.On)]
    [InlineData(LedState.Blink)]
    [InlineData(LedState.Off)]
    public async Task SetAsync_State_ShowsIt(LedState state)
    {
        // Arrange
        await Led.SetAsync(state == LedState.Off ? LedState.On : LedState.Off);

        // Act
        await Led.SetAsync(state);

        // Assert
        Assert.Equal(state, Observe());
    }

    [Fact]
    public async Task SetAsync_Sequence_ShowsTheLast()
    {
        // Arrange
        LedState[] sequence = [LedState.Blink, LedState.Off, LedState.On, LedState.Blink, LedState.On];

        // Act
        foreach (LedState state in sequence)
        {
            await Led.SetAsync(state);
        }

        // Assert
        Assert.Equal(LedState.On, Observe());
    }

    [Fact]
    public async Task DisposeAsync_AfterBlink_SwitchesOff()
    {
        // Arrange
        await Led.SetAsync(LedState.Blink);

        // Act
        await Led.DisposeAsync();

        // Assert
        Assert.Equal(LedState.Off, Observe());
    }

    [Fact]
    public async Task SetAsync_UndefinedState_Throws()
    {
        // Arrange
        var bogus = (LedState)42;

        // Act
        Func<Task> set = async () => await Led.SetAsync(bogus);

        // Assert
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(set);
    }
}

/// <summary>A kernel LED class device modelled as a directory with the attribute files the kernel shows.</summary>
public sealed class SysfsIndicatorLedConformanceTests : IndicatorLedConformance
{
    internal static string CreateLedDirectory(string root, string name, string triggers = "[none] timer heartbeat default-on", string maxBrightness = "255")
    {
        string dir = Path.Combine(root, name);
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "brightness"), "0\n");
        File.WriteAllText(Path.Combine(dir, "max_brightness"), maxBrightness + "\n");
        File.WriteAllText(Path.Combine(dir, "trigger"), triggers + "\n");
        return dir;
    }

    protected override IIndicatorLed Open()
    {
        CreateLedDirectory(Dir.Path, "keycustody");
        return SysfsIndicatorLed.Open("keycustody", Dir.Path);
    }

    protected override LedState Observe()
    {
        string dir = Path.Combine(Dir.Path, "keycustody");
        string trigger = File.ReadAllText(Path.Combine(dir, "trigger")).Trim();
        string brightness = File.ReadAllText(Path.Combine(dir, "brightness")).Trim();
        return trigger switch
        {
            "timer" => LedState.Blink,
            "none" => brightness == "0" ? LedState.Off : LedState.On,
            _ => throw new InvalidOperationException($"Unexpected trigger '{trigger}'."),
        };
    }
}

/// <summary>The simulated LED, observed through its recorded state.</summary>
public sealed class SimulatedIndicatorLedConformanceTests : IndicatorLedConformance
{
    private readonly SimulatedIndicatorLed _led = new();

    protected override IIndicatorLed Open() => _led;

    protected override LedState Observe() => _led.State;
}

public sealed class SysfsIndicatorLedTests : IDisposable
{
    private readonly TempDirectory _dir = new("keycustody-sysfs-led");

    public void Dispose() => _dir.Dispose();

    private string Attribute(string name) => File.ReadAllText(Path.Combine(_dir.Path, "keycustody", name)).Trim();

    [Fact]
    public void Open_LedMissing_NotProvisionedNamingTheOverlay()
    {
        // Arrange / Act
        var ex = Assert.Throws<CustodyException>(() => SysfsIndicatorLed.Open("keycustody", _dir.Path));

        // Assert
        Assert.Equal(CustodyStatus.NotProvisioned, ex.Status);
        Assert.Contains("dtoverlay=gpio-led", ex.Message, StringComparison.Ordinal);
        Assert.Contains("label=keycustody", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("../etc")]
    [InlineData("..")]
    public void Open_NameEscapesRoot_InvalidArgument(string name)
    {
        // Arrange / Act
        var ex = Assert.Throws<CustodyException>(() => SysfsIndicatorLed.Open(name, _dir.Path));

        // Assert
        Assert.Equal(CustodyStatus.InvalidArgument, ex.Status);
    }

    [Fact]
    public async Task SetAsync_On_WritesMaxBrightnessWithTriggerNone()
    {
        // Arrange
        SysfsIndicatorLedConformanceTests.CreateLedDirectory(_dir.Path, "keycustody", maxBrightness: "255");
        await using SysfsIndicatorLed led = SysfsIndicatorLed.Open("keycustody", _dir.Path);

        // Act
        await led.SetAsync(LedState.On);

        // Assert
        Assert.Equal("none", Attribute("trigger"));
        Assert.Equal("255", Attribute("brightness"));
        Assert.Equal(LedState.On, led.State);
    }

    [Fact]
    public async Task SetAsync_BlinkWithKernelDefaultPeriod_LeavesDelaysAlone()
    {
        // Arrange
        SysfsIndicatorLedConformanceTests.CreateLedDirectory(_dir.Path, "keycustody");
        await using SysfsIndicatorLed led = SysfsIndicatorLed.Open("keycustody", _dir.Path);

        // Act
        await led.SetAsync(LedState.Blink);

        // Assert
        Assert.Equal("timer", Attribute("trigger"));
        Assert.False(File.Exists(Path.Combine(_dir.Path, "keycustody", "delay_on")));
        Assert.False(File.Exists(Path.Combine(_dir.Path, "keycustody", "delay_off")));
    }

    [Fact]
    public async Task SetAsync_BlinkWithCustomPeriod_WritesDelaysAfterTrigger()
    {
        // Arrange
        SysfsIndicatorLedConformanceTests.CreateLedDirectory(_dir.Path, "keycustody");
        await using SysfsIndicatorLed led = SysfsIndicatorLed.Open("keycustody", _dir.Path, TimeSpan.FromMilliseconds(100), TimeSpan.FromMilliseconds(900));

        // Act
        await led.SetAsync(LedState.Blink);

        // Assert
        Assert.Equal("timer", Attribute("trigger"));
        Assert.Equal("100", Attribute("delay_on"));
        Assert.Equal("900", Attribute("delay_off"));
    }

    [Fact]
    public async Task SetAsync_BlinkWithoutTimerTrigger_UnsupportedNamingTheModule()
    {
        // Arrange
        SysfsIndicatorLedConformanceTests.CreateLedDirectory(_dir.Path, "keycustody", triggers: "[none] heartbeat mmc0");
        await using SysfsIndicatorLed led = SysfsIndicatorLed.Open("keycustody", _dir.Path);

        // Act
        var ex = await Assert.ThrowsAsync<CustodyException>(async () => await led.SetAsync(LedState.Blink));

        // Assert
        Assert.Equal(CustodyStatus.Unsupported, ex.Status);
        Assert.Contains("ledtrig-timer", ex.Message, StringComparison.Ordinal);
        Assert.Equal("[none] heartbeat mmc0", Attribute("trigger"));
    }

    [Fact]
    public async Task SetAsync_SameStateAgain_WritesNothing()
    {
        // Arrange
        SysfsIndicatorLedConformanceTests.CreateLedDirectory(_dir.Path, "keycustody");
        await using SysfsIndicatorLed led = SysfsIndicatorLed.Open("keycustody", _dir.Path);
        await led.SetAsync(LedState.Blink);
        File.WriteAllText(Path.Combine(_dir.Path, "keycustody", "trigger"), "marker");

        // Act: a second Blink must not restart the kernel's blink.
        await led.SetAsync(LedState.Blink);

        // Assert
        Assert.Equal("marker", Attribute("trigger"));
    }

    [Fact]
    public async Task SetAsync_AttributeNotWritable_NotProvisionedNamingTheUdevRule()
    {
        // Arrange: root ignores file modes, so the attribute is made unwritable by being a directory.
        string dir = SysfsIndicatorLedConformanceTests.CreateLedDirectory(_dir.Path, "keycustody");
        File.Delete(Path.Combine(dir, "trigger"));
        await using SysfsIndicatorLed led = SysfsIndicatorLed.Open("keycustody", _dir.Path);
        Directory.CreateDirectory(Path.Combine(dir, "trigger"));

        // Act
        var ex = await Assert.ThrowsAsync<CustodyException>(async () => await led.SetAsync(LedState.On));

        // Assert
        Assert.Equal(CustodyStatus.NotProvisioned, ex.Status);
        Assert.Contains("90-keycustody.rules", ex.Message, StringComparison.Ordinal);
    }
}

public class SimulatedIndicatorLedTests
{
    [Fact]
    public async Task SetAsync_Changes_RecordedInHistoryAndRaisedOncePerChange()
    {
        // Arrange
        var led = new SimulatedIndicatorLed();
        var changes = new List<LedState>();
        led.StateChanged += changes.Add;

        // Act
        await led.SetAsync(LedState.Blink);
        await led.SetAsync(LedState.Blink);
        await led.SetAsync(LedState.Off);

        // Assert
        Assert.Equal([LedState.Blink, LedState.Blink, LedState.Off], led.History);
        Assert.Equal([LedState.Blink, LedState.Off], changes);
    }

    [Fact]
    public async Task NoIndicatorLed_AnyState_Accepted()
    {
        // Arrange
        await using var led = new NoIndicatorLed();

        // Act
        Exception? error = await Record.ExceptionAsync(async () =>
        {
            await led.SetAsync(LedState.Blink);
            await led.SetAsync(LedState.Off);
        });

        // Assert
        Assert.Null(error);
    }
}
