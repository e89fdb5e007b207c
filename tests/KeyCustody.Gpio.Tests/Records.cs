// SPDX-License-Identifier: Apache-2.0
using System.Buffers.Binary;

namespace KeyCustody.Gpio.Tests;

/// <summary>
/// Builds the binary records the kernel delivers, written out field by field from linux/input.h and linux/gpio.h
/// (64-bit layouts; KernelAbiTests checks them against gcc). Deliberately independent of the driver's decoders.
/// </summary>
internal static class Records
{
    internal const ushort EV_SYN = 0;
    internal const ushort EV_KEY = 1;
    internal const ushort SYN_REPORT = 0;
    internal const ushort SYN_DROPPED = 3;
    internal const ushort KEY_PROG1 = 148;
    internal const ushort KEY_A = 30;

    /// <summary>struct input_event: timeval { s64 sec; s64 usec; } u16 type; u16 code; s32 value — 24 bytes.</summary>
    internal static byte[] InputEvent(TimeSpan timestamp, ushort type, ushort code, int value)
    {
        var record = new byte[24];
        long micros = timestamp.Ticks / 10;
        BinaryPrimitives.WriteInt64LittleEndian(record, micros / 1_000_000);
        BinaryPrimitives.WriteInt64LittleEndian(record.AsSpan(8), micros % 1_000_000);
        BinaryPrimitives.WriteUInt16LittleEndian(record.AsSpan(16), type);
        BinaryPrimitives.WriteUInt16LittleEndian(record.AsSpan(18), code);
        BinaryPrimitives.WriteInt32LittleEndian(record.AsSpan(20), value);
        return record;
    }

    /// <summary>A key event followed by its SYN_REPORT, as the kernel sends them.</summary>
    internal static byte[] Key(TimeSpan timestamp, int value, ushort code = KEY_PROG1) =>
        [.. InputEvent(timestamp, EV_KEY, code, value), .. InputEvent(timestamp, EV_SYN, SYN_REPORT, 0)];

    /// <summary>A complete evdev press: down at <paramref name="downAt"/>, up after <paramref name="duration"/>.</summary>
    internal static byte[] EvdevPress(TimeSpan downAt, TimeSpan duration, ushort code = KEY_PROG1) =>
        [.. Key(downAt, 1, code), .. Key(downAt + duration, 0, code)];

    /// <summary>struct gpio_v2_line_event: u64 timestamp_ns; u32 id, offset, seqno, line_seqno; u32 padding[6] — 48 bytes.</summary>
    internal static byte[] LineEvent(TimeSpan timestamp, bool rising, uint lineSeqno, uint offset = 17)
    {
        var record = new byte[48];
        BinaryPrimitives.WriteUInt64LittleEndian(record, (ulong)timestamp.Ticks * 100);
        BinaryPrimitives.WriteUInt32LittleEndian(record.AsSpan(8), rising ? 1u : 2u);
        BinaryPrimitives.WriteUInt32LittleEndian(record.AsSpan(12), offset);
        BinaryPrimitives.WriteUInt32LittleEndian(record.AsSpan(16), lineSeqno);
        BinaryPrimitives.WriteUInt32LittleEndian(record.AsSpan(20), lineSeqno);
        return record;
    }

    /// <summary>The current wall-clock time as evdev stamps it by default (CLOCK_REALTIME, microseconds).</summary>
    internal static TimeSpan RealtimeNow() => TimeSpan.FromTicks((DateTimeOffset.UtcNow - DateTimeOffset.UnixEpoch).Ticks / 10 * 10);
}
