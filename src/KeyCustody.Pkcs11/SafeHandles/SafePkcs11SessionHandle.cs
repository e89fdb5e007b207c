// SPDX-License-Identifier: Apache-2.0
using System.Runtime.InteropServices;

namespace KeyCustody.Pkcs11.SafeHandles;

/// <summary>
/// An open PKCS#11 session (CK_SESSION_HANDLE). Releasing it calls C_CloseSession and drops the reference it
/// holds on its module, so the module outlives every session opened on it.
/// </summary>
internal sealed unsafe class SafePkcs11SessionHandle : SafeHandle
{
    private readonly SafePkcs11ModuleHandle _module;

    /// <summary>Wraps <paramref name="session"/>; the caller has already done DangerousAddRef on <paramref name="module"/>.</summary>
    internal SafePkcs11SessionHandle(SafePkcs11ModuleHandle module, nuint session)
        : base(IntPtr.Zero, ownsHandle: true)
    {
        _module = module;
        SetHandle((nint)session);
    }

    /// <summary>Session handles are never 0 (CK_INVALID_HANDLE).</summary>
    public override bool IsInvalid => handle == IntPtr.Zero;

    /// <summary>The module the session belongs to.</summary>
    internal SafePkcs11ModuleHandle Module => _module;

    /// <summary>The raw CK_SESSION_HANDLE.</summary>
    internal CULong Value => new((nuint)handle);

    /// <inheritdoc />
    protected override bool ReleaseHandle()
    {
        // CKR_SESSION_HANDLE_INVALID / CKR_SESSION_CLOSED / CKR_DEVICE_REMOVED mean it is gone already: fine.
        _ = _module.Functions->C_CloseSession(new CULong((nuint)handle));
        _module.DangerousRelease();
        return true;
    }
}
