// SPDX-License-Identifier: Apache-2.0
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace KeyCustody.Gpio.Interop;

/// <summary>
/// The GPIO character device v2 user API of linux/gpio.h (kernel 5.10+;
/// https://docs.kernel.org/userspace-api/gpio/chardev.html). Struct layouts are the header's, field for field;
/// KernelAbiTests compiles the real header with gcc and compares sizes, offsets and request numbers.
/// </summary>
internal static unsafe class GpioUapi
{
    internal const int GPIO_MAX_NAME_SIZE = 32;
    internal const int GPIO_V2_LINES_MAX = 64;
    internal const int GPIO_V2_LINE_NUM_ATTRS_MAX = 10;

    internal const ulong GPIO_V2_LINE_FLAG_USED = 1UL << 0;
    internal const ulong GPIO_V2_LINE_FLAG_ACTIVE_LOW = 1UL << 1;
    internal const ulong GPIO_V2_LINE_FLAG_INPUT = 1UL << 2;
    internal const ulong GPIO_V2_LINE_FLAG_OUTPUT = 1UL << 3;
    internal const ulong GPIO_V2_LINE_FLAG_EDGE_RISING = 1UL << 4;
    internal const ulong GPIO_V2_LINE_FLAG_EDGE_FALLING = 1UL << 5;
    internal const ulong GPIO_V2_LINE_FLAG_BIAS_PULL_UP = 1UL << 8;
    internal const ulong GPIO_V2_LINE_FLAG_BIAS_PULL_DOWN = 1UL << 9;
    internal const ulong GPIO_V2_LINE_FLAG_BIAS_DISABLED = 1UL << 10;
    internal const ulong GPIO_V2_LINE_FLAG_EVENT_CLOCK_REALTIME = 1UL << 11;

    internal const uint GPIO_V2_LINE_ATTR_ID_FLAGS = 1;
    internal const uint GPIO_V2_LINE_ATTR_ID_OUTPUT_VALUES = 2;
    internal const uint GPIO_V2_LINE_ATTR_ID_DEBOUNCE = 3;

    /// <summary>Rising edge = the line became active (with ACTIVE_LOW: the button went down).</summary>
    internal const uint GPIO_V2_LINE_EVENT_RISING_EDGE = 1;

    /// <summary>Falling edge = the line became inactive (the button came up).</summary>
    internal const uint GPIO_V2_LINE_EVENT_FALLING_EDGE = 2;

    private const uint Type = 0xB4;

    /// <summary>GPIO_GET_CHIPINFO_IOCTL.</summary>
    internal static uint GPIO_GET_CHIPINFO_IOCTL => Ioctl.IOR(Type, 0x01, (uint)sizeof(gpiochip_info));

    /// <summary>GPIO_V2_GET_LINE_IOCTL: request lines; the kernel returns a line descriptor in <c>fd</c>.</summary>
    internal static uint GPIO_V2_GET_LINE_IOCTL => Ioctl.IOWR(Type, 0x07, (uint)sizeof(gpio_v2_line_request));

    /// <summary>struct gpiochip_info.</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct gpiochip_info
    {
        public fixed byte name[GPIO_MAX_NAME_SIZE];
        public fixed byte label[GPIO_MAX_NAME_SIZE];
        public uint lines;
    }

    /// <summary>struct gpio_v2_line_attribute; the union is <c>flags</c>, <c>values</c> or <c>debounce_period_us</c>.</summary>
    [StructLayout(LayoutKind.Explicit, Size = 16)]
    internal struct gpio_v2_line_attribute
    {
        [FieldOffset(0)] public uint id;
        [FieldOffset(4)] public uint padding;
        [FieldOffset(8)] public ulong flags;
        [FieldOffset(8)] public ulong values;
        [FieldOffset(8)] public uint debounce_period_us;
    }

    /// <summary>struct gpio_v2_line_config_attribute.</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct gpio_v2_line_config_attribute
    {
        public gpio_v2_line_attribute attr;
        public ulong mask;
    }

    /// <summary>The <c>attrs[GPIO_V2_LINE_NUM_ATTRS_MAX]</c> array.</summary>
    [InlineArray(GPIO_V2_LINE_NUM_ATTRS_MAX)]
    internal struct gpio_v2_line_config_attributes
    {
        private gpio_v2_line_config_attribute _element0;
    }

    /// <summary>struct gpio_v2_line_config.</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct gpio_v2_line_config
    {
        public ulong flags;
        public uint num_attrs;
        public fixed uint padding[5];
        public gpio_v2_line_config_attributes attrs;
    }

    /// <summary>struct gpio_v2_line_request.</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct gpio_v2_line_request
    {
        public fixed uint offsets[GPIO_V2_LINES_MAX];
        public fixed byte consumer[GPIO_MAX_NAME_SIZE];
        public gpio_v2_line_config config;
        public uint num_lines;
        public uint event_buffer_size;
        public fixed uint padding[5];
        public int fd;
    }

    /// <summary>struct gpio_v2_line_event, what read(2) on a line descriptor returns.</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct gpio_v2_line_event
    {
        public ulong timestamp_ns;
        public uint id;
        public uint offset;
        public uint seqno;
        public uint line_seqno;
        public fixed uint padding[6];
    }

    /// <summary>Byte offsets of the fields KernelAbiTests checks against the C header, keyed "struct.field".</summary>
    internal static IReadOnlyDictionary<string, int> FieldOffsets()
    {
        gpio_v2_line_request request = default;
        gpio_v2_line_event lineEvent = default;
        gpio_v2_line_config config = default;
        gpio_v2_line_attribute attribute = default;
        gpiochip_info chip = default;
        byte* r = (byte*)&request;
        byte* e = (byte*)&lineEvent;
        byte* c = (byte*)&config;
        byte* a = (byte*)&attribute;
        byte* i = (byte*)&chip;
        return new Dictionary<string, int>
        {
            ["gpio_v2_line_request.consumer"] = (int)((byte*)request.consumer - r),
            ["gpio_v2_line_request.config"] = (int)((byte*)&request.config - r),
            ["gpio_v2_line_request.num_lines"] = (int)((byte*)&request.num_lines - r),
            ["gpio_v2_line_request.event_buffer_size"] = (int)((byte*)&request.event_buffer_size - r),
            ["gpio_v2_line_request.fd"] = (int)((byte*)&request.fd - r),
            ["gpio_v2_line_config.num_attrs"] = (int)((byte*)&config.num_attrs - c),
            ["gpio_v2_line_config.attrs"] = (int)((byte*)&config.attrs - c),
            ["gpio_v2_line_attribute.flags"] = (int)((byte*)&attribute.flags - a),
            ["gpio_v2_line_attribute.debounce_period_us"] = (int)((byte*)&attribute.debounce_period_us - a),
            ["gpio_v2_line_event.id"] = (int)((byte*)&lineEvent.id - e),
            ["gpio_v2_line_event.offset"] = (int)((byte*)&lineEvent.offset - e),
            ["gpio_v2_line_event.seqno"] = (int)((byte*)&lineEvent.seqno - e),
            ["gpio_v2_line_event.line_seqno"] = (int)((byte*)&lineEvent.line_seqno - e),
            ["gpiochip_info.label"] = (int)((byte*)chip.label - i),
            ["gpiochip_info.lines"] = (int)((byte*)&chip.lines - i),
        };
    }

    /// <summary>Sizes of the structs, keyed by C name.</summary>
    internal static IReadOnlyDictionary<string, int> StructSizes() => new Dictionary<string, int>
    {
        ["gpiochip_info"] = sizeof(gpiochip_info),
        ["gpio_v2_line_attribute"] = sizeof(gpio_v2_line_attribute),
        ["gpio_v2_line_config_attribute"] = sizeof(gpio_v2_line_config_attribute),
        ["gpio_v2_line_config"] = sizeof(gpio_v2_line_config),
        ["gpio_v2_line_request"] = sizeof(gpio_v2_line_request),
        ["gpio_v2_line_event"] = sizeof(gpio_v2_line_event),
    };
}
