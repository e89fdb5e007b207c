// SPDX-License-Identifier: Apache-2.0
using System.Runtime.InteropServices;

namespace KeyCustody.Tpm;

/// <summary>
/// Native entry points, one nested class per library. Spellings follow the C headers so a reader can grep them in
/// tpm2-tss. Nothing here checks a return code, logs or decides anything: that is <see cref="FapiContext"/>'s job.
/// </summary>
internal static unsafe partial class Interop
{
    /// <summary>
    /// The tpm2-tss Feature API, <c>tss2_fapi.h</c> (TCG TSS 2.0 Feature API specification, version 0.94;
    /// https://trustedcomputinggroup.org/resource/tss-fapi/). Every <c>TSS2_RC</c> is a <c>uint32_t</c>; every
    /// buffer FAPI returns through an out-pointer must be released with <see cref="Fapi_Free"/>.
    /// </summary>
    internal static partial class Fapi
    {
        // Out-pointers are raw pointers rather than `out` so the caller zero-initialises them: FAPI does not
        // promise to write its outputs on failure, and we free whatever is non-null in a finally.
        private const string Library = "libtss2-fapi.so.1";

        [LibraryImport(Library)]
        internal static partial uint Fapi_Initialize(nint* context, byte* uri);

        [LibraryImport(Library)]
        internal static partial void Fapi_Finalize(nint* context);

        [LibraryImport(Library)]
        internal static partial void Fapi_Free(nint ptr);

        [LibraryImport(Library)]
        internal static partial uint Fapi_GetTcti(SafeFapiContextHandle context, nint* tcti);

        [LibraryImport(Library)]
        internal static partial uint Fapi_GetInfo(SafeFapiContextHandle context, nint* info);

        [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
        internal static partial uint Fapi_Provision(
            SafeFapiContextHandle context, string? authValueEh, string? authValueSh, string? authValueLockout);

        [LibraryImport(Library)]
        internal static partial uint Fapi_GetRandom(SafeFapiContextHandle context, nuint numBytes, nint* data);

        [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
        internal static partial uint Fapi_Import(SafeFapiContextHandle context, string path, string importData);

        [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
        internal static partial uint Fapi_List(SafeFapiContextHandle context, string searchPath, nint* pathList);

        [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
        internal static partial uint Fapi_Delete(SafeFapiContextHandle context, string path);

        [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
        internal static partial uint Fapi_GetDescription(SafeFapiContextHandle context, string path, nint* description);

        [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
        internal static partial uint Fapi_GetTpmBlobs(
            SafeFapiContextHandle context,
            string path,
            nint* tpm2bPublic,
            nuint* tpm2bPublicSize,
            nint* tpm2bPrivate,
            nuint* tpm2bPrivateSize,
            nint* policy);

        [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
        internal static partial uint Fapi_CreateKey(
            SafeFapiContextHandle context, string path, string? type, string? policyPath, string? authValue);

        [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
        internal static partial uint Fapi_Sign(
            SafeFapiContextHandle context,
            string keyPath,
            string? padding,
            byte* digest,
            nuint digestSize,
            nint* signature,
            nuint* signatureSize,
            nint* publicKey,
            nint* certificate);

        [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
        internal static partial uint Fapi_ExportKey(
            SafeFapiContextHandle context, string pathOfKeyToDuplicate, string? pathToPublicKeyOfNewParent, nint* exportedData);

        [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
        internal static partial uint Fapi_CreateSeal(
            SafeFapiContextHandle context,
            string path,
            string? type,
            nuint size,
            string? policyPath,
            string? authValue,
            byte* data);

        [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
        internal static partial uint Fapi_Unseal(SafeFapiContextHandle context, string path, nint* data, nuint* size);

        [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
        internal static partial uint Fapi_ExportPolicy(SafeFapiContextHandle context, string path, nint* jsonPolicy);

        [LibraryImport(Library)]
        internal static partial uint Fapi_PcrRead(
            SafeFapiContextHandle context, uint pcrIndex, nint* pcrValue, nuint* pcrValueSize, nint* pcrLog);

        [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
        internal static partial uint Fapi_PcrExtend(
            SafeFapiContextHandle context, uint pcr, byte* data, nuint dataSize, string? logData);

        [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
        internal static partial uint Fapi_Quote(
            SafeFapiContextHandle context,
            uint* pcrList,
            nuint pcrListSize,
            string keyPath,
            string? quoteType,
            byte* qualifyingData,
            nuint qualifyingDataSize,
            nint* quoteInfo,
            nint* signature,
            nuint* signatureSize,
            nint* pcrLog,
            nint* certificate);

        [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
        internal static partial uint Fapi_CreateNv(
            SafeFapiContextHandle context, string path, string? type, nuint size, string? policyPath, string? authValue);

        [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
        internal static partial uint Fapi_NvRead(
            SafeFapiContextHandle context, string path, nint* data, nuint* size, nint* logData);

        [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
        internal static partial uint Fapi_NvIncrement(SafeFapiContextHandle context, string path);
    }
}
