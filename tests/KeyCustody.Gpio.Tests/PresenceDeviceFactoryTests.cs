// SPDX-License-Identifier: Apache-2.0
using System.Text.Json;
using KeyCustody.Core;
using KeyCustody.Core.Ports;
using KeyCustody.Testing;

namespace KeyCustody.Gpio.Tests;

public class PresenceOptionsTests
{
    private static JsonElement Json(string text) => JsonDocument.Parse(text).RootElement;

    [Fact]
    public void ButtonFromJson_EvdevSection_ReadsEveryField()
    {
        // Arrange
        JsonElement json = Json("""{ "kind": "evdev", "device": "/dev/input/keycustody-button", "keyCode": 256, "debounceMilliseconds": 20 }""");

        // Act
        ButtonOptions options = ButtonOptions.FromJson(json);

        // Assert
        Assert.Equal(ButtonKind.Evdev, options.Kind);
        Assert.Equal("/dev/input/keycustody-button", options.Device);
        Assert.Equal(256, options.KeyCode);
        Assert.Equal(20, options.DebounceMilliseconds);
    }

    [Fact]
    public void ButtonFromJson_GpiochipSection_ReadsLineBiasAndPolarity()
    {
        // Arrange
        JsonElement json = Json("""{ "kind": "gpiochip", "name": "pinctrl-rp1", "line": 17, "bias": "pull-down", "activeLow": false }""");

        // Act
        ButtonOptions options = ButtonOptions.FromJson(json);

        // Assert
        Assert.Equal(ButtonKind.Gpiochip, options.Kind);
        Assert.Equal("pinctrl-rp1", options.Name);
        Assert.Equal(17, options.Line);
        Assert.Equal(GpioBias.PullDown, options.Bias);
        Assert.False(options.ActiveLow);
    }

    [Fact]
    public void ButtonFromJson_Defaults_EvdevKeyProg1With30MsDebounce()
    {
        // Arrange / Act
        ButtonOptions options = ButtonOptions.FromJson(Json("{}"));

        // Assert
        Assert.Equal(ButtonKind.Evdev, options.Kind);
        Assert.Equal(148, options.KeyCode);
        Assert.Equal(30, options.DebounceMilliseconds);
        Assert.True(options.ActiveLow);
        Assert.Equal(GpioBias.PullUp, options.Bias);
    }

    [Theory]
    [InlineData("""{ "kind": "evdev", "colour": "red" }""", "$.button")]
    [InlineData("""{ "kind": "usb" }""", "$.button.kind")]
    [InlineData("""{ "kind": "gpiochip" }""", "$.button.line")]
    [InlineData("""{ "kind": "gpiochip", "line": -1 }""", "$.button.line")]
    [InlineData("""{ "kind": "gpiochip", "line": 4, "bias": "sideways" }""", "$.button.bias")]
    [InlineData("""{ "kind": "simulated" }""", "$.button.socketPath")]
    [InlineData("""{ "kind": "evdev", "keyCode": 9000 }""", "$.button.keyCode")]
    [InlineData("""{ "kind": "evdev", "keyCode": "148" }""", "$.button.keyCode")]
    [InlineData("""{ "debounceMilliseconds": 5000 }""", "$.button.debounceMilliseconds")]
    [InlineData("""{ "device": "/dev/input/event0", "name": "button" }""", "$.button.name")]
    [InlineData("""[1, 2]""", "$.button")]
    public void ButtonFromJson_BadSection_InvalidArgumentNamingTheField(string text, string expectedPath)
    {
        // Arrange
        JsonElement json = Json(text);

        // Act
        var ex = Assert.Throws<CustodyException>(() => ButtonOptions.FromJson(json));

        // Assert
        Assert.Equal(CustodyStatus.InvalidArgument, ex.Status);
        Assert.StartsWith(expectedPath, ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{ "kind": "Evdev" }""", "$.button.kind: must be one of evdev, gpiochip, simulated.")]
    [InlineData("""{ "kind": "gpiochip", "line": 3, "bias": "up" }""", "$.button.bias: must be one of pull-up, pull-down, disabled, as-is.")]
    [InlineData("""{ "colour": "red" }""", "$.button.colour: is not a known setting.")]
    public void ButtonFromJson_BadValue_MessageSaysWhatIsAllowed(string text, string expected)
    {
        // Arrange
        JsonElement json = Json(text);

        // Act
        var ex = Assert.Throws<CustodyException>(() => ButtonOptions.FromJson(json));

        // Assert
        Assert.Equal(expected, ex.Message);
    }

    [Fact]
    public void LedFromJson_SysfsSection_ReadsEveryField()
    {
        // Arrange
        JsonElement json = Json("""{ "kind": "sysfs", "name": "keycustody", "root": "/sys/class/leds", "blinkOnMilliseconds": 100, "blinkOffMilliseconds": 900 }""");

        // Act
        LedOptions options = LedOptions.FromJson(json);

        // Assert
        Assert.Equal(LedKind.Sysfs, options.Kind);
        Assert.Equal("keycustody", options.Name);
        Assert.Equal(100, options.BlinkOnMilliseconds);
        Assert.Equal(900, options.BlinkOffMilliseconds);
    }

    [Theory]
    [InlineData("""{ "kind": "sysfs", "name": "../x" }""", "$.led.name")]
    [InlineData("""{ "kind": "blinkenlights" }""", "$.led.kind")]
    [InlineData("""{ "kind": "sysfs", "blinkOnMilliseconds": 0 }""", "$.led.blinkOnMilliseconds")]
    [InlineData("""{ "kind": "none", "extra": true }""", "$.led")]
    public void LedFromJson_BadSection_InvalidArgumentNamingTheField(string text, string expectedPath)
    {
        // Arrange
        JsonElement json = Json(text);

        // Act
        var ex = Assert.Throws<CustodyException>(() => LedOptions.FromJson(json));

        // Assert
        Assert.Equal(CustodyStatus.InvalidArgument, ex.Status);
        Assert.StartsWith(expectedPath, ex.Message, StringComparison.Ordinal);
    }
}

public sealed class PresenceDeviceFactoryTests : IDisposable
{
    private readonly TempDirectory _dir = new("keycustody-factory");

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task CreateButton_Simulated_ServesTheSocketTheClientPresses()
    {
        // Arrange
        var options = new ButtonOptions { Kind = ButtonKind.Simulated, SocketPath = _dir.File("button.sock") };
        await using IPresenceButton button = PresenceDeviceFactory.CreateButton(options);
        using CancellationTokenSource cts = Deadline.Start();
        await using IAsyncEnumerator<ButtonPress> presses = button.ReadPressesAsync(cts.Token).GetAsyncEnumerator(cts.Token);

        // Act
        await SimulatedButtonClient.PressAsync(options.SocketPath, SimulatedButtonClient.LongPress);
        ButtonPress press = await Deadline.NextAsync(presses);

        // Assert
        Assert.IsType<SimulatedPresenceButton>(button);
        Assert.True(press.IsLong);
    }

    [Fact]
    public async Task CreateButton_EvdevDevicePath_OpensItWithTheKeyCodeAndDebounce()
    {
        // Arrange
        string path = _dir.File("event0");
        await File.WriteAllBytesAsync(path, Records.EvdevPress(TimeSpan.FromSeconds(1_800_000_000), TimeSpan.FromMilliseconds(500), Records.KEY_A));
        var options = new ButtonOptions { Kind = ButtonKind.Evdev, Device = path, KeyCode = Records.KEY_A, DebounceMilliseconds = 10 };

        // Act
        await using IPresenceButton button = PresenceDeviceFactory.CreateButton(options);
        List<ButtonPress> presses = await Deadline.ReadToEndAsync(button);

        // Assert
        var evdev = Assert.IsType<EvdevButton>(button);
        Assert.Equal(Records.KEY_A, evdev.KeyCode);
        Assert.Equal(TimeSpan.FromMilliseconds(10), evdev.Debounce);
        Assert.Equal(TimeSpan.FromMilliseconds(500), Assert.Single(presses).Duration);
    }

    [Fact]
    public void CreateButton_EvdevMissingDevice_NotProvisionedWithPath()
    {
        // Arrange
        var options = new ButtonOptions { Kind = ButtonKind.Evdev, Device = _dir.File("event42") };

        // Act
        var ex = Assert.Throws<CustodyException>(() => PresenceDeviceFactory.CreateButton(options));

        // Assert
        Assert.Equal(CustodyStatus.NotProvisioned, ex.Status);
        Assert.Contains(options.Device!, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void CreateButton_EvdevUnknownName_NotProvisioned()
    {
        // Arrange: this machine has no input device by that name (it may have none at all).
        var options = new ButtonOptions { Kind = ButtonKind.Evdev, Name = "keycustody-no-such-button" };

        // Act
        var ex = Assert.Throws<CustodyException>(() => PresenceDeviceFactory.CreateButton(options));

        // Assert
        Assert.Equal(CustodyStatus.NotProvisioned, ex.Status);
        Assert.Contains("keycustody-no-such-button", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void CreateButton_GpiochipOnAPlainFile_Unsupported()
    {
        // Arrange
        string chip = _dir.File("gpiochip0");
        File.WriteAllBytes(chip, []);
        var options = new ButtonOptions { Kind = ButtonKind.Gpiochip, Device = chip, Line = 17 };

        // Act
        var ex = Assert.Throws<CustodyException>(() => PresenceDeviceFactory.CreateButton(options));

        // Assert
        Assert.Equal(CustodyStatus.Unsupported, ex.Status);
    }

    [Fact]
    public void CreateButton_InvalidOptions_InvalidArgumentBeforeTouchingDevices()
    {
        // Arrange
        var options = new ButtonOptions { Kind = ButtonKind.Gpiochip, Device = _dir.File("gpiochip0") };

        // Act
        var ex = Assert.Throws<CustodyException>(() => PresenceDeviceFactory.CreateButton(options));

        // Assert
        Assert.Equal(CustodyStatus.InvalidArgument, ex.Status);
        Assert.Contains("line", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CreateLed_EachKind_TheMatchingDriver()
    {
        // Arrange
        SysfsIndicatorLedConformanceTests.CreateLedDirectory(_dir.Path, "keycustody");

        // Act
        await using IIndicatorLed sysfs = PresenceDeviceFactory.CreateLed(new LedOptions { Kind = LedKind.Sysfs, Root = _dir.Path });
        await using IIndicatorLed simulated = PresenceDeviceFactory.CreateLed(new LedOptions { Kind = LedKind.Simulated });
        await using IIndicatorLed none = PresenceDeviceFactory.CreateLed(new LedOptions());

        // Assert
        Assert.Equal("keycustody", Assert.IsType<SysfsIndicatorLed>(sysfs).Name);
        Assert.IsType<SimulatedIndicatorLed>(simulated);
        Assert.IsType<NoIndicatorLed>(none);
    }

    [Fact]
    public async Task CreateLed_SysfsCustomBlink_PassesThePeriod()
    {
        // Arrange
        SysfsIndicatorLedConformanceTests.CreateLedDirectory(_dir.Path, "status");
        var options = new LedOptions { Kind = LedKind.Sysfs, Name = "status", Root = _dir.Path, BlinkOnMilliseconds = 250, BlinkOffMilliseconds = 250 };
        await using IIndicatorLed led = PresenceDeviceFactory.CreateLed(options);

        // Act
        await led.SetAsync(LedState.Blink);

        // Assert
        Assert.Equal("250", File.ReadAllText(Path.Combine(_dir.Path, "status", "delay_on")).Trim());
    }

    [Fact]
    public void CreateLed_SysfsMissing_NotProvisioned()
    {
        // Arrange
        var options = new LedOptions { Kind = LedKind.Sysfs, Root = _dir.Path };

        // Act
        var ex = Assert.Throws<CustodyException>(() => PresenceDeviceFactory.CreateLed(options));

        // Assert
        Assert.Equal(CustodyStatus.NotProvisioned, ex.Status);
    }
}

public class DeviceErrorsTests
{
    [Theory]
    [InlineData(2, "ENOENT")]
    [InlineData(19, "ENODEV")]
    [InlineData(6, "ENXIO")]
    public void OpenFailed_DeviceAbsent_NotProvisionedWithPathAndHint(int errno, string name)
    {
        // Arrange
        var native = new Interop.NativeCallException("open", "/dev/input/event3", errno);

        // Act
        var ex = DeviceErrors.OpenFailed(native, "input device", "Check the overlay.", "input");

        // Assert
        Assert.Equal(CustodyStatus.NotProvisioned, ex.Status);
        Assert.Equal($"The input device /dev/input/event3 does not exist ({name}). Check the overlay.", ex.Message);
        Assert.Same(native, ex.InnerException);
    }

    [Theory]
    [InlineData(13)]
    [InlineData(1)]
    public void OpenFailed_PermissionDenied_NamesTheUdevRuleAndGroup(int errno)
    {
        // Arrange
        var native = new Interop.NativeCallException("open", "/dev/gpiochip0", errno);

        // Act
        var ex = DeviceErrors.OpenFailed(native, "GPIO chip", "unused", "gpio");

        // Assert
        Assert.Equal(CustodyStatus.NotProvisioned, ex.Status);
        Assert.Contains("Permission denied opening the GPIO chip /dev/gpiochip0", ex.Message, StringComparison.Ordinal);
        Assert.Contains("hardware/udev/90-keycustody.rules", ex.Message, StringComparison.Ordinal);
        Assert.Contains("group 'gpio'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void OpenFailed_OtherError_DeviceFaultKeepingTheCode()
    {
        // Arrange
        var native = new Interop.NativeCallException("open", "/dev/input/event3", 5);

        // Act
        var ex = DeviceErrors.OpenFailed(native, "input device", "unused", "input");

        // Assert
        Assert.Equal(CustodyStatus.DeviceFault, ex.Status);
        Assert.Contains("open on /dev/input/event3 returned errno 5", ex.Message, StringComparison.Ordinal);
    }
}
