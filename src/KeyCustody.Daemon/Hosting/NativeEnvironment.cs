// SPDX-License-Identifier: Apache-2.0
using System.Runtime.InteropServices;

namespace KeyCustody.Daemon.Hosting;

/// <summary>
/// Sets variables in the process's native environment. <see cref="Environment.SetEnvironmentVariable(string, string)"/>
/// changes only .NET's own copy on Unix, and a PKCS#11 module reads its configuration with getenv(3) when loaded
/// (SoftHSM2: SOFTHSM2_CONF).
/// </summary>
internal static partial class NativeEnvironment
{
    /// <summary>Sets <paramref name="name"/> for .NET and for native code loaded afterwards.</summary>
    public static void Set(string name, string value)
    {
        Environment.SetEnvironmentVariable(name, value);
        if (SetEnv(name, value, 1) != 0)
        {
            throw new InvalidOperationException($"setenv({name}) failed with errno {Marshal.GetLastPInvokeError()}.");
        }
    }

    [DllImport("libc", EntryPoint = "setenv", SetLastError = true, CharSet = CharSet.Ansi, BestFitMapping = false, ThrowOnUnmappableChar = true)]
#pragma warning disable SYSLIB1054 // LibraryImport needs AllowUnsafeBlocks, which the daemon does not enable: native code lives in the device projects.
    private static extern int SetEnv(string name, string value, int overwrite);
#pragma warning restore SYSLIB1054
}
