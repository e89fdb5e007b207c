// SPDX-License-Identifier: Apache-2.0
namespace KeyCustody.Gpio.Interop;

/// <summary>The errno values the drivers react to (Linux asm-generic/errno-base.h), with their symbolic names.</summary>
internal static class Errno
{
    internal const int EPERM = 1;
    internal const int ENOENT = 2;
    internal const int EINTR = 4;
    internal const int ENXIO = 6;
    internal const int EBADF = 9;
    internal const int EAGAIN = 11;
    internal const int EACCES = 13;
    internal const int EBUSY = 16;
    internal const int ENODEV = 19;
    internal const int ENOTDIR = 20;
    internal const int EINVAL = 22;
    internal const int ENOTTY = 25;
    internal const int ENOTSUP = 95;

    /// <summary>The symbolic name of <paramref name="errno"/> ("ENOENT"), or "errno N" for the ones not listed.</summary>
    internal static string Name(int errno) => errno switch
    {
        EPERM => "EPERM",
        ENOENT => "ENOENT",
        EINTR => "EINTR",
        ENXIO => "ENXIO",
        EBADF => "EBADF",
        EAGAIN => "EAGAIN",
        EACCES => "EACCES",
        EBUSY => "EBUSY",
        ENODEV => "ENODEV",
        ENOTDIR => "ENOTDIR",
        EINVAL => "EINVAL",
        ENOTTY => "ENOTTY",
        ENOTSUP => "ENOTSUP",
        _ => $"errno {errno}",
    };
}
