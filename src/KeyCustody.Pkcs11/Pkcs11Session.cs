// SPDX-License-Identifier: Apache-2.0
using KeyCustody.Pkcs11.Interop;
using KeyCustody.Pkcs11.SafeHandles;
using static KeyCustody.Pkcs11.Interop.Pkcs11Constants;

namespace KeyCustody.Pkcs11;

/// <summary>
/// An open PKCS#11 session. A session is not safe for concurrent use (PKCS#11 §5.2: one active operation per
/// session, and a find or sign spans several calls), so it must have one owner at a time; the key store's pool
/// hands each session to one caller. Every call throws <see cref="Pkcs11Exception"/> on a CK_RV other than CKR_OK.
/// </summary>
public sealed unsafe partial class Pkcs11Session : IDisposable
{
    private readonly SafePkcs11SessionHandle _handle;

    internal Pkcs11Session(SafePkcs11SessionHandle handle, ulong slotId)
    {
        _handle = handle;
        SlotId = slotId;
    }

    /// <summary>The slot the session was opened on.</summary>
    public ulong SlotId { get; }

    /// <summary>The raw CK_SESSION_HANDLE (diagnostics only).</summary>
    public ulong NativeHandle => _handle.Value.Value;

    /// <summary>True once <see cref="Dispose"/> has run.</summary>
    public bool IsClosed => _handle.IsClosed;

    private CK_FUNCTION_LIST* Functions => _handle.Module.Functions;

    /// <summary>
    /// C_Login as <paramref name="userType"/> (CKU_USER or CKU_SO). Returns false when the user was already
    /// logged in (CKR_USER_ALREADY_LOGGED_IN: login state is shared by all sessions of the process).
    /// </summary>
    /// <exception cref="Pkcs11Exception">CKR_PIN_INCORRECT, CKR_PIN_LOCKED, CKR_USER_ANOTHER_ALREADY_LOGGED_IN, ...</exception>
    public bool Login(ulong userType, ReadOnlySpan<byte> pin)
    {
        using (Enter())
        {
            ulong rv;
            fixed (byte* p = pin)
            {
                rv = Functions->C_Login(_handle.Value, new CULong((nuint)userType), p, new CULong((nuint)pin.Length)).Value;
            }

            if (rv == CKR_USER_ALREADY_LOGGED_IN)
            {
                return false;
            }

            Pkcs11Module.Check("C_Login", rv);
            return true;
        }
    }

    /// <summary>C_Logout (logs the whole process out of the token).</summary>
    public void Logout()
    {
        using (Enter())
        {
            Pkcs11Module.Check("C_Logout", Functions->C_Logout(_handle.Value));
        }
    }

    /// <summary>C_GetSessionInfo.</summary>
    public Pkcs11SessionInfo GetSessionInfo()
    {
        CK_SESSION_INFO info;
        using (Enter())
        {
            Pkcs11Module.Check("C_GetSessionInfo", Functions->C_GetSessionInfo(_handle.Value, &info));
        }

        return new Pkcs11SessionInfo(info.slotID.Value, info.state.Value, info.flags.Value, info.ulDeviceError.Value);
    }

    /// <summary>C_GenerateRandom into <paramref name="destination"/>.</summary>
    public void GenerateRandom(Span<byte> destination)
    {
        using (Enter())
        {
            fixed (byte* p = destination)
            {
                Pkcs11Module.Check("C_GenerateRandom",
                    Functions->C_GenerateRandom(_handle.Value, p, new CULong((nuint)destination.Length)));
            }
        }
    }

    /// <summary>C_CloseSession (errors ignored: a session the token already dropped is closed either way).</summary>
    public void Dispose() => _handle.Dispose();

    /// <inheritdoc />
    public override string ToString() => $"session {NativeHandle} on slot {SlotId}";

    private HandleScope Enter() => new(_handle);

    private static CULong N(ulong value) => new(checked((nuint)value));

    private static CULong N(int value) => new(checked((nuint)value));
}
