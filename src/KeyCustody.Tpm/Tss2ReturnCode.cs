// SPDX-License-Identifier: Apache-2.0
using System.Globalization;
using System.Runtime.InteropServices;

namespace KeyCustody.Tpm;

/// <summary>The software layer a <c>TSS2_RC</c> comes from (bits 16–23, <c>tss2_common.h</c>).</summary>
public enum Tss2Layer
{
    /// <summary>The TPM itself (a <c>TPM_RC</c>).</summary>
    Tpm = 0,
    /// <summary>The Feature API (FAPI).</summary>
    Fapi = 6,
    /// <summary>The Enhanced System API (ESAPI).</summary>
    Esys = 7,
    /// <summary>The System API (SAPI).</summary>
    Sys = 8,
    /// <summary>Marshalling/unmarshalling.</summary>
    Mu = 9,
    /// <summary>The transmission interface (TCTI): sockets, device files.</summary>
    Tcti = 10,
    /// <summary>A resource manager.</summary>
    ResourceManager = 11,
    /// <summary>A TPM error reported through a resource manager.</summary>
    ResourceManagerTpm = 12,
}

/// <summary>
/// Decoding of <c>TSS2_RC</c> values: the layer, the base code, and for TPM codes the format-0/format-1 number
/// (TPM 2.0 Library, Part 2, §6.6 "TPM_RC"). Only the codes KeyCustody reacts to are named here; everything
/// else is rendered by <c>Tss2_RC_Decode</c> (libtss2-rc) when it is installed, or as hex.
/// </summary>
public static class Tss2ReturnCode
{
    /// <summary>Success.</summary>
    public const uint Success = 0;

    // Base codes shared by every software layer (tss2_common.h, TSS2_BASE_RC_*).
    internal const uint BaseGeneralFailure = 1;
    internal const uint BaseNotImplemented = 2;
    internal const uint BaseBadContext = 3;
    internal const uint BaseBadReference = 5;
    internal const uint BaseBadSequence = 7;
    internal const uint BaseNoConnection = 8;
    internal const uint BaseTryAgain = 9;
    internal const uint BaseIoError = 10;
    internal const uint BaseBadValue = 11;
    internal const uint BaseNotPermitted = 12;
    internal const uint BaseBadSize = 16;
    internal const uint BaseMalformedResponse = 17;
    internal const uint BaseInsufficientResponse = 19;
    internal const uint BaseNotSupported = 21;
    internal const uint BaseMemory = 23;
    internal const uint BaseRspAuthFailed = 27;
    internal const uint BaseNoConfig = 28;
    internal const uint BaseBadPath = 29;
    internal const uint BaseNotDeletable = 30;
    internal const uint BasePathAlreadyExists = 31;
    internal const uint BaseKeyNotFound = 32;
    internal const uint BaseSignatureVerificationFailed = 33;
    internal const uint BaseHashMismatch = 34;
    internal const uint BasePathNotFound = 36;
    internal const uint BaseNoCert = 37;
    internal const uint BaseNoPcr = 38;
    internal const uint BasePcrNotResettable = 39;
    internal const uint BaseBadTemplate = 40;
    internal const uint BaseAuthorizationFailed = 41;
    internal const uint BaseAuthorizationUnknown = 42;
    internal const uint BaseNvNotReadable = 43;
    internal const uint BaseNvTooSmall = 44;
    internal const uint BaseNvNotWriteable = 45;
    internal const uint BasePolicyUnknown = 46;
    internal const uint BaseNvWrongType = 47;
    internal const uint BaseNameAlreadyExists = 48;
    internal const uint BaseNoTpm = 49;
    internal const uint BaseBadKey = 50;
    internal const uint BaseNoHandle = 51;
    internal const uint BaseNotProvisioned = 52;
    internal const uint BaseAlreadyProvisioned = 53;

    /// <summary><c>TSS2_FAPI_RC_ALREADY_PROVISIONED</c>: <c>Fapi_Provision</c> on a provisioned keystore.</summary>
    public const uint FapiAlreadyProvisioned = (6u << 16) | BaseAlreadyProvisioned;
    /// <summary><c>TSS2_FAPI_RC_PATH_ALREADY_EXISTS</c>.</summary>
    public const uint FapiPathAlreadyExists = (6u << 16) | BasePathAlreadyExists;
    /// <summary><c>TSS2_FAPI_RC_KEY_NOT_FOUND</c>.</summary>
    public const uint FapiKeyNotFound = (6u << 16) | BaseKeyNotFound;
    /// <summary><c>TSS2_FAPI_RC_PATH_NOT_FOUND</c>.</summary>
    public const uint FapiPathNotFound = (6u << 16) | BasePathNotFound;
    /// <summary><c>TSS2_FAPI_RC_NOT_PROVISIONED</c>.</summary>
    public const uint FapiNotProvisioned = (6u << 16) | BaseNotProvisioned;
    /// <summary><c>TSS2_TCTI_RC_IO_ERROR</c>: the TPM (or swtpm) could not be reached.</summary>
    public const uint TctiIoError = (10u << 16) | BaseIoError;
    internal const uint TctiBadReference = (10u << 16) | BaseBadReference;
    internal const uint TctiNotImplemented = (10u << 16) | BaseNotImplemented;

    // TPM_RC values (TPM 2.0 Part 2 §6.6.3). Format-1 codes are RC_FMT1 (0x080) + number; when returned by the
    // TPM they also carry the parameter/handle/session number in bits 6 and 8–11, which Normalize() strips.
    /// <summary><c>TPM_RC_VALUE</c> (format 1): a parameter value is wrong; for <c>TPM2_PolicyPCR</c> this is how the TPM says the PCR digest no longer matches.</summary>
    public const uint TpmRcValue = 0x084;
    /// <summary><c>TPM_RC_AUTH_FAIL</c> (format 1): the authorization HMAC check failed (counts towards dictionary-attack lockout).</summary>
    public const uint TpmRcAuthFail = 0x08E;
    /// <summary><c>TPM_RC_POLICY_FAIL</c> (format 1): a policy check failed.</summary>
    public const uint TpmRcPolicyFail = 0x09D;
    /// <summary><c>TPM_RC_INTEGRITY</c> (format 1): an object's integrity check failed (for example a blob from another TPM).</summary>
    public const uint TpmRcIntegrity = 0x09F;
    /// <summary><c>TPM_RC_BAD_AUTH</c> (format 1): authorization failure without dictionary-attack implications.</summary>
    public const uint TpmRcBadAuth = 0x0A2;
    /// <summary><c>TPM_RC_INITIALIZE</c>: the TPM was not started (<c>TPM2_Startup</c> missing).</summary>
    public const uint TpmRcInitialize = 0x100;
    /// <summary><c>TPM_RC_FAILURE</c>: the TPM is in failure mode.</summary>
    public const uint TpmRcFailure = 0x101;
    /// <summary><c>TPM_RC_POLICY</c>: a policy session was required and not (correctly) used.</summary>
    public const uint TpmRcPolicy = 0x126;
    /// <summary><c>TPM_RC_NV_UNINITIALIZED</c>: the NV index was never written (a new counter).</summary>
    public const uint TpmRcNvUninitialized = 0x14A;
    /// <summary><c>TPM_RC_NV_DEFINED</c>: an NV index with that handle exists already.</summary>
    public const uint TpmRcNvDefined = 0x14C;
    /// <summary><c>TPM_RC_OBJECT_MEMORY</c> (warning): no free object slot in the TPM.</summary>
    public const uint TpmRcObjectMemory = 0x902;
    /// <summary><c>TPM_RC_SESSION_MEMORY</c> (warning): no free session slot in the TPM.</summary>
    public const uint TpmRcSessionMemory = 0x903;
    /// <summary><c>TPM_RC_MEMORY</c> (warning).</summary>
    public const uint TpmRcMemory = 0x904;
    /// <summary><c>TPM_RC_TESTING</c> (warning): self-test in progress.</summary>
    public const uint TpmRcTesting = 0x90A;
    /// <summary><c>TPM_RC_LOCKOUT</c> (warning): dictionary-attack lockout.</summary>
    public const uint TpmRcLockout = 0x921;
    /// <summary><c>TPM_RC_RETRY</c> (warning).</summary>
    public const uint TpmRcRetry = 0x922;
    /// <summary><c>TPM_RC_NV_RATE</c> (warning): NV writes throttled.</summary>
    public const uint TpmRcNvRate = 0x920;
    /// <summary><c>TPM_RC_NV_UNAVAILABLE</c> (warning).</summary>
    public const uint TpmRcNvUnavailable = 0x923;
    /// <summary><c>TPM_RC_PCR_CHANGED</c> (warning): PCRs changed while a policy session was being built.</summary>
    public const uint TpmRcPcrChanged = 0x928;

    private static readonly bool s_rcLibraryAvailable = NativeLibrary.TryLoad("libtss2-rc.so.0", out _);

    // Tss2_RC_Decode formats into one static buffer; the lock keeps two threads from interleaving in it.
    private static readonly Lock s_decodeLock = new();

    /// <summary>The layer the code comes from.</summary>
    public static Tss2Layer Layer(uint rc) => (Tss2Layer)((rc >> 16) & 0xFF);

    /// <summary>The base code of a software-layer error (bits 0–15); for TPM-layer codes see <see cref="NormalizeTpm"/>.</summary>
    public static uint Base(uint rc) => rc & 0xFFFF;

    /// <summary>True for a TPM response code (from the TPM itself or relayed by a resource manager).</summary>
    public static bool IsTpmLayer(uint rc) => Layer(rc) is Tss2Layer.Tpm or Tss2Layer.ResourceManagerTpm;

    /// <summary>
    /// A TPM response code without its parameter/handle/session position: format-1 codes become
    /// <c>RC_FMT1 + number</c> (0x080–0x0BF), format-0 codes keep version, vendor and warning bits.
    /// Returns 0 for software-layer codes.
    /// </summary>
    public static uint NormalizeTpm(uint rc)
    {
        if (!IsTpmLayer(rc))
        {
            return 0;
        }

        uint tpm = rc & 0xFFFF;
        return (tpm & 0x080) != 0 ? 0x080 | (tpm & 0x03F) : tpm & 0xF7F;
    }

    /// <summary>The stable text name of a layer, as Tss2_RC_Decode spells it.</summary>
    public static string LayerName(Tss2Layer layer) => layer switch
    {
        Tss2Layer.Tpm => "tpm",
        Tss2Layer.Fapi => "fapi",
        Tss2Layer.Esys => "esapi",
        Tss2Layer.Sys => "sys",
        Tss2Layer.Mu => "mu",
        Tss2Layer.Tcti => "tcti",
        Tss2Layer.ResourceManager => "rmt",
        Tss2Layer.ResourceManagerTpm => "rm",
        _ => "layer" + ((int)layer).ToString(CultureInfo.InvariantCulture),
    };

    /// <summary>
    /// "layer:text" for <paramref name="rc"/>: <c>Tss2_RC_Decode</c> when libtss2-rc is installed, otherwise our
    /// own rendering of the codes listed in this class.
    /// </summary>
    public static string Describe(uint rc)
    {
        if (s_rcLibraryAvailable)
        {
            try
            {
                string? text = DecodeNative(rc);
                if (!string.IsNullOrEmpty(text))
                {
                    return text;
                }
            }
            catch (DllNotFoundException)
            {
                // Fall through to our own table.
            }
            catch (EntryPointNotFoundException)
            {
                // Fall through to our own table.
            }
        }

        return DescribeManaged(rc);
    }

    /// <summary>Our own rendering, used when libtss2-rc is missing (and by tests to check the table).</summary>
    public static string DescribeManaged(uint rc)
    {
        Tss2Layer layer = Layer(rc);
        string prefix = LayerName(layer) + ":";
        if (IsTpmLayer(rc))
        {
            uint code = NormalizeTpm(rc);
            string? name = code switch
            {
                TpmRcValue => "TPM_RC_VALUE (a parameter value is wrong for this command)",
                TpmRcAuthFail => "TPM_RC_AUTH_FAIL (authorization check failed; the lockout counter went up)",
                TpmRcPolicyFail => "TPM_RC_POLICY_FAIL (a policy check failed)",
                TpmRcIntegrity => "TPM_RC_INTEGRITY (the object blob does not belong to this parent or TPM)",
                TpmRcBadAuth => "TPM_RC_BAD_AUTH (authorization failed; not counted for lockout)",
                TpmRcInitialize => "TPM_RC_INITIALIZE (the TPM has not been started)",
                TpmRcFailure => "TPM_RC_FAILURE (the TPM is in failure mode)",
                TpmRcPolicy => "TPM_RC_POLICY (the policy session does not satisfy the object's policy)",
                TpmRcNvUninitialized => "TPM_RC_NV_UNINITIALIZED (the NV index has never been written)",
                TpmRcNvDefined => "TPM_RC_NV_DEFINED (an NV index with this handle exists)",
                TpmRcObjectMemory => "TPM_RC_OBJECT_MEMORY (no free object slot)",
                TpmRcSessionMemory => "TPM_RC_SESSION_MEMORY (no free session slot)",
                TpmRcMemory => "TPM_RC_MEMORY (the TPM ran out of internal memory)",
                TpmRcTesting => "TPM_RC_TESTING (self-test running)",
                TpmRcLockout => "TPM_RC_LOCKOUT (dictionary-attack lockout)",
                TpmRcRetry => "TPM_RC_RETRY (the TPM could not start the command)",
                TpmRcNvRate => "TPM_RC_NV_RATE (NV writes are being rate-limited)",
                TpmRcNvUnavailable => "TPM_RC_NV_UNAVAILABLE (NV is not accessible now)",
                TpmRcPcrChanged => "TPM_RC_PCR_CHANGED (a PCR changed during the policy session)",
                _ => null,
            };
            return prefix + (name ?? "TPM_RC 0x" + (rc & 0xFFFF).ToString("X3", CultureInfo.InvariantCulture));
        }

        string? text = Base(rc) switch
        {
            BaseGeneralFailure => "general failure",
            BaseNotImplemented => "not implemented",
            BaseBadContext => "bad context",
            BaseBadReference => "null pointer where one is not allowed",
            BaseBadSequence => "called out of sequence",
            BaseNoConnection => "no connection to the layer below",
            BaseTryAgain => "try again",
            BaseIoError => "input/output error",
            BaseBadValue => "bad parameter value",
            BaseNotPermitted => "not permitted",
            BaseBadSize => "bad size",
            BaseMalformedResponse => "malformed response",
            BaseNotSupported => "not supported",
            BaseMemory => "out of memory",
            BaseRspAuthFailed => "the response HMAC did not verify",
            BaseNoConfig => "no configuration",
            BaseBadPath => "bad path",
            BaseNotDeletable => "object may not be deleted",
            BasePathAlreadyExists => "path exists already",
            BaseKeyNotFound => "key not found",
            BaseSignatureVerificationFailed => "signature did not verify",
            BaseHashMismatch => "hash mismatch",
            BasePathNotFound => "path not found",
            BaseNoCert => "no certificate",
            BaseNoPcr => "no such PCR",
            BasePcrNotResettable => "PCR cannot be reset",
            BaseBadTemplate => "bad template",
            BaseAuthorizationFailed => "authorization failed",
            BaseAuthorizationUnknown => "authorization unknown",
            BaseNvNotReadable => "NV index not readable",
            BaseNvTooSmall => "NV index too small",
            BaseNvNotWriteable => "NV index not writable",
            BasePolicyUnknown => "policy unknown",
            BaseNvWrongType => "wrong NV index type",
            BaseNameAlreadyExists => "name exists already",
            BaseNoTpm => "no TPM",
            BaseBadKey => "bad key",
            BaseNoHandle => "no handle",
            BaseNotProvisioned => "not provisioned",
            BaseAlreadyProvisioned => "already provisioned",
            _ => null,
        };
        return prefix + (text ?? "0x" + Base(rc).ToString("X4", CultureInfo.InvariantCulture));
    }

    private static unsafe string? DecodeNative(uint rc)
    {
        lock (s_decodeLock)
        {
            byte* text = Interop.Tss2Rc.Tss2_RC_Decode(rc);
            return text == null ? null : Marshal.PtrToStringUTF8((nint)text);
        }
    }
}
