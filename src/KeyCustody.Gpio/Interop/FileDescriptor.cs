// SPDX-License-Identifier: Apache-2.0
using System.Runtime.InteropServices;

namespace KeyCustody.Gpio.Interop;

/// <summary>
/// Thin checked wrappers over the libc calls on one descriptor: every failure becomes a
/// <see cref="NativeCallException"/> carrying the call, the path and errno.
/// </summary>
internal static unsafe class FileDescriptor
{
    /// <summary>open(2) read-only, non-blocking, close-on-exec, never as a controlling terminal.</summary>
    internal static SafeFileDescriptorHandle OpenForReading(string path)
    {
        int fd = Libc.open(path, Libc.O_RDONLY | Libc.O_NONBLOCK | Libc.O_CLOEXEC | Libc.O_NOCTTY, 0);
        if (fd < 0)
        {
            throw new NativeCallException("open", path, Marshal.GetLastPInvokeError());
        }

        return new SafeFileDescriptorHandle(fd);
    }

    /// <summary>
    /// ioctl(2) with a pointer argument. Returns 0 or the ioctl's non-negative result; on failure returns the
    /// negated errno when <paramref name="tolerated"/> lists it, otherwise throws.
    /// </summary>
    internal static int Ioctl(SafeFileDescriptorHandle handle, string name, string path, uint request, void* argument, params ReadOnlySpan<int> tolerated)
    {
        bool added = false;
        try
        {
            handle.DangerousAddRef(ref added);
            while (true)
            {
                int result = Libc.ioctl((int)handle.DangerousGetHandle(), new CULong(request), argument);
                if (result >= 0)
                {
                    return result;
                }

                int errno = Marshal.GetLastPInvokeError();
                if (errno == Errno.EINTR)
                {
                    continue;
                }

                if (tolerated.Contains(errno))
                {
                    return -errno;
                }

                throw new NativeCallException($"ioctl({name})", path, errno);
            }
        }
        finally
        {
            if (added)
            {
                handle.DangerousRelease();
            }
        }
    }

    /// <summary>A self-pipe that wakes a poll(2) from another thread (cancellation, dispose).</summary>
    internal static (SafeFileDescriptorHandle Read, SafeFileDescriptorHandle Write) CreateWakePipe()
    {
        int* fds = stackalloc int[2];
        if (Libc.pipe2(fds, Libc.O_CLOEXEC | Libc.O_NONBLOCK) != 0)
        {
            throw new NativeCallException("pipe2", "(wake pipe)", Marshal.GetLastPInvokeError());
        }

        return (new SafeFileDescriptorHandle(fds[0]), new SafeFileDescriptorHandle(fds[1]));
    }
}
