// SPDX-License-Identifier: Apache-2.0
using KeyCustody.Core;
using KeyCustody.Gpio.Interop;

namespace KeyCustody.Gpio;

/// <summary>
/// Turns a failed open(2) of a device node into a <see cref="CustodyException"/> whose message says how to fix it.
/// The native error stays as the inner exception.
/// </summary>
internal static class DeviceErrors
{
    /// <summary>The udev rules file shipped in hardware/udev that grants the daemon's group access.</summary>
    internal const string UdevRule = "/etc/udev/rules.d/90-keycustody.rules";

    /// <summary>
    /// Maps <paramref name="error"/> from opening <paramref name="what"/>: missing → NotProvisioned with
    /// <paramref name="missingHint"/>; permission denied → NotProvisioned naming the udev rule and
    /// <paramref name="group"/>; anything else → DeviceFault.
    /// </summary>
    internal static CustodyException OpenFailed(NativeCallException error, string what, string missingHint, string group) => error.Errno switch
    {
        Errno.ENOENT or Errno.ENODEV or Errno.ENXIO or Errno.ENOTDIR => new CustodyException(
            CustodyStatus.NotProvisioned,
            $"The {what} {error.Path} does not exist ({error.ErrnoName}). {missingHint}",
            error),
        Errno.EACCES or Errno.EPERM => new CustodyException(
            CustodyStatus.NotProvisioned,
            $"Permission denied opening the {what} {error.Path} ({error.ErrnoName}). Install hardware/udev/90-keycustody.rules as {UdevRule} "
            + $"(it gives group 'keycustody' access) and run 'udevadm control --reload && udevadm trigger', or add the daemon's user to group '{group}'.",
            error),
        _ => new CustodyException(CustodyStatus.DeviceFault, $"Opening the {what} failed: {error.Message}.", error),
    };
}
