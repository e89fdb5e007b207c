// SPDX-License-Identifier: Apache-2.0
using System.Runtime.InteropServices;

namespace KeyCustody.Tpm;

internal static unsafe partial class Interop
{
    /// <summary>
    /// The C library's own environment. .NET's <see cref="Environment.SetEnvironmentVariable(string, string)"/>
    /// only changes the managed copy on Unix, but FAPI reads <c>TSS2_FAPICONF</c> with <c>getenv(3)</c>.
    /// </summary>
    internal static partial class Libc
    {
        // The glibc soname: "libc" alone would make the loader look for libc.so, which is a linker script (libc6-dev) or absent.
        private const string Library = "libc.so.6";

        [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
        internal static partial int setenv(string name, string value, int overwrite);
    }
}
