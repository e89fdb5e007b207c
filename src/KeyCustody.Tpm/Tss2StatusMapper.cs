// SPDX-License-Identifier: Apache-2.0
using KeyCustody.Core;

namespace KeyCustody.Tpm;

/// <summary>
/// The one table from <c>TSS2_RC</c> to <see cref="CustodyStatus"/>. Operation-specific readings (a
/// <c>TPM_RC_VALUE</c> from <c>TPM2_PolicyPCR</c> during an unseal means the boot state changed) are made by
/// the provider that knows the operation, using <see cref="IsPolicyCheckFailure"/>.
/// </summary>
public static class Tss2StatusMapper
{
    /// <summary>Maps a return code to the closed status set.</summary>
    public static CustodyStatus Map(uint rc)
    {
        if (rc == Tss2ReturnCode.Success)
        {
            return CustodyStatus.Ok;
        }

        if (Tss2ReturnCode.IsTpmLayer(rc))
        {
            return Tss2ReturnCode.NormalizeTpm(rc) switch
            {
                Tss2ReturnCode.TpmRcLockout => CustodyStatus.TpmLockout,
                Tss2ReturnCode.TpmRcPolicyFail or Tss2ReturnCode.TpmRcPcrChanged or Tss2ReturnCode.TpmRcPolicy
                    => CustodyStatus.BootStateChanged,
                Tss2ReturnCode.TpmRcAuthFail or Tss2ReturnCode.TpmRcBadAuth => CustodyStatus.PermissionDenied,
                Tss2ReturnCode.TpmRcNvUninitialized => CustodyStatus.NotProvisioned,
                Tss2ReturnCode.TpmRcIntegrity => CustodyStatus.NotProvisioned,
                Tss2ReturnCode.TpmRcNvDefined => CustodyStatus.AlreadyExists,
                Tss2ReturnCode.TpmRcObjectMemory or Tss2ReturnCode.TpmRcSessionMemory or Tss2ReturnCode.TpmRcMemory
                    or Tss2ReturnCode.TpmRcTesting or Tss2ReturnCode.TpmRcRetry or Tss2ReturnCode.TpmRcNvRate
                    or Tss2ReturnCode.TpmRcNvUnavailable or Tss2ReturnCode.TpmRcInitialize
                    => CustodyStatus.TpmUnavailable,
                Tss2ReturnCode.TpmRcFailure => CustodyStatus.DeviceFault,
                _ => CustodyStatus.Internal,
            };
        }

        uint code = Tss2ReturnCode.Base(rc);
        if (Tss2ReturnCode.Layer(rc) == Tss2Layer.Tcti)
        {
            // Whatever the transport reports (refused, reset, device missing), the TPM is not reachable now.
            return CustodyStatus.TpmUnavailable;
        }

        return code switch
        {
            Tss2ReturnCode.BaseIoError or Tss2ReturnCode.BaseNoConnection or Tss2ReturnCode.BaseTryAgain
                or Tss2ReturnCode.BaseNoTpm or Tss2ReturnCode.BaseBadSequence => CustodyStatus.TpmUnavailable,
            Tss2ReturnCode.BaseKeyNotFound or Tss2ReturnCode.BasePathNotFound => CustodyStatus.NotFound,
            Tss2ReturnCode.BasePathAlreadyExists or Tss2ReturnCode.BaseNameAlreadyExists => CustodyStatus.AlreadyExists,
            Tss2ReturnCode.BaseNotProvisioned or Tss2ReturnCode.BaseNoConfig => CustodyStatus.NotProvisioned,
            Tss2ReturnCode.BaseBadPath or Tss2ReturnCode.BaseBadValue or Tss2ReturnCode.BaseBadSize
                or Tss2ReturnCode.BaseNoPcr or Tss2ReturnCode.BasePcrNotResettable => CustodyStatus.InvalidArgument,
            Tss2ReturnCode.BaseNotSupported or Tss2ReturnCode.BaseNotImplemented => CustodyStatus.Unsupported,
            Tss2ReturnCode.BaseAuthorizationFailed or Tss2ReturnCode.BaseAuthorizationUnknown
                or Tss2ReturnCode.BaseNotPermitted => CustodyStatus.PermissionDenied,
            Tss2ReturnCode.BaseSignatureVerificationFailed or Tss2ReturnCode.BaseRspAuthFailed
                or Tss2ReturnCode.BaseMalformedResponse or Tss2ReturnCode.BaseHashMismatch => CustodyStatus.DeviceFault,
            _ => CustodyStatus.Internal,
        };
    }

    /// <summary>
    /// True when the TPM refused a policy session: <c>TPM_RC_POLICY_FAIL</c>, <c>TPM_RC_POLICY</c>,
    /// <c>TPM_RC_PCR_CHANGED</c>, or <c>TPM_RC_VALUE</c>, which is what <c>TPM2_PolicyPCR</c> returns when the
    /// PCR digest FAPI recorded at seal time differs from the current PCRs (TPM 2.0 Part 3 §23.7).
    /// </summary>
    public static bool IsPolicyCheckFailure(uint rc) =>
        Tss2ReturnCode.IsTpmLayer(rc) && Tss2ReturnCode.NormalizeTpm(rc) is Tss2ReturnCode.TpmRcPolicyFail
            or Tss2ReturnCode.TpmRcPolicy or Tss2ReturnCode.TpmRcPcrChanged or Tss2ReturnCode.TpmRcValue;

    /// <summary>
    /// True when the context's connection is gone or its state machine is stuck, so it must be finalized and
    /// initialized again (tpm2-tss contexts do not reconnect on their own).
    /// </summary>
    public static bool NeedsNewContext(uint rc)
    {
        if (rc == Tss2ReturnCode.Success || Tss2ReturnCode.IsTpmLayer(rc))
        {
            return false;
        }

        if (Tss2ReturnCode.Layer(rc) == Tss2Layer.Tcti)
        {
            return true;
        }

        return Tss2ReturnCode.Base(rc) is Tss2ReturnCode.BaseIoError or Tss2ReturnCode.BaseNoConnection
            or Tss2ReturnCode.BaseBadSequence or Tss2ReturnCode.BaseNoTpm or Tss2ReturnCode.BaseTryAgain
            or Tss2ReturnCode.BaseBadContext;
    }

    /// <summary>Wraps <paramref name="exception"/> into a <see cref="CustodyException"/> with a caller-safe message.</summary>
    public static CustodyException ToCustodyException(Tss2Exception exception, string operation)
    {
        CustodyStatus status = Map(exception.ReturnCode);
        string message = status switch
        {
            CustodyStatus.TpmUnavailable => $"{operation} failed: the TPM is not reachable ({exception.Code}); check the TCTI setting and that the TPM (or swtpm) is running.",
            CustodyStatus.TpmLockout => $"{operation} failed: the TPM is in dictionary-attack lockout ({exception.Code}); wait for the lockout to expire or clear it with the lockout authorization.",
            CustodyStatus.BootStateChanged => $"{operation} failed: the boot state changed since the object was sealed ({exception.Code}).",
            CustodyStatus.NotProvisioned => $"{operation} failed: the TPM or its keystore is not set up for this ({exception.Code}, {exception.Description}).",
            CustodyStatus.NotFound => $"{operation} failed: the TPM object does not exist ({exception.Code}).",
            CustodyStatus.AlreadyExists => $"{operation} failed: the TPM object exists already ({exception.Code}).",
            CustodyStatus.PermissionDenied => $"{operation} failed: the TPM refused the authorization ({exception.Code}, {exception.Description}).",
            CustodyStatus.DeviceFault => $"{operation} failed: the TPM returned a result that does not verify ({exception.Code}, {exception.Description}).",
            _ => $"{operation} failed: {exception.Message}",
        };
        return new CustodyException(status, message, exception);
    }
}
