// SPDX-License-Identifier: Apache-2.0
using System.Text;
using static KeyCustody.Pkcs11.Interop.Pkcs11Constants;

namespace KeyCustody.Pkcs11;

/// <summary>What C_GetInfo reports about a module.</summary>
/// <param name="CryptokiVersion">The Cryptoki version the module implements, e.g. "2.40".</param>
/// <param name="ManufacturerId">The module's manufacturer.</param>
/// <param name="LibraryDescription">The module's own description.</param>
/// <param name="LibraryVersion">The module's version.</param>
public sealed record Pkcs11ModuleInfo(string CryptokiVersion, string ManufacturerId, string LibraryDescription, string LibraryVersion);

/// <summary>What C_GetSlotInfo reports about a slot.</summary>
/// <param name="SlotId">The slot's CK_SLOT_ID.</param>
/// <param name="Description">The slot's description.</param>
/// <param name="ManufacturerId">The slot's manufacturer.</param>
/// <param name="Flags">CKF_ slot flags.</param>
public sealed record Pkcs11SlotInfo(ulong SlotId, string Description, string ManufacturerId, ulong Flags)
{
    /// <summary>True when a token is in the slot (CKF_TOKEN_PRESENT).</summary>
    public bool TokenPresent => (Flags & CKF_TOKEN_PRESENT) != 0;
}

/// <summary>What C_GetTokenInfo reports about a token. Blank padding is trimmed from the text fields.</summary>
/// <param name="SlotId">The slot the token is in.</param>
/// <param name="Label">The token's label.</param>
/// <param name="ManufacturerId">The token's manufacturer.</param>
/// <param name="Model">The token's model.</param>
/// <param name="SerialNumber">The token's serial number.</param>
/// <param name="Flags">CKF_ token flags.</param>
public sealed record Pkcs11TokenInfo(ulong SlotId, string Label, string ManufacturerId, string Model, string SerialNumber, ulong Flags)
{
    /// <summary>An incorrect user PIN has been entered since the last successful login (CKF_USER_PIN_COUNT_LOW).</summary>
    public bool UserPinCountLow => (Flags & CKF_USER_PIN_COUNT_LOW) != 0;

    /// <summary>One more incorrect user PIN locks it (CKF_USER_PIN_FINAL_TRY).</summary>
    public bool UserPinFinalTry => (Flags & CKF_USER_PIN_FINAL_TRY) != 0;

    /// <summary>The user PIN is locked (CKF_USER_PIN_LOCKED).</summary>
    public bool UserPinLocked => (Flags & CKF_USER_PIN_LOCKED) != 0;

    /// <summary>The token has been initialised (CKF_TOKEN_INITIALIZED).</summary>
    public bool Initialized => (Flags & CKF_TOKEN_INITIALIZED) != 0;

    /// <summary>The user PIN has been set (CKF_USER_PIN_INITIALIZED).</summary>
    public bool UserPinInitialized => (Flags & CKF_USER_PIN_INITIALIZED) != 0;

    /// <summary>The user-PIN state flags that are set, spelled natively ("CKF_USER_PIN_COUNT_LOW | CKF_USER_PIN_FINAL_TRY"), or "none".</summary>
    public string DescribeUserPinFlags()
    {
        var set = new List<string>(4);
        if (UserPinCountLow)
        {
            set.Add(nameof(CKF_USER_PIN_COUNT_LOW));
        }

        if (UserPinFinalTry)
        {
            set.Add(nameof(CKF_USER_PIN_FINAL_TRY));
        }

        if (UserPinLocked)
        {
            set.Add(nameof(CKF_USER_PIN_LOCKED));
        }

        if ((Flags & CKF_USER_PIN_TO_BE_CHANGED) != 0)
        {
            set.Add(nameof(CKF_USER_PIN_TO_BE_CHANGED));
        }

        return set.Count == 0 ? "none" : string.Join(" | ", set);
    }
}

/// <summary>What C_GetSessionInfo reports about a session.</summary>
/// <param name="SlotId">The slot the session is on.</param>
/// <param name="State">CKS_ state: public or user functions, read-only or read-write.</param>
/// <param name="Flags">CKF_ session flags.</param>
/// <param name="DeviceError">The device's own error code, if any.</param>
public sealed record Pkcs11SessionInfo(ulong SlotId, ulong State, ulong Flags, ulong DeviceError)
{
    /// <summary>True when the user is logged in (CKS_RO_USER_FUNCTIONS or CKS_RW_USER_FUNCTIONS).</summary>
    public bool UserLoggedIn => State is CKS_RO_USER_FUNCTIONS or CKS_RW_USER_FUNCTIONS;
}

/// <summary>Decoding of the fixed-width, blank-padded text fields PKCS#11 uses.</summary>
internal static class Pkcs11Text
{
    /// <summary>Decodes UTF-8 and removes the trailing blank (or NUL) padding.</summary>
    public static string FromPadded(ReadOnlySpan<byte> field) => Encoding.UTF8.GetString(field).TrimEnd(' ', '\0');
}
