// SPDX-License-Identifier: Apache-2.0
using KeyCustody.Pkcs11.Interop;
using KeyCustody.Pkcs11.SafeHandles;
using static KeyCustody.Pkcs11.Interop.Pkcs11Constants;

namespace KeyCustody.Pkcs11;

/// <summary>A slot of a loaded module, and the token in it.</summary>
public sealed unsafe class Pkcs11Slot
{
    private readonly Pkcs11Module _module;

    internal Pkcs11Slot(Pkcs11Module module, ulong slotId)
    {
        _module = module;
        SlotId = slotId;
    }

    /// <summary>The CK_SLOT_ID.</summary>
    public ulong SlotId { get; }

    /// <summary>The module the slot belongs to.</summary>
    public Pkcs11Module Module => _module;

    private CULong NativeId => new((nuint)SlotId);

    /// <summary>C_GetSlotInfo.</summary>
    public Pkcs11SlotInfo GetSlotInfo()
    {
        CK_SLOT_INFO info;
        using (_module.Enter())
        {
            Pkcs11Module.Check("C_GetSlotInfo", _module.Functions->C_GetSlotInfo(NativeId, &info));
        }

        return new Pkcs11SlotInfo(
            SlotId,
            Pkcs11Text.FromPadded(new ReadOnlySpan<byte>(info.slotDescription, 64)),
            Pkcs11Text.FromPadded(new ReadOnlySpan<byte>(info.manufacturerID, 32)),
            info.flags.Value);
    }

    /// <summary>C_GetTokenInfo. CKR_TOKEN_NOT_PRESENT when the slot is empty.</summary>
    public Pkcs11TokenInfo GetTokenInfo()
    {
        CK_TOKEN_INFO info;
        using (_module.Enter())
        {
            Pkcs11Module.Check("C_GetTokenInfo", _module.Functions->C_GetTokenInfo(NativeId, &info));
        }

        return new Pkcs11TokenInfo(
            SlotId,
            Pkcs11Text.FromPadded(new ReadOnlySpan<byte>(info.label, 32)),
            Pkcs11Text.FromPadded(new ReadOnlySpan<byte>(info.manufacturerID, 32)),
            Pkcs11Text.FromPadded(new ReadOnlySpan<byte>(info.model, 16)),
            Pkcs11Text.FromPadded(new ReadOnlySpan<byte>(info.serialNumber, 16)),
            info.flags.Value);
    }

    /// <summary>C_GetMechanismList: the CKM_ mechanisms the token supports.</summary>
    public IReadOnlyList<ulong> GetMechanisms()
    {
        using (_module.Enter())
        {
            CULong count = default;
            Pkcs11Module.Check("C_GetMechanismList", _module.Functions->C_GetMechanismList(NativeId, null, &count));
            var list = new CULong[(int)count.Value];
            fixed (CULong* p = list)
            {
                Pkcs11Module.Check("C_GetMechanismList", _module.Functions->C_GetMechanismList(NativeId, p, &count));
            }

            return list.Take((int)count.Value).Select(m => (ulong)m.Value).ToArray();
        }
    }

    /// <summary>C_OpenSession (serial; read-write unless <paramref name="readWrite"/> is false).</summary>
    public Pkcs11Session OpenSession(bool readWrite = true)
    {
        SafePkcs11ModuleHandle module = _module.Handle;
        bool added = false;
        module.DangerousAddRef(ref added);
        try
        {
            ulong flags = CKF_SERIAL_SESSION | (readWrite ? CKF_RW_SESSION : 0);
            CULong session;
            Pkcs11Module.Check("C_OpenSession",
                module.Functions->C_OpenSession(NativeId, new CULong((nuint)flags), null, null, &session));

            // The session handle now owns the reference taken above.
            added = false;
            return new Pkcs11Session(new SafePkcs11SessionHandle(module, session.Value), SlotId);
        }
        finally
        {
            if (added)
            {
                module.DangerousRelease();
            }
        }
    }

    /// <summary>C_CloseAllSessions: closes every session this process has on the slot (which also logs out).</summary>
    public void CloseAllSessions()
    {
        using (_module.Enter())
        {
            Pkcs11Module.Check("C_CloseAllSessions", _module.Functions->C_CloseAllSessions(NativeId));
        }
    }

    /// <inheritdoc />
    public override string ToString() => $"slot {SlotId}";
}
