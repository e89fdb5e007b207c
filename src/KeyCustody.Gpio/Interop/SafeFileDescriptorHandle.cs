// SPDX-License-Identifier: Apache-2.0
using System.Runtime.InteropServices;

namespace KeyCustody.Gpio.Interop;

/// <summary>A file descriptor from open(2), pipe2(2) or a GPIO line request; released with close(2).</summary>
internal sealed class SafeFileDescriptorHandle : SafeHandle
{
    /// <summary>Creates an invalid handle (for P/Invoke marshalling).</summary>
    public SafeFileDescriptorHandle()
        : base(invalidHandleValue: -1, ownsHandle: true)
    {
    }

    /// <summary>Takes ownership of <paramref name="fd"/>.</summary>
    internal SafeFileDescriptorHandle(int fd)
        : base(invalidHandleValue: -1, ownsHandle: true)
    {
        SetHandle(fd);
    }

    /// <inheritdoc />
    public override bool IsInvalid => handle < 0;

    /// <inheritdoc />
    protected override bool ReleaseHandle() => Libc.close((int)handle) == 0;
}

/// <summary>
/// A failed libc call with its errno, rendered like "ioctl(GPIO_V2_GET_LINE_IOCTL) on /dev/gpiochip0 returned EBUSY".
/// The drivers translate it into a <see cref="Core.CustodyException"/> with an actionable hint and keep it as the inner exception.
/// </summary>
internal sealed class NativeCallException : IOException
{
    internal NativeCallException(string call, string path, int errno)
        : base($"{call} on {path} returned {Interop.Errno.Name(errno)}")
    {
        Call = call;
        Path = path;
        Errno = errno;
    }

    /// <summary>The call that failed, e.g. "open" or "ioctl(EVIOCGNAME)".</summary>
    internal string Call { get; }

    /// <summary>The file the call was made on.</summary>
    internal string Path { get; }

    /// <summary>The errno value.</summary>
    internal int Errno { get; }

    /// <summary>The errno's symbolic name.</summary>
    internal string ErrnoName => Interop.Errno.Name(Errno);
}
