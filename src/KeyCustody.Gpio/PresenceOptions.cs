// SPDX-License-Identifier: Apache-2.0
using System.Text.Json;
using System.Text.Json.Serialization;
using KeyCustody.Core;

namespace KeyCustody.Gpio;

/// <summary>Which driver serves the presence button.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<ButtonKind>))]
public enum ButtonKind
{
    /// <summary>An input device (<c>/dev/input/eventN</c>), e.g. from the Raspberry Pi gpio-key overlay. The recommended wiring.</summary>
    [JsonStringEnumMemberName("evdev")]
    Evdev = 1,

    /// <summary>A bare GPIO line through the GPIO character device (<c>/dev/gpiochipN</c>).</summary>
    [JsonStringEnumMemberName("gpiochip")]
    Gpiochip = 2,

    /// <summary>A Unix socket pressed by <c>keycustody dev press</c>: development and tests only.</summary>
    [JsonStringEnumMemberName("simulated")]
    Simulated = 3,
}

/// <summary>Which driver serves the indicator LED.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<LedKind>))]
public enum LedKind
{
    /// <summary>No LED.</summary>
    [JsonStringEnumMemberName("none")]
    None = 0,

    /// <summary>A kernel LED class device (<c>/sys/class/leds/&lt;name&gt;</c>), e.g. from the gpio-led overlay.</summary>
    [JsonStringEnumMemberName("sysfs")]
    Sysfs = 1,

    /// <summary>An in-memory LED whose state the development appliance shows.</summary>
    [JsonStringEnumMemberName("simulated")]
    Simulated = 2,
}

/// <summary>
/// The <c>button</c> section of keycustody.json. Example for the wiring in hardware/README.md:
/// <c>{ "kind": "evdev", "device": "/dev/input/keycustody-button", "keyCode": 148 }</c>.
/// </summary>
public sealed record ButtonOptions
{
    /// <summary>The driver (default evdev).</summary>
    public ButtonKind Kind { get; init; } = ButtonKind.Evdev;

    /// <summary>evdev: the input device node or a /dev/input/by-path link (default
    /// <see cref="EvdevButton.DefaultDevicePath"/>, the udev rule's symlink). gpiochip: the chip node (default /dev/gpiochip0).</summary>
    public string? Device { get; init; }

    /// <summary>Instead of <see cref="Device"/>: evdev: the input device's name (EVIOCGNAME); gpiochip: the chip's
    /// label, e.g. "pinctrl-bcm2711" (Pi 4) or "pinctrl-rp1" (Pi 5).</summary>
    public string? Name { get; init; }

    /// <summary>gpiochip: the line offset on the chip (required; on a Pi the BCM GPIO number).</summary>
    public int? Line { get; init; }

    /// <summary>evdev: the key code the overlay's <c>keycode=</c> sets (default 148, KEY_PROG1).</summary>
    public int KeyCode { get; init; } = EvdevButton.DefaultKeyCode;

    /// <summary>gpiochip: true when a press pulls the line low (button to ground; default).</summary>
    public bool ActiveLow { get; init; } = true;

    /// <summary>gpiochip: the pull resistor (default pull-up).</summary>
    public GpioBias Bias { get; init; } = GpioBias.PullUp;

    /// <summary>Edges closer than this are contact bounce (0–1000, default 30).</summary>
    public int DebounceMilliseconds { get; init; } = 30;

    /// <summary>simulated: the socket path (required), e.g. &lt;state&gt;/button.sock.</summary>
    public string? SocketPath { get; init; }

    /// <summary>Reads the section from JSON (camelCase, unknown members rejected) and validates it.</summary>
    /// <param name="json">The section.</param>
    /// <param name="jsonPath">Where the section sits in its document, for error messages.</param>
    /// <exception cref="CustodyException">InvalidArgument naming the bad field.</exception>
    public static ButtonOptions FromJson(JsonElement json, string jsonPath = "$.button")
    {
        ButtonOptions options = OptionsJson.Read<ButtonOptions>(json, jsonPath);
        options.Validate(jsonPath);
        return options;
    }

    /// <summary>Checks the fields the chosen <see cref="Kind"/> needs.</summary>
    /// <exception cref="CustodyException">InvalidArgument naming the bad field.</exception>
    public void Validate(string jsonPath = "$.button")
    {
        void Fail(string field, string problem) =>
            throw new CustodyException(CustodyStatus.InvalidArgument, $"{jsonPath}.{field}: {problem}");

        if (!Enum.IsDefined(Kind))
        {
            Fail("kind", "must be evdev, gpiochip or simulated.");
        }

        if (DebounceMilliseconds is < 0 or > 1000)
        {
            Fail("debounceMilliseconds", $"{DebounceMilliseconds} is outside 0-1000.");
        }

        if (Device is not null && Name is not null && Kind != ButtonKind.Simulated)
        {
            Fail("name", "set either device or name, not both.");
        }

        switch (Kind)
        {
            case ButtonKind.Evdev:
                if (KeyCode is < 1 or > 0x2ff)
                {
                    Fail("keyCode", $"{KeyCode} is not a Linux key code (1-767).");
                }

                break;
            case ButtonKind.Gpiochip:
                if (Line is null)
                {
                    Fail("line", "is required for a gpiochip button.");
                }
                else if (Line is < 0 or > 4095)
                {
                    Fail("line", $"{Line} is not a line offset.");
                }

                if (!Enum.IsDefined(Bias))
                {
                    Fail("bias", "must be pull-up, pull-down, disabled or as-is.");
                }

                break;
            case ButtonKind.Simulated:
                if (string.IsNullOrWhiteSpace(SocketPath))
                {
                    Fail("socketPath", "is required for a simulated button.");
                }

                break;
        }
    }
}

/// <summary>
/// The <c>led</c> section of keycustody.json. Example: <c>{ "kind": "sysfs", "name": "keycustody" }</c>.
/// </summary>
public sealed record LedOptions
{
    /// <summary>The driver (default none).</summary>
    public LedKind Kind { get; init; } = LedKind.None;

    /// <summary>sysfs: the LED class device name, the overlay's <c>label=</c> (default "keycustody").</summary>
    public string Name { get; init; } = "keycustody";

    /// <summary>sysfs: the LED class directory (default /sys/class/leds).</summary>
    public string Root { get; init; } = SysfsIndicatorLed.DefaultRoot;

    /// <summary>sysfs: milliseconds on per blink (default 500, the kernel's own, which needs no write access to delay_on).</summary>
    public int BlinkOnMilliseconds { get; init; } = 500;

    /// <summary>sysfs: milliseconds off per blink (default 500).</summary>
    public int BlinkOffMilliseconds { get; init; } = 500;

    /// <summary>Reads the section from JSON (camelCase, unknown members rejected) and validates it.</summary>
    /// <exception cref="CustodyException">InvalidArgument naming the bad field.</exception>
    public static LedOptions FromJson(JsonElement json, string jsonPath = "$.led")
    {
        LedOptions options = OptionsJson.Read<LedOptions>(json, jsonPath);
        options.Validate(jsonPath);
        return options;
    }

    /// <summary>Checks the fields.</summary>
    /// <exception cref="CustodyException">InvalidArgument naming the bad field.</exception>
    public void Validate(string jsonPath = "$.led")
    {
        void Fail(string field, string problem) =>
            throw new CustodyException(CustodyStatus.InvalidArgument, $"{jsonPath}.{field}: {problem}");

        if (!Enum.IsDefined(Kind))
        {
            Fail("kind", "must be none, sysfs or simulated.");
        }

        if (Kind == LedKind.Sysfs)
        {
            if (string.IsNullOrWhiteSpace(Name) || Name.Contains('/') || Name is "." or "..")
            {
                Fail("name", $"'{Name}' is not an LED class device name.");
            }

            if (string.IsNullOrWhiteSpace(Root))
            {
                Fail("root", "must name a directory.");
            }
        }

        if (BlinkOnMilliseconds is < 1 or > 10_000)
        {
            Fail("blinkOnMilliseconds", $"{BlinkOnMilliseconds} is outside 1-10000.");
        }

        if (BlinkOffMilliseconds is < 1 or > 10_000)
        {
            Fail("blinkOffMilliseconds", $"{BlinkOffMilliseconds} is outside 1-10000.");
        }
    }
}

/// <summary>The strict JSON settings the options sections are read with (the daemon's own conventions).</summary>
internal static class OptionsJson
{
    private static readonly JsonSerializerOptions s_options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        ReadCommentHandling = JsonCommentHandling.Skip,
        NumberHandling = JsonNumberHandling.Strict,
        RespectNullableAnnotations = true,
    };

    internal static T Read<T>(JsonElement json, string jsonPath)
        where T : class
    {
        if (json.ValueKind != JsonValueKind.Object)
        {
            throw new CustodyException(CustodyStatus.InvalidArgument, $"{jsonPath}: must be an object.");
        }

        try
        {
            return json.Deserialize<T>(s_options)
                ?? throw new CustodyException(CustodyStatus.InvalidArgument, $"{jsonPath}: must be an object.");
        }
        catch (JsonException ex)
        {
            string where = ex.Path is { Length: > 1 } p ? jsonPath + p[1..] : jsonPath;
            string problem = EnumNamed(ex.Message) is { } enumType
                ? "must be one of " + string.Join(", ", JsonNames(enumType)) + "."
                : ex.Message.Contains("could not be mapped", StringComparison.Ordinal)
                    ? "is not a known setting."
                    : FirstSentence(ex.Message);
            throw new CustodyException(CustodyStatus.InvalidArgument, $"{where}: {problem}", ex);
        }
    }

    /// <summary>The options enum a "could not be converted to KeyCustody.Gpio.X" message is about, if any.</summary>
    private static Type? EnumNamed(string message) =>
        new[] { typeof(ButtonKind), typeof(LedKind), typeof(GpioBias) }
            .FirstOrDefault(t => message.Contains(t.FullName!, StringComparison.Ordinal));

    private static IEnumerable<string> JsonNames(Type enumType) =>
        enumType.GetFields(System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Static)
            .Select(f => f.GetCustomAttributes(typeof(JsonStringEnumMemberNameAttribute), false).OfType<JsonStringEnumMemberNameAttribute>().FirstOrDefault()?.Name ?? f.Name);

    private static string FirstSentence(string message)
    {
        int pathAt = message.IndexOf(" Path:", StringComparison.Ordinal);
        return pathAt > 0 ? message[..pathAt] : message;
    }
}
