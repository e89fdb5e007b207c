// SPDX-License-Identifier: Apache-2.0
using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace KeyCustody.Gpio.Interop;

/// <summary>What kind of file a path names, from statx(2) without following a final symlink. .NET's file APIs
/// report a socket as an ordinary file, and the simulated button must never delete anything but its own socket.</summary>
internal static unsafe class FileType
{
    /// <summary>True when <paramref name="path"/> exists and is a Unix-domain socket.</summary>
    internal static bool IsSocket(string path)
    {
        byte* buffer = stackalloc byte[Libc.StatxSize];
        new Span<byte>(buffer, Libc.StatxSize).Clear();
        if (Libc.statx(Libc.AT_FDCWD, path, Libc.AT_SYMLINK_NOFOLLOW, Libc.STATX_TYPE, buffer) != 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            if (errno is Errno.ENOENT or Errno.ENOTDIR)
            {
                return false;
            }

            throw new NativeCallException("statx", path, errno);
        }

        ushort mode = BinaryPrimitives.ReadUInt16LittleEndian(new ReadOnlySpan<byte>(buffer + Libc.StatxModeOffset, 2));
        return (mode & Libc.S_IFMT) == Libc.S_IFSOCK;
    }
}
