// SPDX-License-Identifier: Apache-2.0
namespace KeyCustody.Tpm;

/// <summary>What <c>Fapi_Quote</c> returns.</summary>
/// <param name="QuoteInfo">FAPI's JSON: the signature scheme and the <c>TPMS_ATTEST</c> fields.</param>
/// <param name="Signature">The quote signature; for ECC keys DER <c>SEQUENCE { r, s }</c>.</param>
/// <param name="PcrLog">FAPI's event log for the quoted PCRs (JSON), possibly empty.</param>
/// <param name="Certificate">The attestation key's certificate (PEM), usually empty.</param>
public sealed record FapiQuoteResult(string QuoteInfo, byte[] Signature, string PcrLog, string Certificate);

public sealed partial class FapiContext
{
    /// <summary><c>Fapi_PcrRead</c>: the value of PCR <paramref name="pcrIndex"/> in the profile's bank (SHA-256) and its event log (JSON).</summary>
    public unsafe (byte[] Value, string Log) PcrRead(int pcrIndex)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(pcrIndex);
        lock (_lock)
        {
            SafeFapiContextHandle context = Open();
            nint value = 0, log = 0;
            nuint size = 0;
            try
            {
                Check("Fapi_PcrRead", Interop.Fapi.Fapi_PcrRead(context, (uint)pcrIndex, &value, &size, &log));
                return (Bytes(value, size), Utf8(log));
            }
            finally
            {
                Free(value);
                Free(log);
            }
        }
    }

    /// <summary>
    /// <c>Fapi_PcrExtend</c>: TPM2_PCR_Event over <paramref name="data"/> — the TPM hashes the data with each
    /// bank's algorithm and extends the PCR with that hash — and records <paramref name="logData"/> in FAPI's
    /// event log.
    /// </summary>
    public unsafe void PcrExtend(int pcrIndex, ReadOnlySpan<byte> data, string? logData)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(pcrIndex);
        lock (_lock)
        {
            SafeFapiContextHandle context = Open();
            fixed (byte* d = data)
            {
                Check("Fapi_PcrExtend", Interop.Fapi.Fapi_PcrExtend(context, (uint)pcrIndex, d, (nuint)data.Length, logData));
            }
        }
    }

    /// <summary>
    /// <c>Fapi_Quote</c> with quote type "TPM-Quote": a TPM2_Quote over <paramref name="pcrIndices"/> signed by the
    /// key at <paramref name="keyPath"/>, with <paramref name="qualifyingData"/> as the caller's nonce.
    /// </summary>
    public unsafe FapiQuoteResult Quote(IReadOnlyList<int> pcrIndices, string keyPath, ReadOnlySpan<byte> qualifyingData)
    {
        ArgumentNullException.ThrowIfNull(pcrIndices);
        ArgumentException.ThrowIfNullOrEmpty(keyPath);
        uint[] pcrs = pcrIndices.Select(p => checked((uint)p)).ToArray();
        lock (_lock)
        {
            SafeFapiContextHandle context = Open();
            nint quoteInfo = 0, signature = 0, pcrLog = 0, certificate = 0;
            nuint signatureSize = 0;
            try
            {
                fixed (uint* p = pcrs)
                fixed (byte* q = qualifyingData)
                {
                    Check("Fapi_Quote", Interop.Fapi.Fapi_Quote(
                        context, p, (nuint)pcrs.Length, keyPath, "TPM-Quote", q, (nuint)qualifyingData.Length,
                        &quoteInfo, &signature, &signatureSize, &pcrLog, &certificate));
                }

                return new FapiQuoteResult(Utf8(quoteInfo), Bytes(signature, signatureSize), Utf8(pcrLog), Utf8(certificate));
            }
            finally
            {
                Free(quoteInfo);
                Free(signature);
                Free(pcrLog);
                Free(certificate);
            }
        }
    }
}
