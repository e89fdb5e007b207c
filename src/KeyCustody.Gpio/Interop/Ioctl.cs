// SPDX-License-Identifier: Apache-2.0
namespace KeyCustody.Gpio.Interop;

/// <summary>
/// The _IOC request encoding of asm-generic/ioctl.h (x86-64, arm64, 32-bit ARM; not MIPS/PowerPC/SPARC):
/// direction in bits 30–31, argument size in bits 16–29, type in bits 8–15, number in bits 0–7.
/// </summary>
internal static class Ioctl
{
    private const uint None = 0;
    private const uint Write = 1;
    private const uint Read = 2;

    /// <summary>_IOC(dir, type, nr, size).</summary>
    internal static uint Encode(uint direction, uint type, uint number, uint size) =>
        (direction << 30) | (size << 16) | (type << 8) | number;

    /// <summary>_IO(type, nr).</summary>
    internal static uint IO(uint type, uint number) => Encode(None, type, number, 0);

    /// <summary>_IOR(type, nr, size): the kernel writes the argument.</summary>
    internal static uint IOR(uint type, uint number, uint size) => Encode(Read, type, number, size);

    /// <summary>_IOW(type, nr, size): the kernel reads the argument.</summary>
    internal static uint IOW(uint type, uint number, uint size) => Encode(Write, type, number, size);

    /// <summary>_IOWR(type, nr, size): both.</summary>
    internal static uint IOWR(uint type, uint number, uint size) => Encode(Read | Write, type, number, size);
}
