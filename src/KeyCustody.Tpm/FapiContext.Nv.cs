// SPDX-License-Identifier: Apache-2.0
namespace KeyCustody.Tpm;

public sealed partial class FapiContext
{
    /// <summary>
    /// <c>Fapi_CreateNv</c>: defines an NV index at <paramref name="path"/> (e.g. "/nv/Owner/name") of FAPI type
    /// <paramref name="type"/> ("counter", "bitfield", "pcr" or "" for ordinary data; add ",noDa" as needed).
    /// </summary>
    public void CreateNv(string path, string type, int size = 0, string? policyPath = null, string? authValue = "")
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentOutOfRangeException.ThrowIfNegative(size);
        lock (_lock)
        {
            Check("Fapi_CreateNv", Interop.Fapi.Fapi_CreateNv(Open(), path, type, (nuint)size, policyPath, authValue));
        }
    }

    /// <summary><c>Fapi_NvRead</c>: the NV index's data (8 big-endian bytes for a counter).</summary>
    public unsafe byte[] NvRead(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        lock (_lock)
        {
            SafeFapiContextHandle context = Open();
            nint data = 0, log = 0;
            nuint size = 0;
            try
            {
                Check("Fapi_NvRead", Interop.Fapi.Fapi_NvRead(context, path, &data, &size, &log));
                return Bytes(data, size);
            }
            finally
            {
                Free(data);
                Free(log);
            }
        }
    }

    /// <summary><c>Fapi_NvIncrement</c>: adds one to an NV counter (TPM2_NV_Increment).</summary>
    public void NvIncrement(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        lock (_lock)
        {
            Check("Fapi_NvIncrement", Interop.Fapi.Fapi_NvIncrement(Open(), path));
        }
    }
}
