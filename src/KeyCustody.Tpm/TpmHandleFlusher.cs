// SPDX-License-Identifier: Apache-2.0
using System.Buffers.Binary;

namespace KeyCustody.Tpm;

/// <summary>
/// Flushes transient objects and sessions left loaded in the TPM, speaking two raw TPM 2.0 commands over the TCTI
/// of a FAPI context (TPM 2.0 Library Part 3: §30.2 TPM2_GetCapability, §28.4 TPM2_FlushContext). See
/// <see cref="FapiContext"/>'s remarks for why this exists.
/// </summary>
internal static class TpmHandleFlusher
{
    private const ushort TpmStNoSessions = 0x8001;
    private const uint TpmCcGetCapability = 0x0000017A;
    private const uint TpmCcFlushContext = 0x00000165;
    private const uint TpmCapHandles = 0x00000001;
    private const uint TransientFirst = 0x80000000;
    private const uint LoadedSessionFirst = 0x02000000;
    private const uint SavedSessionFirst = 0x03000000;
    private const int MaxHandles = 64;

    /// <summary>Flushes every transient object and session visible on the context's connection; returns how many.</summary>
    public static unsafe int FlushTransientAndSessions(SafeFapiContextHandle context)
    {
        nint tcti = 0;
        uint rc = Interop.Fapi.Fapi_GetTcti(context, &tcti);
        if (rc != Tss2ReturnCode.Success)
        {
            throw new Tss2Exception("Fapi_GetTcti", rc);
        }

        // The TCTI belongs to the FAPI context; it is not freed here.
        int flushed = 0;
        foreach (uint first in new[] { TransientFirst, LoadedSessionFirst, SavedSessionFirst })
        {
            foreach (uint handle in ListHandles(tcti, first))
            {
                FlushContext(tcti, handle);
                flushed++;
            }
        }

        return flushed;
    }

    private static List<uint> ListHandles(nint tcti, uint first)
    {
        Span<byte> command = stackalloc byte[22];
        BinaryPrimitives.WriteUInt16BigEndian(command, TpmStNoSessions);
        BinaryPrimitives.WriteUInt32BigEndian(command[2..], (uint)command.Length);
        BinaryPrimitives.WriteUInt32BigEndian(command[6..], TpmCcGetCapability);
        BinaryPrimitives.WriteUInt32BigEndian(command[10..], TpmCapHandles);
        BinaryPrimitives.WriteUInt32BigEndian(command[14..], first);
        BinaryPrimitives.WriteUInt32BigEndian(command[18..], MaxHandles);
        byte[] response = Execute(tcti, command, "TPM2_GetCapability");

        // response: header(10) moreData(1) capability(4) count(4) handle(4)*count
        var handles = new List<uint>();
        if (response.Length < 19)
        {
            throw new Tss2Exception("TPM2_GetCapability", (9u << 16) | Tss2ReturnCode.BaseInsufficientResponse);
        }

        uint count = BinaryPrimitives.ReadUInt32BigEndian(response.AsSpan(15));
        for (int i = 0; i < count && 19 + (4 * i) + 4 <= response.Length; i++)
        {
            uint handle = BinaryPrimitives.ReadUInt32BigEndian(response.AsSpan(19 + (4 * i)));
            // The TPM lists handles from `first` upwards, across ranges: keep only this range.
            if (handle >> 24 == first >> 24)
            {
                handles.Add(handle);
            }
        }

        return handles;
    }

    private static void FlushContext(nint tcti, uint handle)
    {
        Span<byte> command = stackalloc byte[14];
        BinaryPrimitives.WriteUInt16BigEndian(command, TpmStNoSessions);
        BinaryPrimitives.WriteUInt32BigEndian(command[2..], (uint)command.Length);
        BinaryPrimitives.WriteUInt32BigEndian(command[6..], TpmCcFlushContext);
        BinaryPrimitives.WriteUInt32BigEndian(command[10..], handle);
        Execute(tcti, command, "TPM2_FlushContext");
    }

    private static byte[] Execute(nint tcti, ReadOnlySpan<byte> command, string name)
    {
        uint rc = Interop.Tcti.Tss2_Tcti_Transmit(tcti, command);
        if (rc != Tss2ReturnCode.Success)
        {
            throw new Tss2Exception("Tss2_Tcti_Transmit", rc);
        }

        byte[] response = new byte[4096];
        rc = Interop.Tcti.Tss2_Tcti_Receive(tcti, response, out int received);
        if (rc != Tss2ReturnCode.Success)
        {
            throw new Tss2Exception("Tss2_Tcti_Receive", rc);
        }

        if (received < 10)
        {
            throw new Tss2Exception(name, (9u << 16) | Tss2ReturnCode.BaseInsufficientResponse);
        }

        uint tpmRc = BinaryPrimitives.ReadUInt32BigEndian(response.AsSpan(6));
        if (tpmRc != Tss2ReturnCode.Success)
        {
            throw new Tss2Exception(name, tpmRc);
        }

        return response.AsSpan(0, received).ToArray();
    }
}
