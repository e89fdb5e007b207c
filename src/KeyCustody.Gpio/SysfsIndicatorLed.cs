// SPDX-License-Identifier: Apache-2.0
using KeyCustody.Core;
using KeyCustody.Core.Ports;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace KeyCustody.Gpio;

/// <summary>
/// The indicator LED through the kernel LED class (https://docs.kernel.org/leds/leds-class.html), e.g. the one
/// the Raspberry Pi <c>gpio-led</c> overlay creates as <c>/sys/class/leds/&lt;label&gt;</c>. Off and On write
/// trigger "none" and then the brightness; Blink hands the LED to the kernel's "timer" trigger (delay_on and
/// delay_off in milliseconds, same document), so it blinks without the daemon waking up.
/// </summary>
public sealed class SysfsIndicatorLed : IIndicatorLed
{
    /// <summary>Where the kernel lists LED class devices.</summary>
    public const string DefaultRoot = "/sys/class/leds";

    /// <summary>The timer trigger's own default period (ms on and off) when delay_on/delay_off are not written.</summary>
    public static readonly TimeSpan KernelDefaultBlinkHalfPeriod = TimeSpan.FromMilliseconds(500);

    private readonly string _directory;
    private readonly string _maxBrightness;
    private readonly TimeSpan _blinkOn;
    private readonly TimeSpan _blinkOff;
    private readonly bool _timerAvailable;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private LedState? _current;
    private bool _disposed;

    private SysfsIndicatorLed(string name, string directory, string maxBrightness, bool timerAvailable, TimeSpan blinkOn, TimeSpan blinkOff, ILogger logger)
    {
        Name = name;
        _directory = directory;
        _maxBrightness = maxBrightness;
        _timerAvailable = timerAvailable;
        _blinkOn = blinkOn;
        _blinkOff = blinkOff;
        _logger = logger;
    }

    /// <summary>The LED's name (its directory under the root).</summary>
    public string Name { get; }

    /// <summary>The last state set, or null before the first <see cref="SetAsync"/>.</summary>
    public LedState? State => _current;

    /// <summary>Opens the LED <paramref name="name"/> under <paramref name="root"/> and checks it can be driven.</summary>
    /// <param name="name">The LED class device name (the overlay's <c>label=</c>).</param>
    /// <param name="root">The LED class directory; tests point it at a temporary tree.</param>
    /// <param name="blinkOn">Time on per blink; null = the kernel's 500 ms (then delay_on is not written).</param>
    /// <param name="blinkOff">Time off per blink; null = the kernel's 500 ms.</param>
    /// <param name="logger">Diagnostics.</param>
    /// <exception cref="CustodyException">NotProvisioned when the LED or its brightness attribute does not exist.</exception>
    public static SysfsIndicatorLed Open(string name, string root = DefaultRoot, TimeSpan? blinkOn = null, TimeSpan? blinkOff = null, ILogger? logger = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentException.ThrowIfNullOrEmpty(root);
        if (name.Contains('/') || name is "." or "..")
        {
            throw new CustodyException(CustodyStatus.InvalidArgument, $"'{name}' is not an LED name; use the label= of the dtoverlay=gpio-led line.");
        }

        string directory = Path.Combine(root, name);
        if (!Directory.Exists(directory) || !File.Exists(Path.Combine(directory, "brightness")))
        {
            throw new CustodyException(CustodyStatus.NotProvisioned,
                $"The LED '{name}' does not exist under {root}; add 'dtoverlay=gpio-led,gpio=<pin>,label={name}' to config.txt (see hardware/README.md) or set Led.Kind to none.");
        }

        string max = TryRead(Path.Combine(directory, "max_brightness"))?.Trim() is { Length: > 0 } text ? text : "1";

        // The trigger attribute lists every trigger the kernel has, the active one in brackets.
        string? triggers = TryRead(Path.Combine(directory, "trigger"));
        bool timer = triggers is null || triggers.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Any(t => t.Trim('[', ']') == "timer");
        return new SysfsIndicatorLed(name, directory, max, timer,
            blinkOn ?? KernelDefaultBlinkHalfPeriod, blinkOff ?? KernelDefaultBlinkHalfPeriod, logger ?? NullLogger.Instance);
    }

    /// <summary>Sets the LED; setting the state it already shows writes nothing (so a blink does not restart).</summary>
    /// <exception cref="CustodyException">NotProvisioned when sysfs refuses the write (permissions); Unsupported
    /// for Blink when the kernel has no timer trigger.</exception>
    public async ValueTask SetAsync(LedState state, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_current == state)
            {
                return;
            }

            switch (state)
            {
                case LedState.Off:
                    Write("trigger", "none");
                    Write("brightness", "0");
                    break;
                case LedState.On:
                    Write("trigger", "none");
                    Write("brightness", _maxBrightness);
                    break;
                case LedState.Blink:
                    if (!_timerAvailable)
                    {
                        throw new CustodyException(CustodyStatus.Unsupported,
                            $"The kernel offers no 'timer' trigger for LED '{Name}'; load it with 'modprobe ledtrig-timer' (CONFIG_LEDS_TRIGGER_TIMER).");
                    }

                    Write("trigger", "timer");

                    // delay_on/delay_off appear when the timer trigger activates, owned by root: write them only
                    // when asked for a period other than the kernel's, so the default needs no extra udev rule.
                    if (_blinkOn != KernelDefaultBlinkHalfPeriod || _blinkOff != KernelDefaultBlinkHalfPeriod)
                    {
                        Write("delay_on", ((long)_blinkOn.TotalMilliseconds).ToString(System.Globalization.CultureInfo.InvariantCulture));
                        Write("delay_off", ((long)_blinkOff.TotalMilliseconds).ToString(System.Globalization.CultureInfo.InvariantCulture));
                    }

                    break;
                default:
                    throw new ArgumentOutOfRangeException(nameof(state), state, "Unknown LED state.");
            }

            _current = state;
            GpioLog.LedSet(_logger, Name, state);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Switches the LED off (nothing awaits presence once the daemon stops).</summary>
    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        try
        {
            await SetAsync(LedState.Off).ConfigureAwait(false);
        }
        catch (CustodyException ex)
        {
            GpioLog.LedOffFailed(_logger, Name, ex);
        }

        _disposed = true;
        _gate.Dispose();
    }

    private void Write(string attribute, string value)
    {
        string path = Path.Combine(_directory, attribute);
        try
        {
            // Like `echo value > attribute`: sysfs takes the whole value in one write(2).
            File.WriteAllText(path, value + "\n");
        }
        catch (UnauthorizedAccessException ex)
        {
            throw new CustodyException(CustodyStatus.NotProvisioned,
                $"Permission denied writing {path}. Install hardware/udev/90-keycustody.rules as {DeviceErrors.UdevRule} (it gives group 'keycustody' the LED's brightness and trigger) and reboot or run 'udevadm trigger'.", ex);
        }
        catch (IOException ex)
        {
            throw new CustodyException(CustodyStatus.DeviceFault, $"Writing '{value}' to {path} failed: {ex.Message}", ex);
        }
    }

    private static string? TryRead(string path)
    {
        try
        {
            return File.Exists(path) ? File.ReadAllText(path) : null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
