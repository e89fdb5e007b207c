// SPDX-License-Identifier: Apache-2.0
using System.Buffers.Binary;
using System.Text.Json;

namespace KeyCustody.Tpm;

/// <summary>
/// A quote's <c>TPMS_ATTEST</c> (TPM 2.0 Library Part 2 §10.12.12) with <c>TPMS_QUOTE_INFO</c> as its attested
/// part, and the TPM wire encoding of it — the bytes the attestation key signed, which is what
/// <c>tpm2_checkquote -m</c> reads. FAPI hands the structure out as JSON only, so we rebuild the bytes and
/// confirm them against the signature.
/// </summary>
public sealed record TpmsAttest
{
    /// <summary><c>TPM_GENERATED_VALUE</c>: marks a structure the TPM itself produced.</summary>
    public const uint GeneratedValue = 0xFF544347;

    /// <summary><c>TPM_ST_ATTEST_QUOTE</c>.</summary>
    public const ushort AttestQuote = 0x8018;

    /// <summary><c>TPM_ALG_SHA256</c>.</summary>
    public const ushort AlgSha256 = 0x000B;

    /// <summary>The signing key's qualified name (<c>TPM2B_NAME</c> body).</summary>
    public required byte[] QualifiedSigner { get; init; }

    /// <summary>The caller's nonce (<c>extraData</c>).</summary>
    public required byte[] ExtraData { get; init; }

    /// <summary><c>clockInfo.clock</c>: milliseconds the TPM has been powered.</summary>
    public ulong Clock { get; init; }

    /// <summary><c>clockInfo.resetCount</c>.</summary>
    public uint ResetCount { get; init; }

    /// <summary><c>clockInfo.restartCount</c>.</summary>
    public uint RestartCount { get; init; }

    /// <summary><c>clockInfo.safe</c>.</summary>
    public bool Safe { get; init; }

    /// <summary>The TPM's firmware version.</summary>
    public ulong FirmwareVersion { get; init; }

    /// <summary>The PCRs quoted (SHA-256 bank), ascending.</summary>
    public required IReadOnlyList<int> Pcrs { get; init; }

    /// <summary>
    /// <c>sizeofSelect</c> of the PCR selection. FAPI's JSON drops it; tpm2-tss always sends 3 bytes (24 PCRs), and the
    /// TPM signs the selection exactly as sent.
    /// </summary>
    public byte SizeOfSelect { get; init; } = 3;

    /// <summary>SHA-256 over the quoted PCR values concatenated in ascending PCR order.</summary>
    public required byte[] PcrDigest { get; init; }

    /// <summary>Reads the <c>attest</c> member of FAPI's quoteInfo JSON (tpm2-tss 3.x and 4.x spellings).</summary>
    public static TpmsAttest FromFapiQuoteInfo(string quoteInfoJson)
    {
        using JsonDocument document = JsonDocument.Parse(quoteInfoJson);
        JsonElement attest = document.RootElement.GetProperty("attest");
        string? type = attest.GetProperty("type").GetString();
        if (type is not ("ATTEST_QUOTE" or "TPM2_ST_ATTEST_QUOTE"))
        {
            throw new FormatException($"The quote is of type '{type}', not ATTEST_QUOTE.");
        }

        JsonElement clock = attest.GetProperty("clockInfo");
        JsonElement quoted = attest.GetProperty("attested");
        var pcrs = new List<int>();
        foreach (JsonElement selection in quoted.GetProperty("pcrSelect").EnumerateArray())
        {
            string hash = selection.GetProperty("hash").GetString() ?? string.Empty;
            if (!hash.EndsWith("SHA256", StringComparison.OrdinalIgnoreCase))
            {
                throw new FormatException($"The quote selects the {hash} bank; KeyCustody quotes SHA-256 only.");
            }

            pcrs.AddRange(selection.GetProperty("pcrSelect").EnumerateArray().Select(p => p.GetInt32()));
        }

        return new TpmsAttest
        {
            QualifiedSigner = Convert.FromHexString(attest.GetProperty("qualifiedSigner").GetString() ?? string.Empty),
            ExtraData = Convert.FromHexString(attest.GetProperty("extraData").GetString() ?? string.Empty),
            Clock = ReadUInt64(clock.GetProperty("clock")),
            ResetCount = clock.GetProperty("resetCount").GetUInt32(),
            RestartCount = clock.GetProperty("restartCount").GetUInt32(),
            Safe = ReadYesNo(clock.GetProperty("safe")),
            FirmwareVersion = ReadUInt64(attest.GetProperty("firmwareVersion")),
            Pcrs = pcrs.Order().ToArray(),
            PcrDigest = Convert.FromHexString(quoted.GetProperty("pcrDigest").GetString() ?? string.Empty),
        };
    }

    /// <summary>The TPM wire encoding (big-endian, sized buffers with 16-bit lengths).</summary>
    public byte[] Marshal()
    {
        var bytes = new List<byte>(128);
        Put32(bytes, GeneratedValue);
        Put16(bytes, AttestQuote);
        PutSized(bytes, QualifiedSigner);
        PutSized(bytes, ExtraData);
        Put64(bytes, Clock);
        Put32(bytes, ResetCount);
        Put32(bytes, RestartCount);
        bytes.Add(Safe ? (byte)1 : (byte)0);
        Put64(bytes, FirmwareVersion);

        // TPML_PCR_SELECTION with one TPMS_PCR_SELECTION for SHA-256.
        Put32(bytes, 1);
        Put16(bytes, AlgSha256);
        bytes.Add(SizeOfSelect);
        byte[] bitmap = new byte[SizeOfSelect];
        foreach (int pcr in Pcrs)
        {
            bitmap[pcr / 8] |= (byte)(1 << (pcr % 8));
        }

        bytes.AddRange(bitmap);
        PutSized(bytes, PcrDigest);
        return bytes.ToArray();
    }

    /// <summary>Parses the wire encoding of a quote <c>TPMS_ATTEST</c> (used to check what a verifier will see).</summary>
    public static bool TryParse(ReadOnlySpan<byte> data, out TpmsAttest? attest)
    {
        attest = null;
        try
        {
            int at = 0;
            if (Read32(data, ref at) != GeneratedValue || Read16(data, ref at) != AttestQuote)
            {
                return false;
            }

            byte[] signer = ReadSized(data, ref at);
            byte[] extra = ReadSized(data, ref at);
            ulong clock = Read64(data, ref at);
            uint resetCount = Read32(data, ref at);
            uint restartCount = Read32(data, ref at);
            bool safe = data[at++] != 0;
            ulong firmware = Read64(data, ref at);
            uint count = Read32(data, ref at);
            var pcrs = new List<int>();
            byte size = 0;
            for (uint i = 0; i < count; i++)
            {
                ushort hash = Read16(data, ref at);
                size = data[at++];
                ReadOnlySpan<byte> bitmap = data.Slice(at, size);
                at += size;
                if (hash != AlgSha256)
                {
                    return false;
                }

                for (int pcr = 0; pcr < size * 8; pcr++)
                {
                    if ((bitmap[pcr / 8] & (1 << (pcr % 8))) != 0)
                    {
                        pcrs.Add(pcr);
                    }
                }
            }

            byte[] digest = ReadSized(data, ref at);
            if (at != data.Length)
            {
                return false;
            }

            attest = new TpmsAttest
            {
                QualifiedSigner = signer,
                ExtraData = extra,
                Clock = clock,
                ResetCount = resetCount,
                RestartCount = restartCount,
                Safe = safe,
                FirmwareVersion = firmware,
                Pcrs = pcrs,
                SizeOfSelect = size,
                PcrDigest = digest,
            };
            return true;
        }
        catch (ArgumentOutOfRangeException)
        {
            return false;
        }
        catch (IndexOutOfRangeException)
        {
            return false;
        }
    }

    /// <summary>FAPI writes UINT64 as a number below 2^48 and as [high32, low32] above (tpm2-tss tpm_json_serialize.c).</summary>
    private static ulong ReadUInt64(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Number => value.GetUInt64(),
        JsonValueKind.Array when value.GetArrayLength() == 2 =>
            ((ulong)value[0].GetUInt32() << 32) | value[1].GetUInt32(),
        _ => throw new FormatException("A 64-bit value in the quote is neither a number nor [high, low]."),
    };

    private static bool ReadYesNo(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => string.Equals(value.GetString(), "YES", StringComparison.OrdinalIgnoreCase),
        JsonValueKind.Number => value.GetInt32() != 0,
        JsonValueKind.True => true,
        _ => false,
    };

    private static void Put16(List<byte> bytes, ushort value)
    {
        Span<byte> b = stackalloc byte[2];
        BinaryPrimitives.WriteUInt16BigEndian(b, value);
        bytes.AddRange(b);
    }

    private static void Put32(List<byte> bytes, uint value)
    {
        Span<byte> b = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(b, value);
        bytes.AddRange(b);
    }

    private static void Put64(List<byte> bytes, ulong value)
    {
        Span<byte> b = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64BigEndian(b, value);
        bytes.AddRange(b);
    }

    private static void PutSized(List<byte> bytes, byte[] value)
    {
        Put16(bytes, checked((ushort)value.Length));
        bytes.AddRange(value);
    }

    private static ushort Read16(ReadOnlySpan<byte> data, ref int at)
    {
        ushort value = BinaryPrimitives.ReadUInt16BigEndian(data[at..]);
        at += 2;
        return value;
    }

    private static uint Read32(ReadOnlySpan<byte> data, ref int at)
    {
        uint value = BinaryPrimitives.ReadUInt32BigEndian(data[at..]);
        at += 4;
        return value;
    }

    private static ulong Read64(ReadOnlySpan<byte> data, ref int at)
    {
        ulong value = BinaryPrimitives.ReadUInt64BigEndian(data[at..]);
        at += 8;
        return value;
    }

    private static byte[] ReadSized(ReadOnlySpan<byte> data, ref int at)
    {
        int size = Read16(data, ref at);
        byte[] value = data.Slice(at, size).ToArray();
        at += size;
        return value;
    }
}
