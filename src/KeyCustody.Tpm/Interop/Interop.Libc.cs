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
        private const string Library = "libc";

        [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
        internal static partial int setenv(string name, string value, int overwrite);

        [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
        internal static partial nint getenv(string name);
    }
}
