// SPDX-License-Identifier: Apache-2.0
using System.Collections.Frozen;

#pragma warning disable SA1310, CA1707 // Native spellings on purpose (CKR_OK, CKA_LABEL, ...).

namespace KeyCustody.Pkcs11.Interop;

/// <summary>
/// The PKCS#11 constants this binding uses, with their native spellings and the values of the OASIS
/// PKCS#11 v2.40 headers (pkcs11t.h; unchanged in v3.0). Use with <c>using static</c>.
/// https://docs.oasis-open.org/pkcs11/pkcs11-base/v2.40/os/pkcs11-base-v2.40-os.html
/// </summary>
public static class Pkcs11Constants
{
    // ---- Object classes (CKO_), key types (CKK_) ----
    /// <summary>Public key object class.</summary>
    public const ulong CKO_PUBLIC_KEY = 0x2;
    /// <summary>Private key object class.</summary>
    public const ulong CKO_PRIVATE_KEY = 0x3;
    /// <summary>Secret key object class.</summary>
    public const ulong CKO_SECRET_KEY = 0x4;
    /// <summary>RSA key type.</summary>
    public const ulong CKK_RSA = 0x0;
    /// <summary>Weierstrass elliptic-curve key type (ECDSA).</summary>
    public const ulong CKK_EC = 0x3;
    /// <summary>AES key type.</summary>
    public const ulong CKK_AES = 0x1F;
    /// <summary>Edwards elliptic-curve key type (EdDSA; PKCS#11 v3.0, also in SoftHSM 2.6).</summary>
    public const ulong CKK_EC_EDWARDS = 0x40;

    // ---- Attributes (CKA_) ----
    /// <summary>Object class.</summary>
    public const ulong CKA_CLASS = 0x0;
    /// <summary>True for a token (persistent) object.</summary>
    public const ulong CKA_TOKEN = 0x1;
    /// <summary>True when the object is only visible after login.</summary>
    public const ulong CKA_PRIVATE = 0x2;
    /// <summary>Object label (UTF-8).</summary>
    public const ulong CKA_LABEL = 0x3;
    /// <summary>Key value (refused for sensitive keys).</summary>
    public const ulong CKA_VALUE = 0x11;
    /// <summary>Can only be set to true by the SO; marks a key trusted for wrapping.</summary>
    public const ulong CKA_TRUSTED = 0x86;
    /// <summary>Key type.</summary>
    public const ulong CKA_KEY_TYPE = 0x100;
    /// <summary>Key identifier, used to pair public and private halves.</summary>
    public const ulong CKA_ID = 0x102;
    /// <summary>True when the key value can never be revealed in clear.</summary>
    public const ulong CKA_SENSITIVE = 0x103;
    /// <summary>Key may encrypt.</summary>
    public const ulong CKA_ENCRYPT = 0x104;
    /// <summary>Key may decrypt.</summary>
    public const ulong CKA_DECRYPT = 0x105;
    /// <summary>Key may wrap other keys.</summary>
    public const ulong CKA_WRAP = 0x106;
    /// <summary>Key may unwrap other keys.</summary>
    public const ulong CKA_UNWRAP = 0x107;
    /// <summary>Key may sign.</summary>
    public const ulong CKA_SIGN = 0x108;
    /// <summary>Key may verify.</summary>
    public const ulong CKA_VERIFY = 0x10A;
    /// <summary>Key may derive.</summary>
    public const ulong CKA_DERIVE = 0x10C;
    /// <summary>RSA modulus.</summary>
    public const ulong CKA_MODULUS = 0x120;
    /// <summary>RSA modulus length in bits (key generation).</summary>
    public const ulong CKA_MODULUS_BITS = 0x121;
    /// <summary>RSA public exponent.</summary>
    public const ulong CKA_PUBLIC_EXPONENT = 0x122;
    /// <summary>Secret key length in bytes.</summary>
    public const ulong CKA_VALUE_LEN = 0x161;
    /// <summary>True when the key may be wrapped (exported encrypted).</summary>
    public const ulong CKA_EXTRACTABLE = 0x162;
    /// <summary>True when the key was generated on the token.</summary>
    public const ulong CKA_LOCAL = 0x163;
    /// <summary>True when the key has never been extractable.</summary>
    public const ulong CKA_NEVER_EXTRACTABLE = 0x164;
    /// <summary>True when the key has always been sensitive.</summary>
    public const ulong CKA_ALWAYS_SENSITIVE = 0x165;
    /// <summary>DER-encoded curve parameters (an OID, or a PrintableString for Edwards curves).</summary>
    public const ulong CKA_EC_PARAMS = 0x180;
    /// <summary>The public point, DER OCTET STRING (some modules return it raw).</summary>
    public const ulong CKA_EC_POINT = 0x181;
    /// <summary>The key can only be wrapped by a key whose CKA_TRUSTED is true.</summary>
    public const ulong CKA_WRAP_WITH_TRUSTED = 0x210;

    // ---- Mechanisms (CKM_), MGFs (CKG_) ----
    /// <summary>RSA key pair generation.</summary>
    public const ulong CKM_RSA_PKCS_KEY_PAIR_GEN = 0x0;
    /// <summary>Raw RSASSA-PKCS1-v1_5 over a caller-built DigestInfo.</summary>
    public const ulong CKM_RSA_PKCS = 0x1;
    /// <summary>RSASSA-PSS over a caller-supplied digest.</summary>
    public const ulong CKM_RSA_PKCS_PSS = 0xD;
    /// <summary>SHA-256 (as the PSS hash).</summary>
    public const ulong CKM_SHA256 = 0x250;
    /// <summary>SHA-384 (as the PSS hash).</summary>
    public const ulong CKM_SHA384 = 0x260;
    /// <summary>SHA-512 (as the PSS hash).</summary>
    public const ulong CKM_SHA512 = 0x270;
    /// <summary>EC key pair generation.</summary>
    public const ulong CKM_EC_KEY_PAIR_GEN = 0x1040;
    /// <summary>ECDSA over a caller-supplied digest; returns r‖s.</summary>
    public const ulong CKM_ECDSA = 0x1041;
    /// <summary>Edwards-curve key pair generation.</summary>
    public const ulong CKM_EC_EDWARDS_KEY_PAIR_GEN = 0x1055;
    /// <summary>EdDSA (with no parameter: PureEdDSA, i.e. Ed25519 on an edwards25519 key).</summary>
    public const ulong CKM_EDDSA = 0x1057;
    /// <summary>AES key generation.</summary>
    public const ulong CKM_AES_KEY_GEN = 0x1080;
    /// <summary>AES key wrap (RFC 3394).</summary>
    public const ulong CKM_AES_KEY_WRAP = 0x2109;
    /// <summary>AES key wrap with padding (RFC 5649).</summary>
    public const ulong CKM_AES_KEY_WRAP_PAD = 0x210A;
    /// <summary>MGF1 with SHA-256.</summary>
    public const ulong CKG_MGF1_SHA256 = 0x2;
    /// <summary>MGF1 with SHA-384.</summary>
    public const ulong CKG_MGF1_SHA384 = 0x3;
    /// <summary>MGF1 with SHA-512.</summary>
    public const ulong CKG_MGF1_SHA512 = 0x4;

    // ---- Users, session states and flags ----
    /// <summary>Security officer.</summary>
    public const ulong CKU_SO = 0;
    /// <summary>Normal user.</summary>
    public const ulong CKU_USER = 1;
    /// <summary>Read-only session, not logged in.</summary>
    public const ulong CKS_RO_PUBLIC_SESSION = 0;
    /// <summary>Read-only session, user logged in.</summary>
    public const ulong CKS_RO_USER_FUNCTIONS = 1;
    /// <summary>Read-write session, not logged in.</summary>
    public const ulong CKS_RW_PUBLIC_SESSION = 2;
    /// <summary>Read-write session, user logged in.</summary>
    public const ulong CKS_RW_USER_FUNCTIONS = 3;
    /// <summary>Read-write session, SO logged in.</summary>
    public const ulong CKS_RW_SO_FUNCTIONS = 4;
    /// <summary>C_Initialize: the module may use the OS's own locking.</summary>
    public const ulong CKF_OS_LOCKING_OK = 0x2;
    /// <summary>C_OpenSession: read-write session.</summary>
    public const ulong CKF_RW_SESSION = 0x2;
    /// <summary>C_OpenSession: must always be set.</summary>
    public const ulong CKF_SERIAL_SESSION = 0x4;
    /// <summary>Slot flag: a token is present.</summary>
    public const ulong CKF_TOKEN_PRESENT = 0x1;
    /// <summary>Slot flag: the reader supports removable devices.</summary>
    public const ulong CKF_REMOVABLE_DEVICE = 0x2;
    /// <summary>Token flag: login is required for some functions.</summary>
    public const ulong CKF_LOGIN_REQUIRED = 0x4;
    /// <summary>Token flag: the user PIN has been set.</summary>
    public const ulong CKF_USER_PIN_INITIALIZED = 0x8;
    /// <summary>Token flag: the token has been initialised.</summary>
    public const ulong CKF_TOKEN_INITIALIZED = 0x400;
    /// <summary>Token flag: an incorrect user PIN was entered at least once since the last successful login.</summary>
    public const ulong CKF_USER_PIN_COUNT_LOW = 0x10000;
    /// <summary>Token flag: one more incorrect user PIN locks the user PIN.</summary>
    public const ulong CKF_USER_PIN_FINAL_TRY = 0x20000;
    /// <summary>Token flag: the user PIN is locked.</summary>
    public const ulong CKF_USER_PIN_LOCKED = 0x40000;
    /// <summary>Token flag: the user PIN must be changed.</summary>
    public const ulong CKF_USER_PIN_TO_BE_CHANGED = 0x80000;
    /// <summary>CK_UNAVAILABLE_INFORMATION: an attribute (or size) that cannot be revealed.</summary>
    public const ulong CK_UNAVAILABLE_INFORMATION = ulong.MaxValue;

    // ---- Return values (CKR_) ----
    /// <summary>Success.</summary>
    public const ulong CKR_OK = 0x0;
    /// <summary>See PKCS#11 §5.1.</summary>
    public const ulong CKR_CANCEL = 0x1;
    /// <summary>See PKCS#11 §5.1.</summary>
    public const ulong CKR_HOST_MEMORY = 0x2;
    /// <summary>See PKCS#11 §5.1.</summary>
    public const ulong CKR_SLOT_ID_INVALID = 0x3;
    /// <summary>See PKCS#11 §5.1.</summary>
    public const ulong CKR_GENERAL_ERROR = 0x5;
    /// <summary>See PKCS#11 §5.1.</summary>
    public const ulong CKR_FUNCTION_FAILED = 0x6;
    /// <summary>See PKCS#11 §5.1.</summary>
    public const ulong CKR_ARGUMENTS_BAD = 0x7;
    /// <summary>See PKCS#11 §5.1.</summary>
    public const ulong CKR_NO_EVENT = 0x8;
    /// <summary>See PKCS#11 §5.1.</summary>
    public const ulong CKR_NEED_TO_CREATE_THREADS = 0x9;
    /// <summary>See PKCS#11 §5.1.</summary>
    public const ulong CKR_CANT_LOCK = 0xA;
    /// <summary>See PKCS#11 §5.1.</summary>
    public const ulong CKR_ATTRIBUTE_READ_ONLY = 0x10;
    /// <summary>See PKCS#11 §5.1.</summary>
    public const ulong CKR_ATTRIBUTE_SENSITIVE = 0x11;
    /// <summary>See PKCS#11 §5.1.</summary>
    public const ulong CKR_ATTRIBUTE_TYPE_INVALID = 0x12;
    /// <summary>See PKCS#11 §5.1.</summary>
    public const ulong CKR_ATTRIBUTE_VALUE_INVALID = 0x13;
    /// <summary>See PKCS#11 §5.1.</summary>
    public const ulong CKR_ACTION_PROHIBITED = 0x1B;
    /// <summary>See PKCS#11 §5.1.</summary>
    public const ulong CKR_DATA_INVALID = 0x20;
    /// <summary>See PKCS#11 §5.1.</summary>
    public const ulong CKR_DATA_LEN_RANGE = 0x21;
    /// <summary>See PKCS#11 §5.1.</summary>
    public const ulong CKR_DEVICE_ERROR = 0x30;
    /// <summary>See PKCS#11 §5.1.</summary>
    public const ulong CKR_DEVICE_MEMORY = 0x31;
    /// <summary>See PKCS#11 §5.1.</summary>
    public const ulong CKR_DEVICE_REMOVED = 0x32;
    /// <summary>See PKCS#11 §5.1.</summary>
    public const ulong CKR_ENCRYPTED_DATA_INVALID = 0x40;
    /// <summary>See PKCS#11 §5.1.</summary>
    public const ulong CKR_ENCRYPTED_DATA_LEN_RANGE = 0x41;
    /// <summary>See PKCS#11 §5.1.</summary>
    public const ulong CKR_FUNCTION_CANCELED = 0x50;
    /// <summary>See PKCS#11 §5.1.</summary>
    public const ulong CKR_FUNCTION_NOT_PARALLEL = 0x51;
    /// <summary>See PKCS#11 §5.1.</summary>
    public const ulong CKR_FUNCTION_NOT_SUPPORTED = 0x54;
    /// <summary>See PKCS#11 §5.1.</summary>
    public const ulong CKR_KEY_HANDLE_INVALID = 0x60;
    /// <summary>See PKCS#11 §5.1.</summary>
    public const ulong CKR_KEY_SIZE_RANGE = 0x62;
    /// <summary>See PKCS#11 §5.1.</summary>
    public const ulong CKR_KEY_TYPE_INCONSISTENT = 0x63;
    /// <summary>See PKCS#11 §5.1.</summary>
    public const ulong CKR_KEY_NOT_NEEDED = 0x64;
    /// <summary>See PKCS#11 §5.1.</summary>
    public const ulong CKR_KEY_CHANGED = 0x65;
    /// <summary>See PKCS#11 §5.1.</summary>
    public const ulong CKR_KEY_NEEDED = 0x66;
    /// <summary>See PKCS#11 §5.1.</summary>
    public const ulong CKR_KEY_INDIGESTIBLE = 0x67;
    /// <summary>See PKCS#11 §5.1.</summary>
    public const ulong CKR_KEY_FUNCTION_NOT_PERMITTED = 0x68;
    /// <summary>See PKCS#11 §5.1.</summary>
    public const ulong CKR_KEY_NOT_WRAPPABLE = 0x69;
    /// <summary>See PKCS#11 §5.1.</summary>
    public const ulong CKR_KEY_UNEXTRACTABLE = 0x6A;
    /// <summary>See PKCS#11 §5.1.</summary>
    public const ulong CKR_MECHANISM_INVALID = 0x70;
    /// <summary>See PKCS#11 §5.1.</summary>
    public const ulong CKR_MECHANISM_PARAM_INVALID = 0x71;
    /// <summary>See PKCS#11 §5.1.</summary>
    public const ulong CKR_OBJECT_HANDLE_INVALID = 0x82;
    /// <summary>See PKCS#11 §5.1.</summary>
    public const ulong CKR_OPERATION_ACTIVE = 0x90;
    /// <summary>See PKCS#11 §5.1.</summary>
    public const ulong CKR_OPERATION_NOT_INITIALIZED = 0x91;
    /// <summary>See PKCS#11 §5.1.</summary>
    public const ulong CKR_PIN_INCORRECT = 0xA0;
    /// <summary>See PKCS#11 §5.1.</summary>
    public const ulong CKR_PIN_INVALID = 0xA1;
    /// <summary>See PKCS#11 §5.1.</summary>
    public const ulong CKR_PIN_LEN_RANGE = 0xA2;
    /// <summary>See PKCS#11 §5.1.</summary>
    public const ulong CKR_PIN_EXPIRED = 0xA3;
    /// <summary>See PKCS#11 §5.1.</summary>
    public const ulong CKR_PIN_LOCKED = 0xA4;
    /// <summary>See PKCS#11 §5.1.</summary>
    public const ulong CKR_SESSION_CLOSED = 0xB0;
    /// <summary>See PKCS#11 §5.1.</summary>
    public const ulong CKR_SESSION_COUNT = 0xB1;
    /// <summary>See PKCS#11 §5.1.</summary>
    public const ulong CKR_SESSION_HANDLE_INVALID = 0xB3;
    /// <summary>See PKCS#11 §5.1.</summary>
    public const ulong CKR_SESSION_PARALLEL_NOT_SUPPORTED = 0xB4;
    /// <summary>See PKCS#11 §5.1.</summary>
    public const ulong CKR_SESSION_READ_ONLY = 0xB5;
    /// <summary>See PKCS#11 §5.1.</summary>
    public const ulong CKR_SESSION_EXISTS = 0xB6;
    /// <summary>See PKCS#11 §5.1.</summary>
    public const ulong CKR_SESSION_READ_ONLY_EXISTS = 0xB7;
    /// <summary>See PKCS#11 §5.1.</summary>
    public const ulong CKR_SESSION_READ_WRITE_SO_EXISTS = 0xB8;
    /// <summary>See PKCS#11 §5.1.</summary>
    public const ulong CKR_SIGNATURE_INVALID = 0xC0;
    /// <summary>See PKCS#11 §5.1.</summary>
    public const ulong CKR_SIGNATURE_LEN_RANGE = 0xC1;
    /// <summary>See PKCS#11 §5.1.</summary>
    public const ulong CKR_TEMPLATE_INCOMPLETE = 0xD0;
    /// <summary>See PKCS#11 §5.1.</summary>
    public const ulong CKR_TEMPLATE_INCONSISTENT = 0xD1;
    /// <summary>See PKCS#11 §5.1.</summary>
    public const ulong CKR_TOKEN_NOT_PRESENT = 0xE0;
    /// <summary>See PKCS#11 §5.1.</summary>
    public const ulong CKR_TOKEN_NOT_RECOGNIZED = 0xE1;
    /// <summary>See PKCS#11 §5.1.</summary>
    public const ulong CKR_TOKEN_WRITE_PROTECTED = 0xE2;
    /// <summary>See PKCS#11 §5.1.</summary>
    public const ulong CKR_UNWRAPPING_KEY_HANDLE_INVALID = 0xF0;
    /// <summary>See PKCS#11 §5.1.</summary>
    public const ulong CKR_UNWRAPPING_KEY_SIZE_RANGE = 0xF1;
    /// <summary>See PKCS#11 §5.1.</summary>
    public const ulong CKR_UNWRAPPING_KEY_TYPE_INCONSISTENT = 0xF2;
    /// <summary>See PKCS#11 §5.1.</summary>
    public const ulong CKR_USER_ALREADY_LOGGED_IN = 0x100;
    /// <summary>See PKCS#11 §5.1.</summary>
    public const ulong CKR_USER_NOT_LOGGED_IN = 0x101;
    /// <summary>See PKCS#11 §5.1.</summary>
    public const ulong CKR_USER_PIN_NOT_INITIALIZED = 0x102;
    /// <summary>See PKCS#11 §5.1.</summary>
    public const ulong CKR_USER_TYPE_INVALID = 0x103;
    /// <summary>See PKCS#11 §5.1.</summary>
    public const ulong CKR_USER_ANOTHER_ALREADY_LOGGED_IN = 0x104;
    /// <summary>See PKCS#11 §5.1.</summary>
    public const ulong CKR_USER_TOO_MANY_TYPES = 0x105;
    /// <summary>See PKCS#11 §5.1.</summary>
    public const ulong CKR_WRAPPED_KEY_INVALID = 0x110;
    /// <summary>See PKCS#11 §5.1.</summary>
    public const ulong CKR_WRAPPED_KEY_LEN_RANGE = 0x112;
    /// <summary>See PKCS#11 §5.1.</summary>
    public const ulong CKR_WRAPPING_KEY_HANDLE_INVALID = 0x113;
    /// <summary>See PKCS#11 §5.1.</summary>
    public const ulong CKR_WRAPPING_KEY_SIZE_RANGE = 0x114;
    /// <summary>See PKCS#11 §5.1.</summary>
    public const ulong CKR_WRAPPING_KEY_TYPE_INCONSISTENT = 0x115;
    /// <summary>See PKCS#11 §5.1.</summary>
    public const ulong CKR_RANDOM_SEED_NOT_SUPPORTED = 0x120;
    /// <summary>See PKCS#11 §5.1.</summary>
    public const ulong CKR_RANDOM_NO_RNG = 0x121;
    /// <summary>See PKCS#11 §5.1.</summary>
    public const ulong CKR_DOMAIN_PARAMS_INVALID = 0x130;
    /// <summary>See PKCS#11 §5.1.</summary>
    public const ulong CKR_CURVE_NOT_SUPPORTED = 0x140;
    /// <summary>See PKCS#11 §5.1.</summary>
    public const ulong CKR_BUFFER_TOO_SMALL = 0x150;
    /// <summary>See PKCS#11 §5.1.</summary>
    public const ulong CKR_SAVED_STATE_INVALID = 0x160;
    /// <summary>See PKCS#11 §5.1.</summary>
    public const ulong CKR_INFORMATION_SENSITIVE = 0x170;
    /// <summary>See PKCS#11 §5.1.</summary>
    public const ulong CKR_STATE_UNSAVEABLE = 0x180;
    /// <summary>See PKCS#11 §5.1.</summary>
    public const ulong CKR_CRYPTOKI_NOT_INITIALIZED = 0x190;
    /// <summary>See PKCS#11 §5.1.</summary>
    public const ulong CKR_CRYPTOKI_ALREADY_INITIALIZED = 0x191;
    /// <summary>See PKCS#11 §5.1.</summary>
    public const ulong CKR_MUTEX_BAD = 0x1A0;
    /// <summary>See PKCS#11 §5.1.</summary>
    public const ulong CKR_MUTEX_NOT_LOCKED = 0x1A1;
    /// <summary>See PKCS#11 §5.1.</summary>
    public const ulong CKR_NEW_PIN_MODE = 0x1B0;
    /// <summary>See PKCS#11 §5.1.</summary>
    public const ulong CKR_NEXT_OTP = 0x1B1;
    /// <summary>See PKCS#11 §5.1.</summary>
    public const ulong CKR_EXCEEDED_MAX_ITERATIONS = 0x1C0;
    /// <summary>See PKCS#11 §5.1.</summary>
    public const ulong CKR_FIPS_SELF_TEST_FAILED = 0x1C1;
    /// <summary>See PKCS#11 §5.1.</summary>
    public const ulong CKR_LIBRARY_LOAD_FAILED = 0x1C2;
    /// <summary>See PKCS#11 §5.1.</summary>
    public const ulong CKR_PIN_TOO_WEAK = 0x1C3;
    /// <summary>See PKCS#11 §5.1.</summary>
    public const ulong CKR_PUBLIC_KEY_INVALID = 0x1C4;
    /// <summary>See PKCS#11 §5.1.</summary>
    public const ulong CKR_FUNCTION_REJECTED = 0x200;
    /// <summary>Start of the vendor-defined range.</summary>
    public const ulong CKR_VENDOR_DEFINED = 0x80000000;

    private static readonly FrozenDictionary<ulong, string> s_returnValueNames = typeof(Pkcs11Constants)
        .GetFields(System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Static)
        .Where(f => f.IsLiteral && f.Name.StartsWith("CKR_", StringComparison.Ordinal))
        .ToFrozenDictionary(f => (ulong)f.GetRawConstantValue()!, f => f.Name);

    /// <summary>The native name of a CK_RV ("CKR_PIN_INCORRECT"), or "CKR_VENDOR_DEFINED+0x…" / "CKR_0x…".</summary>
    public static string ReturnValueName(ulong returnValue)
    {
        if (s_returnValueNames.TryGetValue(returnValue, out string? name))
        {
            return name;
        }

        return returnValue >= CKR_VENDOR_DEFINED && returnValue <= 0xFFFFFFFF
            ? $"CKR_VENDOR_DEFINED+0x{returnValue - CKR_VENDOR_DEFINED:X}"
            : $"CKR_0x{returnValue:X}";
    }
}
