// SPDX-License-Identifier: Apache-2.0
using System.Runtime.InteropServices;
using KeyCustody.Pkcs11.Interop;

namespace KeyCustody.Pkcs11.SafeHandles;

/// <summary>
/// A loaded and initialised PKCS#11 module: the dlopen handle plus its CK_FUNCTION_LIST. Releasing it calls
/// C_Finalize (only when this handle's C_Initialize did the initialisation) and then unloads the library.
/// Sessions hold a reference (DangerousAddRef) so C_Finalize cannot run under an open session.
/// </summary>
internal sealed unsafe class SafePkcs11ModuleHandle : SafeHandle
{
    private CK_FUNCTION_LIST* _functions;
    private bool _finalizeOnRelease;

    /// <summary>Creates an invalid handle; <see cref="Initialize"/> fills it.</summary>
    public SafePkcs11ModuleHandle()
        : base(IntPtr.Zero, ownsHandle: true)
    {
    }

    /// <inheritdoc />
    public override bool IsInvalid => handle == IntPtr.Zero;

    /// <summary>The module's function list. Valid while the handle is open.</summary>
    public CK_FUNCTION_LIST* Functions => _functions;

    /// <summary>Takes ownership of a dlopen handle and its function list.</summary>
    internal void Initialize(nint library, CK_FUNCTION_LIST* functions, bool finalizeOnRelease)
    {
        _functions = functions;
        _finalizeOnRelease = finalizeOnRelease;
        SetHandle(library);
    }

    /// <inheritdoc />
    protected override bool ReleaseHandle()
    {
        if (_finalizeOnRelease && _functions is not null)
        {
            // The return value is of no use here: the module is going away either way.
            _ = _functions->C_Finalize(null);
        }

        _functions = null;
        NativeLibrary.Free(handle);
        return true;
    }
}
