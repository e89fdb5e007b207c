// SPDX-License-Identifier: Apache-2.0
namespace KeyCustody.Tpm;

/// <summary>What <c>Fapi_Sign</c> returns.</summary>
/// <param name="Signature">For ECC keys: a DER <c>SEQUENCE { r, s }</c> — FAPI converts the TPM's <c>TPMT_SIGNATURE</c> itself.</param>
/// <param name="PublicKeyPem">The signing key's public key as PEM SubjectPublicKeyInfo.</param>
public sealed record FapiSignResult(byte[] Signature, string PublicKeyPem);

public sealed partial class FapiContext
{
    /// <summary>
    /// <c>Fapi_CreateKey</c>: creates a key at <paramref name="path"/> (e.g. "/HS/SRK/name") of FAPI type
    /// <paramref name="type"/> (e.g. "sign,noDa"), optionally bound to the policy at <paramref name="policyPath"/>.
    /// </summary>
    public void CreateKey(string path, string type, string? policyPath = null, string? authValue = "")
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        lock (_lock)
        {
            Check("Fapi_CreateKey", Interop.Fapi.Fapi_CreateKey(Open(), path, type, policyPath, authValue));
        }
    }

    /// <summary><c>Fapi_Sign</c> over a digest made with the key's scheme hash (SHA-256 in our profile).</summary>
    public unsafe FapiSignResult Sign(string keyPath, ReadOnlySpan<byte> digest)
    {
        ArgumentException.ThrowIfNullOrEmpty(keyPath);
        lock (_lock)
        {
            SafeFapiContextHandle context = Open();
            nint signature = 0, publicKey = 0, certificate = 0;
            nuint signatureSize = 0;
            try
            {
                fixed (byte* d = digest)
                {
                    Check("Fapi_Sign", Interop.Fapi.Fapi_Sign(
                        context, keyPath, null, d, (nuint)digest.Length, &signature, &signatureSize, &publicKey, &certificate));
                }

                return new FapiSignResult(Bytes(signature, signatureSize), Utf8(publicKey));
            }
            finally
            {
                Free(signature);
                Free(publicKey);
                Free(certificate);
            }
        }
    }

    /// <summary>
    /// <c>Fapi_ExportKey</c> without a new parent: the key's public part as FAPI JSON, whose
    /// <c>pem_ext_public</c> member is the PEM SubjectPublicKeyInfo.
    /// </summary>
    public unsafe string ExportPublicKey(string keyPath)
    {
        ArgumentException.ThrowIfNullOrEmpty(keyPath);
        lock (_lock)
        {
            SafeFapiContextHandle context = Open();
            nint exported = 0;
            try
            {
                Check("Fapi_ExportKey", Interop.Fapi.Fapi_ExportKey(context, keyPath, null, &exported));
                return Utf8(exported);
            }
            finally
            {
                Free(exported);
            }
        }
    }

    /// <summary><c>Fapi_Import</c>: stores a policy (or a public key) given as JSON at <paramref name="path"/>.</summary>
    public void Import(string path, string json)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentException.ThrowIfNullOrEmpty(json);
        lock (_lock)
        {
            Check("Fapi_Import", Interop.Fapi.Fapi_Import(Open(), path, json));
        }
    }

    /// <summary><c>Fapi_Delete</c>: removes the object (and for keys and NV indices, the TPM entity) at <paramref name="path"/>.</summary>
    public void Delete(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        lock (_lock)
        {
            Check("Fapi_Delete", Interop.Fapi.Fapi_Delete(Open(), path));
        }
    }

    /// <summary>
    /// <c>Fapi_List</c>: the paths below <paramref name="searchPath"/>, each with the profile prefix FAPI adds
    /// (e.g. "/P_ECCP256SHA256/HS/SRK/name"). Empty when the path does not exist.
    /// </summary>
    public unsafe IReadOnlyList<string> List(string searchPath)
    {
        ArgumentException.ThrowIfNullOrEmpty(searchPath);
        lock (_lock)
        {
            SafeFapiContextHandle context = Open();
            nint list = 0;
            try
            {
                uint rc = Interop.Fapi.Fapi_List(context, searchPath, &list);
                if (Tss2ReturnCode.Base(rc) is Tss2ReturnCode.BasePathNotFound or Tss2ReturnCode.BaseKeyNotFound
                    && Tss2ReturnCode.Layer(rc) == Tss2Layer.Fapi)
                {
                    return [];
                }

                Check("Fapi_List", rc);
                return Utf8(list).Split(':', StringSplitOptions.RemoveEmptyEntries);
            }
            finally
            {
                Free(list);
            }
        }
    }

    /// <summary>
    /// True when an object exists at <paramref name="path"/> (a path as given to the other calls, e.g.
    /// "/HS/SRK/name", "/nv/Owner/name" or "/policy/name").
    /// </summary>
    public unsafe bool Exists(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (path.TrimStart('/').StartsWith("policy/", StringComparison.Ordinal))
        {
            // Policies carry no description (Fapi_GetDescription answers "key not found"), so look them up by listing.
            string normalized = "/" + path.Trim('/');
            return List("/policy").Contains(normalized, StringComparer.Ordinal);
        }

        lock (_lock)
        {
            SafeFapiContextHandle context = Open();
            nint description = 0;
            try
            {
                uint rc = Interop.Fapi.Fapi_GetDescription(context, path, &description);
                // FAPI answers "not provisioned" for a path whose keystore branch was never created (/nv/Owner
                // before the first NV index); nothing can exist there. A keystore that really is unprovisioned
                // makes the create that follows fail with the same code, so nothing is hidden.
                if (Tss2ReturnCode.Layer(rc) == Tss2Layer.Fapi && Tss2ReturnCode.Base(rc) is Tss2ReturnCode.BaseKeyNotFound
                    or Tss2ReturnCode.BasePathNotFound or Tss2ReturnCode.BaseNotProvisioned)
                {
                    return false;
                }

                Check("Fapi_GetDescription", rc);
                return true;
            }
            finally
            {
                Free(description);
            }
        }
    }

    /// <summary><c>Fapi_ExportPolicy</c>: the policy (with the values instantiated at creation) of the object at <paramref name="path"/>.</summary>
    public unsafe string ExportPolicy(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        lock (_lock)
        {
            SafeFapiContextHandle context = Open();
            nint policy = 0;
            try
            {
                Check("Fapi_ExportPolicy", Interop.Fapi.Fapi_ExportPolicy(context, path, &policy));
                return Utf8(policy);
            }
            finally
            {
                Free(policy);
            }
        }
    }
}
