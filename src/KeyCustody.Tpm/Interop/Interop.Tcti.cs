// SPDX-License-Identifier: Apache-2.0
using System.Runtime.InteropServices;

namespace KeyCustody.Tpm;

internal static unsafe partial class Interop
{
    /// <summary>
    /// <c>tss2_tcti.h</c>: the TCTI is a struct of function pointers (<c>TSS2_TCTI_CONTEXT_COMMON_V1</c>).
    /// We only call transmit/receive, on the TCTI FAPI owns (<c>Fapi_GetTcti</c>), between FAPI calls.
    /// </summary>
    internal static class Tcti
    {
        /// <summary>Layout of <c>TSS2_TCTI_CONTEXT_COMMON_V1</c> on LP64.</summary>
        [StructLayout(LayoutKind.Sequential)]
        internal struct TSS2_TCTI_CONTEXT_COMMON_V1
        {
            public ulong magic;
            public uint version;
            public delegate* unmanaged<nint, nuint, byte*, uint> transmit;
            public delegate* unmanaged<nint, nuint*, byte*, int, uint> receive;
            public nint finalize;
            public nint cancel;
            public nint getPollHandles;
            public nint setLocality;
        }

        /// <summary><c>TSS2_TCTI_TIMEOUT_BLOCK</c>.</summary>
        internal const int TSS2_TCTI_TIMEOUT_BLOCK = -1;

        /// <summary><c>Tss2_Tcti_Transmit</c> (a macro in C).</summary>
        internal static uint Tss2_Tcti_Transmit(nint tcti, ReadOnlySpan<byte> command)
        {
            var common = (TSS2_TCTI_CONTEXT_COMMON_V1*)tcti;
            if (common == null)
            {
                return Tss2ReturnCode.TctiBadReference;
            }

            if (common->version < 1 || common->transmit == null)
            {
                return Tss2ReturnCode.TctiNotImplemented;
            }

            fixed (byte* p = command)
            {
                return common->transmit(tcti, (nuint)command.Length, p);
            }
        }

        /// <summary><c>Tss2_Tcti_Receive</c> (a macro in C), blocking.</summary>
        internal static uint Tss2_Tcti_Receive(nint tcti, Span<byte> response, out int received)
        {
            received = 0;
            var common = (TSS2_TCTI_CONTEXT_COMMON_V1*)tcti;
            if (common == null)
            {
                return Tss2ReturnCode.TctiBadReference;
            }

            if (common->version < 1 || common->receive == null)
            {
                return Tss2ReturnCode.TctiNotImplemented;
            }

            nuint size = (nuint)response.Length;
            uint rc;
            fixed (byte* p = response)
            {
                rc = common->receive(tcti, &size, p, TSS2_TCTI_TIMEOUT_BLOCK);
            }

            received = (int)size;
            return rc;
        }
    }
}
