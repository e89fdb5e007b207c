// SPDX-License-Identifier: Apache-2.0
using System.Runtime.InteropServices;

namespace KeyCustody.Tpm;

internal static unsafe partial class Interop
{
    /// <summary>
    /// <c>tss2_rc.h</c>: turns a <c>TSS2_RC</c> into "layer:text". The library is optional (Debian libtss2-rc0);
    /// <see cref="Tss2ReturnCode"/> falls back to its own table when it cannot be loaded.
    /// </summary>
    internal static partial class Tss2Rc
    {
        private const string Library = "libtss2-rc.so.0";

        /// <summary>Returns a pointer into a static buffer: copy it before the next call.</summary>
        [LibraryImport(Library)]
        internal static partial byte* Tss2_RC_Decode(uint rc);
    }
}
