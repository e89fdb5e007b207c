// SPDX-License-Identifier: Apache-2.0
using System.Text;
using KeyCustody.Core;
using KeyCustody.Gpio.Interop;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace KeyCustody.Gpio;

/// <summary>
/// The presence button as a Linux input device (<c>/dev/input/eventN</c>), which is what the Raspberry Pi
/// <c>gpio-key</c> overlay creates: the kernel's gpio-keys driver owns the GPIO, handles the interrupt and its
/// own debounce, and reports <c>EV_KEY</c> events with the configured key code. This driver reads
/// <c>struct input_event</c> records, takes down (1) and up (0) of its key code, ignores autorepeat (2) and
/// other keys, and reports completed presses. See https://www.kernel.org/doc/html/latest/input/input.html.
/// </summary>
public sealed class EvdevButton : EdgeButton
{
    private readonly int _keyCode;
    private readonly bool _monotonic;
    private readonly string _description;

    private EvdevButton(SafeFileDescriptorHandle fd, string path, string? deviceName, int keyCode, bool monotonic, TimeSpan debounce, TimeProvider timeProvider, ILogger logger)
        : base(fd, path, debounce, timeProvider, logger)
    {
        _keyCode = keyCode;
        _monotonic = monotonic;
        DeviceName = deviceName;
        _description = deviceName is null
            ? $"evdev {path} (key {keyCode})"
            : $"evdev {path} '{deviceName}' (key {keyCode})";
    }

    /// <summary>KEY_PROG1: a key no console, desktop or logind binding reacts to, so a press cannot log anyone
    /// in, submit a prompt or power the box off (KEY_ENTER, KEY_POWER would).</summary>
    public const int DefaultKeyCode = InputUapi.KEY_PROG1;

    /// <summary>The device node the udev rule in hardware/udev links to the button.</summary>
    public const string DefaultDevicePath = "/dev/input/keycustody-button";

    /// <inheritdoc />
    public override string Description => _description;

    /// <summary>The name the kernel reports (EVIOCGNAME), or null when the path is not an input device.</summary>
    public string? DeviceName { get; }

    /// <summary>The key code this driver listens to.</summary>
    public int KeyCode => _keyCode;

    /// <summary>
    /// Opens the input device at <paramref name="path"/> (a device node or a /dev/input/by-path link).
    /// A path that is not an input device (a pipe, a file) is read as a stream of records with wall-clock
    /// timestamps; tests use this.
    /// </summary>
    /// <exception cref="CustodyException">NotProvisioned when the device is missing, not readable or cannot emit
    /// <paramref name="keyCode"/>; DeviceFault for other failures.</exception>
    public static EvdevButton Open(string path, int keyCode = DefaultKeyCode, TimeSpan? debounce = null, TimeProvider? timeProvider = null, ILogger? logger = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(keyCode);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(keyCode, InputUapi.KEY_MAX);
        logger ??= NullLogger.Instance;

        SafeFileDescriptorHandle fd;
        try
        {
            fd = FileDescriptor.OpenForReading(path);
        }
        catch (NativeCallException ex)
        {
            throw DeviceErrors.OpenFailed(ex, "input device", "Check the dtoverlay=gpio-key line in config.txt and the udev rule's symlink; 'ls -l /dev/input/by-path' lists the input devices.", "input");
        }

        try
        {
            string? name = TryGetName(fd, path);
            if (name is null)
            {
                GpioLog.NotAnInputDevice(logger, path);
            }

            EnsureCanEmit(fd, path, keyCode);

            // Durations in CLOCK_MONOTONIC cannot be stretched by an NTP step; a non-device keeps wall-clock stamps.
            bool monotonic = TrySetMonotonicClock(fd, path);
            var button = new EvdevButton(fd, path, name, keyCode, monotonic, debounce ?? DebounceFilter.DefaultWindow, timeProvider ?? TimeProvider.System, logger);
            GpioLog.ButtonOpened(logger, button.Description);
            return button;
        }
        catch
        {
            fd.Dispose();
            throw;
        }
    }

    /// <summary>Finds the input device named <paramref name="name"/> (see <see cref="EvdevDeviceLocator"/>) and opens it.</summary>
    public static EvdevButton OpenByName(string name, int keyCode = DefaultKeyCode, TimeSpan? debounce = null, TimeProvider? timeProvider = null, ILogger? logger = null) =>
        Open(EvdevDeviceLocator.FindByName(name), keyCode, debounce, timeProvider, logger);

    private protected override IEdgeDecoder CreateDecoder() => new EvdevEdgeDecoder(_keyCode);

    private protected override DateTimeOffset ToWallClock(TimeSpan sourceTimestamp) => _monotonic
        ? MonotonicClock.ToWallClock(sourceTimestamp, TimeProvider)
        : DateTimeOffset.UnixEpoch + sourceTimestamp;

    /// <summary>EVIOCGNAME; null when the descriptor is not an input device.</summary>
    internal static unsafe string? TryGetName(SafeFileDescriptorHandle fd, string path)
    {
        const int Size = 256;
        byte* name = stackalloc byte[Size];
        new Span<byte>(name, Size).Clear();
        int length = FileDescriptor.Ioctl(fd, "EVIOCGNAME", path, InputUapi.EVIOCGNAME(Size - 1), name, Errno.ENOTTY, Errno.EINVAL);
        if (length < 0)
        {
            return null;
        }

        var bytes = new ReadOnlySpan<byte>(name, Size - 1);
        int end = bytes.IndexOf((byte)0);
        return Encoding.UTF8.GetString(end >= 0 ? bytes[..end] : bytes);
    }

    private static unsafe void EnsureCanEmit(SafeFileDescriptorHandle fd, string path, int keyCode)
    {
        const int Size = (InputUapi.KEY_MAX / 8) + 1;
        byte* bits = stackalloc byte[Size];
        new Span<byte>(bits, Size).Clear();
        int result = FileDescriptor.Ioctl(fd, "EVIOCGBIT(EV_KEY)", path, InputUapi.EVIOCGBIT(InputUapi.EV_KEY, Size), bits, Errno.ENOTTY, Errno.EINVAL);
        if (result < 0)
        {
            return;
        }

        if ((bits[keyCode / 8] & (1 << (keyCode % 8))) == 0)
        {
            throw new CustodyException(CustodyStatus.NotProvisioned,
                $"The input device {path} cannot emit key code {keyCode}; set keycode={keyCode} on the dtoverlay=gpio-key line in config.txt or change Button.KeyCode.");
        }
    }

    private static unsafe bool TrySetMonotonicClock(SafeFileDescriptorHandle fd, string path)
    {
        int clock = Libc.CLOCK_MONOTONIC;
        return FileDescriptor.Ioctl(fd, "EVIOCSCLOCKID", path, InputUapi.EVIOCSCLOCKID, &clock, Errno.ENOTTY, Errno.EINVAL) >= 0;
    }
}

/// <summary>Decodes <c>struct input_event</c> records into edges of one key.</summary>
internal sealed class EvdevEdgeDecoder : IEdgeDecoder
{
    private readonly int _keyCode;
    private bool _dropping;

    internal EvdevEdgeDecoder(int keyCode) => _keyCode = keyCode;

    /// <inheritdoc />
    public int RecordSize => InputUapi.InputEventSize;

    /// <inheritdoc />
    public EdgeDecodeResult Decode(ReadOnlySpan<byte> record, out RawEdge edge)
    {
        edge = default;
        InputUapi.InputEvent e = InputUapi.Read(record);
        if (e.Type == InputUapi.EV_SYN)
        {
            if (e.Code == InputUapi.SYN_DROPPED)
            {
                // The client buffer overflowed: discard everything up to the next SYN_REPORT
                // (https://www.kernel.org/doc/html/latest/input/event-codes.html#ev-syn).
                _dropping = true;
                return EdgeDecodeResult.EventsLost;
            }

            if (e.Code == InputUapi.SYN_REPORT)
            {
                _dropping = false;
            }

            return EdgeDecodeResult.Ignored;
        }

        if (_dropping || e.Type != InputUapi.EV_KEY || e.Code != _keyCode)
        {
            return EdgeDecodeResult.Ignored;
        }

        switch (e.Value)
        {
            case InputUapi.KeyDown:
                edge = new RawEdge(e.Timestamp, IsDown: true);
                return EdgeDecodeResult.Edge;
            case InputUapi.KeyUp:
                edge = new RawEdge(e.Timestamp, IsDown: false);
                return EdgeDecodeResult.Edge;
            default:
                // Autorepeat (2) says nothing new about the contact.
                return EdgeDecodeResult.Ignored;
        }
    }
}
