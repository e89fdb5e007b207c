// SPDX-License-Identifier: Apache-2.0
using System.Runtime.InteropServices;

namespace KeyCustody.Gpio.Interop;

#pragma warning disable CS8981 // pollfd and timespec keep their C spellings, like the calls below.

/// <summary>
/// The few libc calls the drivers need, 1:1 with their C prototypes (see open(2), read(2), write(2), ioctl(2),
/// poll(2), pipe2(2), close(2), clock_gettime(2)). Constants are the Linux generic ABI values shared by x86-64,
/// arm64 and 32-bit ARM. Every call sets the last P/Invoke error, read with <see cref="Marshal.GetLastPInvokeError"/>.
/// </summary>
internal static unsafe partial class Libc
{
    // glibc's soname: plain "libc.so" is a linker script on Debian and cannot be dlopen()ed.
    private const string Library = "libc.so.6";

    internal const int O_RDONLY = 0x0;
    internal const int O_WRONLY = 0x1;
    internal const int O_RDWR = 0x2;
    internal const int O_NOCTTY = 0x100;
    internal const int O_NONBLOCK = 0x800;
    internal const int O_CLOEXEC = 0x80000;

    internal const short POLLIN = 0x1;
    internal const short POLLERR = 0x8;
    internal const short POLLHUP = 0x10;
    internal const short POLLNVAL = 0x20;

    internal const int AT_FDCWD = -100;
    internal const int AT_SYMLINK_NOFOLLOW = 0x100;
    internal const uint STATX_TYPE = 0x1;
    internal const ushort S_IFMT = 0xF000;
    internal const ushort S_IFSOCK = 0xC000;

    /// <summary>Bytes of struct statx (linux/stat.h); its layout is the same on every architecture.</summary>
    internal const int StatxSize = 256;

    /// <summary>Offset of <c>__u16 stx_mode</c> in struct statx.</summary>
    internal const int StatxModeOffset = 28;

    internal const int CLOCK_REALTIME = 0;
    internal const int CLOCK_MONOTONIC = 1;

    /// <summary>struct pollfd (poll(2)).</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct pollfd
    {
        public int fd;
        public short events;
        public short revents;
    }

    /// <summary>struct timespec with the native <c>long</c> fields.</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct timespec
    {
        public nint tv_sec;
        public nint tv_nsec;
    }

    [LibraryImport(Library, EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int open(string pathname, int flags, uint mode);

    [LibraryImport(Library, EntryPoint = "close", SetLastError = true)]
    internal static partial int close(int fd);

    [LibraryImport(Library, EntryPoint = "read", SetLastError = true)]
    internal static partial nint read(int fd, void* buf, nuint count);

    [LibraryImport(Library, EntryPoint = "write", SetLastError = true)]
    internal static partial nint write(int fd, void* buf, nuint count);

    [LibraryImport(Library, EntryPoint = "ioctl", SetLastError = true)]
    internal static partial int ioctl(int fd, CULong request, void* argp);

    [LibraryImport(Library, EntryPoint = "poll", SetLastError = true)]
    internal static partial int poll(pollfd* fds, CULong nfds, int timeout);

    [LibraryImport(Library, EntryPoint = "pipe2", SetLastError = true)]
    internal static partial int pipe2(int* pipefd, int flags);

    [LibraryImport(Library, EntryPoint = "statx", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int statx(int dirfd, string pathname, int flags, uint mask, byte* statxbuf);

    [LibraryImport(Library, EntryPoint = "clock_gettime", SetLastError = true)]
    internal static partial int clock_gettime(int clockid, timespec* tp);
}
