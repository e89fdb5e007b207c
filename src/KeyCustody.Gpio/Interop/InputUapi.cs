// SPDX-License-Identifier: Apache-2.0
using System.Buffers.Binary;

namespace KeyCustody.Gpio.Interop;

/// <summary>
/// The evdev user API of linux/input.h and linux/input-event-codes.h
/// (https://www.kernel.org/doc/html/latest/input/input.html, "Event interface").
/// </summary>
internal static class InputUapi
{
    internal const ushort EV_SYN = 0x00;
    internal const ushort EV_KEY = 0x01;
    internal const ushort EV_MAX = 0x1f;
    internal const ushort SYN_REPORT = 0;
    internal const ushort SYN_DROPPED = 3;
    internal const int KEY_ENTER = 28;
    internal const int KEY_POWER = 116;
    internal const int KEY_PROG1 = 148;
    internal const int KEY_MAX = 0x2ff;

    /// <summary>Key values in <c>input_event.value</c>: release, press, autorepeat.</summary>
    internal const int KeyUp = 0;
    internal const int KeyDown = 1;
    internal const int KeyRepeat = 2;

    private const uint E = 'E';

    /// <summary>Bytes of <c>struct input_event</c> for the kernel ABI this process speaks: a timeval of two native
    /// <c>long</c>s (the kernel keeps <c>__kernel_ulong_t</c> seconds even for 64-bit-time_t 32-bit userspace),
    /// then u16 type, u16 code, s32 value: 24 bytes on 64-bit, 16 on 32-bit.</summary>
    internal static int InputEventSize => (2 * IntPtr.Size) + 8;

    /// <summary>EVIOCGNAME(len): the device name.</summary>
    internal static uint EVIOCGNAME(uint length) => Ioctl.IOR(E, 0x06, length);

    /// <summary>EVIOCGBIT(ev, len): the capability bitmap of event type <paramref name="eventType"/> (0 = event types).</summary>
    internal static uint EVIOCGBIT(uint eventType, uint length) => Ioctl.IOR(E, 0x20 + eventType, length);

    /// <summary>EVIOCSCLOCKID: which clock stamps events (the default is CLOCK_REALTIME).</summary>
    internal static uint EVIOCSCLOCKID => Ioctl.IOW(E, 0xa0, sizeof(int));

    /// <summary>One decoded <c>struct input_event</c>.</summary>
    internal readonly record struct InputEvent(long Seconds, long Microseconds, ushort Type, ushort Code, int Value)
    {
        /// <summary>The event's timestamp as a span since the clock's epoch.</summary>
        public TimeSpan Timestamp => TimeSpan.FromSeconds(Seconds) + TimeSpan.FromMicroseconds(Microseconds);
    }

    /// <summary>Decodes one record of <see cref="InputEventSize"/> bytes (little-endian, as on every architecture KeyCustody targets).</summary>
    internal static InputEvent Read(ReadOnlySpan<byte> record)
    {
        if (IntPtr.Size == 8)
        {
            return new InputEvent(
                BinaryPrimitives.ReadInt64LittleEndian(record),
                BinaryPrimitives.ReadInt64LittleEndian(record[8..]),
                BinaryPrimitives.ReadUInt16LittleEndian(record[16..]),
                BinaryPrimitives.ReadUInt16LittleEndian(record[18..]),
                BinaryPrimitives.ReadInt32LittleEndian(record[20..]));
        }

        return new InputEvent(
            BinaryPrimitives.ReadUInt32LittleEndian(record),
            BinaryPrimitives.ReadUInt32LittleEndian(record[4..]),
            BinaryPrimitives.ReadUInt16LittleEndian(record[8..]),
            BinaryPrimitives.ReadUInt16LittleEndian(record[10..]),
            BinaryPrimitives.ReadInt32LittleEndian(record[12..]));
    }
}
