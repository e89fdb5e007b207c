// SPDX-License-Identifier: Apache-2.0
using KeyCustody.Core;
using KeyCustody.Gpio.Interop;

namespace KeyCustody.Gpio;

/// <summary>
/// Finds an input device by the name the kernel gives it (what <c>/proc/bus/input/devices</c> shows as
/// <c>N: Name=</c> and EVIOCGNAME returns). Sysfs is read first because its name files are world-readable,
/// while the daemon may only open its own device node; EVIOCGNAME on each <c>eventN</c> node is the fallback
/// when sysfs is not mounted (a container).
/// </summary>
public static class EvdevDeviceLocator
{
    /// <summary>Returns the device node of the first (lowest-numbered) input device named <paramref name="name"/>.</summary>
    /// <exception cref="CustodyException">NotProvisioned, listing the names that were seen.</exception>
    public static string FindByName(string name) => FindByName(name, "/dev/input", "/sys/class/input");

    /// <summary>The same, under other roots (tests point these at a temporary tree).</summary>
    internal static string FindByName(string name, string devInputDirectory, string sysClassInputDirectory)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        var seen = new List<string>();

        // /sys/class/input/eventN/device/name belongs to the parent inputM device; eventN is its evdev handler.
        foreach (string eventDir in EventEntries(sysClassInputDirectory))
        {
            string nameFile = Path.Combine(eventDir, "device", "name");
            string? deviceName = TryReadLine(nameFile);
            if (deviceName is null)
            {
                continue;
            }

            seen.Add($"{Path.GetFileName(eventDir)}='{deviceName}'");
            if (deviceName == name)
            {
                return Path.Combine(devInputDirectory, Path.GetFileName(eventDir));
            }
        }

        foreach (string node in EventEntries(devInputDirectory))
        {
            string? deviceName = TryReadNameByIoctl(node);
            if (deviceName is null)
            {
                continue;
            }

            seen.Add($"{Path.GetFileName(node)}='{deviceName}'");
            if (deviceName == name)
            {
                return node;
            }
        }

        string found = seen.Count == 0 ? "no input devices were readable" : "found " + string.Join(", ", seen);
        throw new CustodyException(CustodyStatus.NotProvisioned,
            $"No input device is named '{name}' ({found}). Check the dtoverlay=gpio-key line in config.txt, or set Button.Device to the device path.");
    }

    /// <summary>eventN entries of a directory, in numeric order; none when the directory does not exist.</summary>
    private static IEnumerable<string> EventEntries(string directory)
    {
        if (!Directory.Exists(directory))
        {
            return [];
        }

        return Directory.EnumerateFileSystemEntries(directory, "event*")
            .Select(path => (path, number: int.TryParse(Path.GetFileName(path).AsSpan(5), out int n) ? n : -1))
            .Where(entry => entry.number >= 0)
            .OrderBy(entry => entry.number)
            .Select(entry => entry.path);
    }

    private static string? TryReadLine(string path)
    {
        try
        {
            return File.Exists(path) ? File.ReadAllText(path).TrimEnd('\n') : null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static string? TryReadNameByIoctl(string node)
    {
        try
        {
            using SafeFileDescriptorHandle fd = FileDescriptor.OpenForReading(node);
            return EvdevButton.TryGetName(fd, node);
        }
        catch (NativeCallException)
        {
            // Another user's device (EACCES) or one that vanished: not ours.
            return null;
        }
    }
}
