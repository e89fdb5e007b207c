// SPDX-License-Identifier: Apache-2.0
using KeyCustody.Core;
using static KeyCustody.Pkcs11.Interop.Pkcs11Constants;

namespace KeyCustody.Pkcs11;

/// <summary>The one table from PKCS#11 return values to <see cref="CustodyStatus"/>.</summary>
public static class Pkcs11StatusMapper
{
    /// <summary>The status a CK_RV stands for.</summary>
    public static CustodyStatus ToStatus(ulong returnValue) => returnValue switch
    {
        CKR_OK => CustodyStatus.Ok,
        CKR_PIN_INCORRECT or CKR_PIN_INVALID or CKR_PIN_LEN_RANGE => CustodyStatus.PinIncorrect,
        CKR_PIN_LOCKED => CustodyStatus.PinLocked,
        CKR_PIN_EXPIRED or CKR_USER_PIN_NOT_INITIALIZED or CKR_TOKEN_NOT_RECOGNIZED => CustodyStatus.NotProvisioned,

        // The device went away or lost our state: retrying after it is back may succeed.
        CKR_DEVICE_REMOVED or CKR_TOKEN_NOT_PRESENT or CKR_DEVICE_ERROR or CKR_DEVICE_MEMORY
            or CKR_SESSION_HANDLE_INVALID or CKR_SESSION_CLOSED or CKR_SESSION_COUNT or CKR_SLOT_ID_INVALID
            or CKR_USER_NOT_LOGGED_IN or CKR_CRYPTOKI_NOT_INITIALIZED => CustodyStatus.HsmUnavailable,

        CKR_KEY_HANDLE_INVALID or CKR_OBJECT_HANDLE_INVALID or CKR_WRAPPING_KEY_HANDLE_INVALID
            or CKR_UNWRAPPING_KEY_HANDLE_INVALID => CustodyStatus.NotFound,

        CKR_MECHANISM_INVALID or CKR_MECHANISM_PARAM_INVALID or CKR_CURVE_NOT_SUPPORTED or CKR_KEY_SIZE_RANGE
            or CKR_FUNCTION_NOT_SUPPORTED or CKR_DOMAIN_PARAMS_INVALID or CKR_KEY_TYPE_INCONSISTENT
            or CKR_WRAPPING_KEY_TYPE_INCONSISTENT or CKR_UNWRAPPING_KEY_TYPE_INCONSISTENT
            or CKR_WRAPPING_KEY_SIZE_RANGE or CKR_UNWRAPPING_KEY_SIZE_RANGE => CustodyStatus.Unsupported,

        CKR_ARGUMENTS_BAD or CKR_DATA_INVALID or CKR_DATA_LEN_RANGE or CKR_TEMPLATE_INCOMPLETE
            or CKR_TEMPLATE_INCONSISTENT or CKR_ATTRIBUTE_VALUE_INVALID or CKR_ATTRIBUTE_TYPE_INVALID
            or CKR_WRAPPED_KEY_INVALID or CKR_WRAPPED_KEY_LEN_RANGE or CKR_ENCRYPTED_DATA_INVALID
            or CKR_ENCRYPTED_DATA_LEN_RANGE => CustodyStatus.InvalidArgument,

        // The device refuses on principle: non-extractable keys, read-only attributes, key usage.
        CKR_KEY_UNEXTRACTABLE or CKR_KEY_NOT_WRAPPABLE or CKR_KEY_FUNCTION_NOT_PERMITTED or CKR_ATTRIBUTE_SENSITIVE
            or CKR_ATTRIBUTE_READ_ONLY or CKR_ACTION_PROHIBITED or CKR_FUNCTION_REJECTED
            or CKR_TOKEN_WRITE_PROTECTED => CustodyStatus.PermissionDenied,

        CKR_SESSION_READ_ONLY or CKR_OPERATION_ACTIVE or CKR_OPERATION_NOT_INITIALIZED
            or CKR_USER_ANOTHER_ALREADY_LOGGED_IN or CKR_SESSION_READ_WRITE_SO_EXISTS or CKR_SESSION_EXISTS
            or CKR_SESSION_READ_ONLY_EXISTS or CKR_USER_ALREADY_LOGGED_IN => CustodyStatus.WrongState,

        CKR_CANCEL or CKR_FUNCTION_CANCELED => CustodyStatus.Cancelled,
        CKR_SIGNATURE_INVALID or CKR_SIGNATURE_LEN_RANGE => CustodyStatus.DeviceFault,
        _ => CustodyStatus.Internal,
    };

    /// <summary>
    /// A <see cref="CustodyException"/> for <paramref name="exception"/>: "<paramref name="context"/>: C_Sign returned
    /// CKR_…". The native text stays in the message; the caller's context must not contain secrets.
    /// </summary>
    public static CustodyException ToCustodyException(Pkcs11Exception exception, string context)
    {
        ArgumentNullException.ThrowIfNull(exception);
        return new CustodyException(ToStatus(exception.ReturnValue), $"{context}: {exception.Message}.", exception);
    }
}
