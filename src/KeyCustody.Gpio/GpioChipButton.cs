// SPDX-License-Identifier: Apache-2.0
using System.Buffers.Binary;
using System.Text;
using KeyCustody.Core;
using KeyCustody.Gpio.Interop;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace KeyCustody.Gpio;

/// <summary>How the SoC biases an input line (the GPIO v2 uAPI bias flags).</summary>
[System.Text.Json.Serialization.JsonConverter(typeof(System.Text.Json.Serialization.JsonStringEnumConverter<GpioBias>))]
public enum GpioBias
{
    /// <summary>Internal pull-up: a button wired between the pin and ground reads inactive when open.</summary>
    [System.Text.Json.Serialization.JsonStringEnumMemberName("pull-up")]
    PullUp = 0,

    /// <summary>Internal pull-down: for a button wired between the pin and 3.3 V.</summary>
    [System.Text.Json.Serialization.JsonStringEnumMemberName("pull-down")]
    PullDown = 1,

    /// <summary>No bias (an external resistor is fitted).</summary>
    [System.Text.Json.Serialization.JsonStringEnumMemberName("disabled")]
    Disabled = 2,

    /// <summary>Leave the bias as the firmware or device tree set it.</summary>
    [System.Text.Json.Serialization.JsonStringEnumMemberName("as-is")]
    AsIs = 3,
}

/// <summary>
/// The presence button on a bare GPIO line through the GPIO character device v2 uAPI (<c>/dev/gpiochipN</c>,
/// https://docs.kernel.org/userspace-api/gpio/chardev.html): the line is requested as an input with both edge
/// events, active-low with the pull-up by default, and the kernel's debounce attribute set to the software
/// window; edges are read as <c>struct gpio_v2_line_event</c> records and debounced again in software (a
/// kernel that refuses the attribute still gets a clean press). Use this when no <c>gpio-key</c> overlay owns
/// the pin; with the overlay, use <see cref="EvdevButton"/> (the line is then busy here).
/// </summary>
public sealed class GpioChipButton : EdgeButton
{
    /// <summary>The consumer label the kernel shows for the requested line (gpioinfo).</summary>
    public const string Consumer = "keycustody";

    private const int LineEventSize = 48;

    private readonly string _description;

    private GpioChipButton(SafeFileDescriptorHandle lineFd, string path, string description, TimeSpan debounce, TimeProvider timeProvider, ILogger logger)
        : base(lineFd, path, debounce, timeProvider, logger)
    {
        _description = description;
    }

    /// <inheritdoc />
    public override string Description => _description;

    /// <summary>Requests <paramref name="line"/> of the GPIO chip at <paramref name="chipPath"/> for edge events.</summary>
    /// <param name="chipPath">The chip, e.g. /dev/gpiochip0 (<c>gpiodetect</c> lists them).</param>
    /// <param name="line">The line offset on that chip (on a Raspberry Pi 4 the BCM GPIO number).</param>
    /// <param name="activeLow">True when the pressed button pulls the line low (wired to ground).</param>
    /// <param name="bias">The pull resistor to enable.</param>
    /// <param name="debounce">The debounce window, also asked of the kernel; null = <see cref="DebounceFilter.DefaultWindow"/>.</param>
    /// <param name="timeProvider">Wall clock for <see cref="Core.Ports.ButtonPress.PressedAt"/>.</param>
    /// <param name="logger">Diagnostics.</param>
    /// <exception cref="CustodyException">NotProvisioned when the chip is missing or not accessible, or the line is
    /// taken; InvalidArgument when the line does not exist; Unsupported when the path is not a GPIO chip.</exception>
    public static unsafe GpioChipButton Open(
        string chipPath,
        int line,
        bool activeLow = true,
        GpioBias bias = GpioBias.PullUp,
        TimeSpan? debounce = null,
        TimeProvider? timeProvider = null,
        ILogger? logger = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(chipPath);
        ArgumentOutOfRangeException.ThrowIfNegative(line);
        logger ??= NullLogger.Instance;
        TimeSpan window = debounce ?? DebounceFilter.DefaultWindow;

        SafeFileDescriptorHandle chip;
        try
        {
            chip = FileDescriptor.OpenForReading(chipPath);
        }
        catch (NativeCallException ex)
        {
            throw DeviceErrors.OpenFailed(ex, "GPIO chip", "'gpiodetect' lists the GPIO chips; set Button.Device to one of them.", "gpio");
        }

        using (chip)
        {
            (string chipName, string chipLabel, uint lines) = GetChipInfo(chip, chipPath);
            if (line >= lines)
            {
                throw new CustodyException(CustodyStatus.InvalidArgument,
                    $"Line {line} does not exist on {chipPath} ('{chipLabel}' has lines 0-{lines - 1}); set Button.Line to the GPIO's offset on this chip.");
            }

            string description = $"gpiochip {chipPath} ({chipName} '{chipLabel}') line {line}";
            ulong flags = LineFlags(activeLow, bias);
            uint debounceUs = (uint)Math.Ceiling(window.TotalMicroseconds);
            int lineFd = RequestLine(chip, chipPath, line, flags, debounceUs, out int refusedDebounce);
            if (refusedDebounce != 0)
            {
                GpioLog.KernelDebounceRefused(logger, description, Errno.Name(refusedDebounce));
            }

            var button = new GpioChipButton(new SafeFileDescriptorHandle(lineFd), chipPath, description, window, timeProvider ?? TimeProvider.System, logger);
            GpioLog.ButtonOpened(logger, description);
            return button;
        }
    }

    /// <summary>
    /// Reads <c>struct gpio_v2_line_event</c> records straight from <paramref name="path"/> (a pipe or a file),
    /// skipping the line request: the tests' way to drive the read path without a GPIO chip.
    /// </summary>
    internal static GpioChipButton OpenEventStream(string path, TimeSpan debounce, TimeProvider timeProvider, ILogger logger)
    {
        SafeFileDescriptorHandle fd;
        try
        {
            fd = FileDescriptor.OpenForReading(path);
        }
        catch (NativeCallException ex)
        {
            throw DeviceErrors.OpenFailed(ex, "GPIO line event stream", string.Empty, "gpio");
        }

        return new GpioChipButton(fd, path, $"gpio line events from {path}", debounce, timeProvider, logger);
    }

    /// <summary>Finds the chip whose label or name is <paramref name="labelOrName"/> (e.g. "pinctrl-bcm2711", "pinctrl-rp1").</summary>
    /// <exception cref="CustodyException">NotProvisioned, listing the chips that were seen.</exception>
    public static string FindChip(string labelOrName) => FindChip(labelOrName, "/dev");

    /// <summary>The same, under another device directory.</summary>
    internal static string FindChip(string labelOrName, string devDirectory)
    {
        ArgumentException.ThrowIfNullOrEmpty(labelOrName);
        var seen = new List<string>();
        IEnumerable<string> chips = Directory.Exists(devDirectory)
            ? Directory.EnumerateFileSystemEntries(devDirectory, "gpiochip*").Order(StringComparer.Ordinal)
            : [];
        foreach (string chipPath in chips)
        {
            try
            {
                using SafeFileDescriptorHandle chip = FileDescriptor.OpenForReading(chipPath);
                (string name, string label, _) = GetChipInfo(chip, chipPath);
                seen.Add($"{name}='{label}'");
                if (label == labelOrName || name == labelOrName)
                {
                    return chipPath;
                }
            }
            catch (Exception ex) when (ex is NativeCallException or CustodyException)
            {
                // Not readable or not a chip: keep looking.
            }
        }

        string found = seen.Count == 0 ? "no GPIO chips were readable" : "found " + string.Join(", ", seen);
        throw new CustodyException(CustodyStatus.NotProvisioned,
            $"No GPIO chip is labelled '{labelOrName}' under {devDirectory} ({found}); 'gpiodetect' lists them.");
    }

    /// <summary>The v2 flags for an edge-detecting input.</summary>
    internal static ulong LineFlags(bool activeLow, GpioBias bias)
    {
        ulong flags = GpioUapi.GPIO_V2_LINE_FLAG_INPUT | GpioUapi.GPIO_V2_LINE_FLAG_EDGE_RISING | GpioUapi.GPIO_V2_LINE_FLAG_EDGE_FALLING;
        if (activeLow)
        {
            flags |= GpioUapi.GPIO_V2_LINE_FLAG_ACTIVE_LOW;
        }

        return flags | (bias switch
        {
            GpioBias.PullUp => GpioUapi.GPIO_V2_LINE_FLAG_BIAS_PULL_UP,
            GpioBias.PullDown => GpioUapi.GPIO_V2_LINE_FLAG_BIAS_PULL_DOWN,
            GpioBias.Disabled => GpioUapi.GPIO_V2_LINE_FLAG_BIAS_DISABLED,
            GpioBias.AsIs => 0UL,
            _ => throw new ArgumentOutOfRangeException(nameof(bias)),
        });
    }

    /// <summary>Fills a line request for one line, with the debounce attribute when <paramref name="debounceUs"/> is non-zero.</summary>
    internal static unsafe void BuildRequest(GpioUapi.gpio_v2_line_request* request, int line, ulong flags, uint debounceUs)
    {
        *request = default;
        request->offsets[0] = (uint)line;
        ReadOnlySpan<byte> consumer = Encoding.ASCII.GetBytes(Consumer);
        consumer.CopyTo(new Span<byte>(request->consumer, GpioUapi.GPIO_MAX_NAME_SIZE - 1));
        request->config.flags = flags;
        if (debounceUs != 0)
        {
            request->config.num_attrs = 1;
            request->config.attrs[0].attr.id = GpioUapi.GPIO_V2_LINE_ATTR_ID_DEBOUNCE;
            request->config.attrs[0].attr.debounce_period_us = debounceUs;
            request->config.attrs[0].mask = 1; // bit 0 = offsets[0]
        }

        request->num_lines = 1;
        request->event_buffer_size = 0; // the kernel's default, 16 events per line
    }

    /// <summary>The bytes <see cref="BuildRequest"/> produces (KernelAbiTests compares them with gcc's).</summary>
    internal static unsafe byte[] RequestBytes(int line, ulong flags, uint debounceUs)
    {
        GpioUapi.gpio_v2_line_request request;
        BuildRequest(&request, line, flags, debounceUs);
        return new ReadOnlySpan<byte>(&request, sizeof(GpioUapi.gpio_v2_line_request)).ToArray();
    }

    private static unsafe int RequestLine(SafeFileDescriptorHandle chip, string chipPath, int line, ulong flags, uint debounceUs, out int refusedDebounce)
    {
        refusedDebounce = 0;
        GpioUapi.gpio_v2_line_request request;
        BuildRequest(&request, line, flags, debounceUs);
        int result = FileDescriptor.Ioctl(chip, "GPIO_V2_GET_LINE_IOCTL", chipPath, GpioUapi.GPIO_V2_GET_LINE_IOCTL, &request,
            Errno.EINVAL, Errno.ENOTSUP, Errno.EBUSY, Errno.ENOTTY, Errno.EPERM, Errno.EACCES);
        if (result is -Errno.EINVAL or -Errno.ENOTSUP && debounceUs != 0)
        {
            // Some chips reject the attribute; software debounce still cleans the edges.
            refusedDebounce = -result;
            BuildRequest(&request, line, flags, debounceUs: 0);
            result = FileDescriptor.Ioctl(chip, "GPIO_V2_GET_LINE_IOCTL", chipPath, GpioUapi.GPIO_V2_GET_LINE_IOCTL, &request,
                Errno.EINVAL, Errno.ENOTSUP, Errno.EBUSY, Errno.ENOTTY, Errno.EPERM, Errno.EACCES);
        }

        if (result >= 0)
        {
            return request.fd;
        }

        int errno = -result;
        var native = new NativeCallException("ioctl(GPIO_V2_GET_LINE_IOCTL)", chipPath, errno);
        throw errno switch
        {
            Errno.EBUSY => new CustodyException(CustodyStatus.NotProvisioned,
                $"Line {line} of {chipPath} is in use by another consumer (a dtoverlay=gpio-key for the same pin?); 'gpioinfo' shows who holds it. With the overlay, use Button.Kind=evdev.", native),
            Errno.ENOTTY => NotAChip(chipPath, native),
            Errno.EPERM or Errno.EACCES => new CustodyException(CustodyStatus.NotProvisioned,
                $"The kernel refused line {line} of {chipPath} ({Errno.Name(errno)}); the line may be reserved by the firmware or the device tree.", native),
            _ => new CustodyException(CustodyStatus.Unsupported,
                $"{chipPath} refused an input request with edge events on line {line} ({Errno.Name(errno)}); the chip may not support interrupts or the chosen bias on that line.", native),
        };
    }

    private static unsafe (string Name, string Label, uint Lines) GetChipInfo(SafeFileDescriptorHandle chip, string chipPath)
    {
        GpioUapi.gpiochip_info info = default;
        int result = FileDescriptor.Ioctl(chip, "GPIO_GET_CHIPINFO_IOCTL", chipPath, GpioUapi.GPIO_GET_CHIPINFO_IOCTL, &info, Errno.ENOTTY, Errno.EINVAL);
        if (result < 0)
        {
            throw NotAChip(chipPath, new NativeCallException("ioctl(GPIO_GET_CHIPINFO_IOCTL)", chipPath, -result));
        }

        return (CString(info.name), CString(info.label), info.lines);

        static string CString(byte* text)
        {
            var bytes = new ReadOnlySpan<byte>(text, GpioUapi.GPIO_MAX_NAME_SIZE);
            int end = bytes.IndexOf((byte)0);
            return Encoding.UTF8.GetString(end >= 0 ? bytes[..end] : bytes);
        }
    }

    private static CustodyException NotAChip(string chipPath, NativeCallException native) =>
        new(CustodyStatus.Unsupported,
            $"{chipPath} is not a GPIO character device ({native.Message}); set Button.Device to a /dev/gpiochipN that 'gpiodetect' lists.", native);

    private protected override IEdgeDecoder CreateDecoder() => new GpioLineEdgeDecoder();

    private protected override DateTimeOffset ToWallClock(TimeSpan sourceTimestamp) => MonotonicClock.ToWallClock(sourceTimestamp, TimeProvider);
}

/// <summary>Decodes <c>struct gpio_v2_line_event</c> records (48 bytes, little-endian) into edges.</summary>
internal sealed class GpioLineEdgeDecoder : IEdgeDecoder
{
    private uint? _lastLineSeqno;

    /// <inheritdoc />
    public int RecordSize => 48;

    /// <inheritdoc />
    public EdgeDecodeResult Decode(ReadOnlySpan<byte> record, out RawEdge edge)
    {
        ulong timestampNs = BinaryPrimitives.ReadUInt64LittleEndian(record);
        uint id = BinaryPrimitives.ReadUInt32LittleEndian(record[8..]);
        uint lineSeqno = BinaryPrimitives.ReadUInt32LittleEndian(record[20..]);

        // line_seqno counts this line's events from 1; a gap means the kernel's event buffer overflowed.
        EdgeDecodeResult result = _lastLineSeqno is uint last && lineSeqno != unchecked(last + 1)
            ? EdgeDecodeResult.EventsLost
            : EdgeDecodeResult.Ignored;
        _lastLineSeqno = lineSeqno;

        var timestamp = TimeSpan.FromTicks((long)(timestampNs / 100));
        switch (id)
        {
            case GpioUapi.GPIO_V2_LINE_EVENT_RISING_EDGE:
                edge = new RawEdge(timestamp, IsDown: true);
                return result | EdgeDecodeResult.Edge;
            case GpioUapi.GPIO_V2_LINE_EVENT_FALLING_EDGE:
                edge = new RawEdge(timestamp, IsDown: false);
                return result | EdgeDecodeResult.Edge;
            default:
                edge = default;
                return result;
        }
    }
}
