// SPDX-License-Identifier: Apache-2.0
namespace KeyCustody.Tpm;

public sealed partial class FapiContext
{
    /// <summary>
    /// <c>Fapi_CreateSeal</c>: seals <paramref name="data"/> into a keyed-hash object at <paramref name="path"/>,
    /// usable only through the policy at <paramref name="policyPath"/> (FAPI instantiates "current PCR" policies
    /// with the PCR values at this moment). The data travels to the TPM in an encrypted session.
    /// </summary>
    public unsafe void CreateSeal(string path, ReadOnlySpan<byte> data, string? policyPath, string type = "noDa", string? authValue = "")
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (data.IsEmpty)
        {
            throw new ArgumentException("Sealed data must not be empty (FAPI would fill it with random bytes).", nameof(data));
        }

        lock (_lock)
        {
            SafeFapiContextHandle context = Open();
            fixed (byte* d = data)
            {
                Check("Fapi_CreateSeal", Interop.Fapi.Fapi_CreateSeal(
                    context, path, type, (nuint)data.Length, policyPath, authValue, d));
            }
        }
    }

    /// <summary>
    /// <c>Fapi_Unseal</c>: returns the sealed bytes. FAPI's copy is zeroed before it is freed; the caller owns
    /// (and should zero) the returned array.
    /// </summary>
    public unsafe byte[] Unseal(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        lock (_lock)
        {
            SafeFapiContextHandle context = Open();
            nint data = 0;
            nuint size = 0;
            try
            {
                Check("Fapi_Unseal", Interop.Fapi.Fapi_Unseal(context, path, &data, &size));
                return Bytes(data, size);
            }
            finally
            {
                FreeClearing(data, size);
            }
        }
    }
}
