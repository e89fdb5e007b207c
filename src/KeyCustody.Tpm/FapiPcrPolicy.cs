// SPDX-License-Identifier: Apache-2.0
using System.Text;
using System.Text.Json;

namespace KeyCustody.Tpm;

/// <summary>
/// FAPI policy JSON (TCG FAPI Policy specification §3 "Policy language") for binding an object to SHA-256 PCRs.
/// </summary>
/// <remarks>
/// Each PCR gets its own <c>POLICYPCR</c> element instead of one element listing them all: tpm2-tss 3.2.1 (Debian
/// 12) allocates the PCR list of a loaded policy with the size for a single entry and corrupts its heap when an
/// element names several PCRs (fixed upstream in tpm2-tss PR #2616, "FAPI: Fix wrong allocation of pcr policy").
/// A chain of single-PCR assertions is equally strict: TPM2_PolicyPCR may be executed repeatedly in one policy
/// session and each assertion extends the policy digest, so every listed PCR must match (TPM 2.0 Part 3 §23.7).
/// </remarks>
public static class FapiPcrPolicy
{
    /// <summary>A policy that FAPI instantiates with the PCR values current at object creation.</summary>
    public static string ForCurrentValues(IReadOnlyList<int> pcrs, string description)
    {
        ArgumentNullException.ThrowIfNull(pcrs);
        if (pcrs.Count == 0)
        {
            throw new ArgumentException("A PCR policy needs at least one PCR.", nameof(pcrs));
        }

        return Write(description, json =>
        {
            foreach (int pcr in pcrs)
            {
                json.WriteStartObject();
                json.WriteString("type", "POLICYPCR");
                json.WriteStartArray("currentPCRandBanks");
                json.WriteStartObject();
                json.WriteString("hash", "TPM2_ALG_SHA256");
                json.WriteStartArray("pcrSelect");
                json.WriteNumberValue(pcr);
                json.WriteEndArray();
                json.WriteEndObject();
                json.WriteEndArray();
                json.WriteEndObject();
            }
        });
    }

    /// <summary>
    /// A policy over given SHA-256 values: for sealing to the state a planned update will produce (predicted PCR
    /// values) rather than to the current one.
    /// </summary>
    public static string ForValues(IReadOnlyDictionary<int, byte[]> values, string description)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (values.Count == 0)
        {
            throw new ArgumentException("A PCR policy needs at least one PCR.", nameof(values));
        }

        return Write(description, json =>
        {
            foreach ((int pcr, byte[] digest) in values.OrderBy(v => v.Key))
            {
                if (digest.Length != 32)
                {
                    throw new ArgumentException($"PCR {pcr}: a SHA-256 value is 32 bytes, not {digest.Length}.", nameof(values));
                }

                json.WriteStartObject();
                json.WriteString("type", "POLICYPCR");
                json.WriteStartArray("pcrs");
                json.WriteStartObject();
                json.WriteNumber("pcr", pcr);
                json.WriteString("hashAlg", "TPM2_ALG_SHA256");
                json.WriteString("digest", Convert.ToHexStringLower(digest));
                json.WriteEndObject();
                json.WriteEndArray();
                json.WriteEndObject();
            }
        });
    }

    /// <summary>
    /// Reads the SHA-256 PCR values an instantiated policy (as <c>Fapi_ExportPolicy</c> returns it) requires.
    /// Returns false when the JSON has no PCR assertions we understand.
    /// </summary>
    public static bool TryReadPcrValues(string policyJson, out IReadOnlyDictionary<int, byte[]> values)
    {
        var result = new SortedDictionary<int, byte[]>();
        values = result;
        try
        {
            using JsonDocument document = JsonDocument.Parse(policyJson);
            if (!document.RootElement.TryGetProperty("policy", out JsonElement elements) || elements.ValueKind != JsonValueKind.Array)
            {
                return false;
            }

            foreach (JsonElement element in elements.EnumerateArray())
            {
                if (!element.TryGetProperty("type", out JsonElement type)
                    || !string.Equals(type.GetString(), "POLICYPCR", StringComparison.OrdinalIgnoreCase)
                    || !element.TryGetProperty("pcrs", out JsonElement pcrs))
                {
                    continue;
                }

                foreach (JsonElement pcr in pcrs.EnumerateArray())
                {
                    string? hash = pcr.GetProperty("hashAlg").GetString();
                    if (hash is null || !hash.EndsWith("SHA256", StringComparison.OrdinalIgnoreCase))
                    {
                        continue;
                    }

                    result[pcr.GetProperty("pcr").GetInt32()] = Convert.FromHexString(pcr.GetProperty("digest").GetString() ?? string.Empty);
                }
            }

            return result.Count > 0;
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            result.Clear();
            return false;
        }
    }

    private static string Write(string description, Action<Utf8JsonWriter> writeElements)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();
            json.WriteString("description", description);
            json.WriteStartArray("policy");
            writeElements(json);
            json.WriteEndArray();
            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }
}
