// SPDX-License-Identifier: Apache-2.0
using System.Runtime.InteropServices;
using KeyCustody.Gpio.Interop;

namespace KeyCustody.Gpio;

/// <summary>
/// CLOCK_MONOTONIC, the clock the GPIO character device stamps line events with by default (and evdev after
/// EVIOCSCLOCKID). Press durations are measured in it so that a wall-clock step (NTP) cannot turn a short
/// press into a long one.
/// </summary>
internal static unsafe class MonotonicClock
{
    /// <summary>Time since the monotonic clock's (boot-time) epoch.</summary>
    internal static TimeSpan Now
    {
        get
        {
            Libc.timespec ts;
            if (Libc.clock_gettime(Libc.CLOCK_MONOTONIC, &ts) != 0)
            {
                throw new NativeCallException("clock_gettime(CLOCK_MONOTONIC)", "(clock)", Marshal.GetLastPInvokeError());
            }

            return TimeSpan.FromSeconds(ts.tv_sec) + TimeSpan.FromTicks(ts.tv_nsec / 100);
        }
    }

    /// <summary>Maps a monotonic timestamp to wall-clock time through the offset between the two clocks now.</summary>
    internal static DateTimeOffset ToWallClock(TimeSpan monotonic, TimeProvider timeProvider) =>
        timeProvider.GetUtcNow() - (Now - monotonic);
}
