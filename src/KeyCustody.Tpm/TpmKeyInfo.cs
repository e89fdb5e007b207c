// SPDX-License-Identifier: Apache-2.0
using System.Security.Cryptography;
using System.Text.Json;
using KeyCustody.Core;

namespace KeyCustody.Tpm;

/// <summary>The public half of a key FAPI holds, with the TPM object attributes that say whether it can leave the TPM.</summary>
/// <param name="Path">The FAPI path, e.g. "/HS/SRK/keycustody-audit".</param>
/// <param name="SubjectPublicKeyInfo">DER SubjectPublicKeyInfo.</param>
/// <param name="PublicKeyPem">The same as PEM.</param>
/// <param name="FixedTpm">TPMA_OBJECT fixedTPM: the key cannot be duplicated to another TPM.</param>
/// <param name="FixedParent">TPMA_OBJECT fixedParent: the key cannot be re-parented.</param>
/// <param name="SensitiveDataOrigin">TPMA_OBJECT sensitiveDataOrigin: the TPM generated the private key.</param>
/// <param name="Restricted">TPMA_OBJECT restricted: the key signs only digests the TPM computed itself (attestation keys).</param>
public sealed record TpmKeyInfo(
    string Path,
    byte[] SubjectPublicKeyInfo,
    string PublicKeyPem,
    bool FixedTpm,
    bool FixedParent,
    bool SensitiveDataOrigin,
    bool Restricted)
{
    /// <summary>True when the private key was made inside this TPM and can never leave it.</summary>
    public bool IsNonExportable => FixedTpm && FixedParent && SensitiveDataOrigin;

    /// <summary>Creates the key when absent (returns true) and leaves an existing one alone (returns false).</summary>
    internal static bool Ensure(FapiContext fapi, string path, string type)
    {
        if (fapi.Exists(path))
        {
            return false;
        }

        fapi.CreateKey(path, type);
        return true;
    }

    /// <summary>Reads the key's public part through <c>Fapi_ExportKey</c>.</summary>
    internal static TpmKeyInfo Read(FapiContext fapi, string path)
    {
        string json = fapi.ExportPublicKey(path);
        try
        {
            using JsonDocument document = JsonDocument.Parse(json);
            JsonElement root = document.RootElement;
            string pem = root.GetProperty("pem_ext_public").GetString()
                ?? throw new JsonException("pem_ext_public is null");
            JsonElement attributes = root.GetProperty("public").GetProperty("publicArea").GetProperty("objectAttributes");
            using var ecdsa = ECDsa.Create();
            ecdsa.ImportFromPem(pem);
            if (ecdsa.KeySize != 256)
            {
                throw new CustodyException(CustodyStatus.DeviceFault, $"TPM key {path} is not a P-256 key.");
            }

            return new TpmKeyInfo(
                path,
                ecdsa.ExportSubjectPublicKeyInfo(),
                pem,
                Flag(attributes, "fixedTPM"),
                Flag(attributes, "fixedParent"),
                Flag(attributes, "sensitiveDataOrigin"),
                Flag(attributes, "restricted"));
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or ArgumentException or CryptographicException)
        {
            throw new CustodyException(CustodyStatus.DeviceFault, $"FAPI returned an unreadable public key for {path}.", e);
        }
    }

    private static bool Flag(JsonElement attributes, string name) =>
        attributes.TryGetProperty(name, out JsonElement value) && value.ValueKind switch
        {
            JsonValueKind.Number => value.GetInt32() != 0,
            JsonValueKind.True => true,
            JsonValueKind.String => value.GetString() is "1" or "YES" or "yes",
            _ => false,
        };
}
