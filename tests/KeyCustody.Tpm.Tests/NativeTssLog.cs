// SPDX-License-Identifier: Apache-2.0
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace KeyCustody.Tpm.Tests;

/// <summary>
/// Sends tpm2-tss's own log (FAPI/ESYS errors and warnings, normally on stderr) to a file for the whole test run,
/// so tests can assert that it never contains a secret. tpm2-tss reads TSS2_LOGFILE with getenv(3) on its first log
/// line, so it is set in the C environment before any test runs.
/// </summary>
internal static partial class NativeTssLog
{
    /// <summary>The file tpm2-tss appends to during this test run.</summary>
    public static string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"keycustody-tss2-{Environment.ProcessId}.log");

    /// <summary>What tpm2-tss has logged so far.</summary>
    public static string Read() => File.Exists(Path) ? File.ReadAllText(Path) : string.Empty;

    [ModuleInitializer]
    internal static void Initialize()
    {
        setenv("TSS2_LOGFILE", Path, 1);
        AppDomain.CurrentDomain.ProcessExit += (_, _) => File.Delete(Path);
    }

    [LibraryImport("libc.so.6", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int setenv(string name, string value, int overwrite);
}
