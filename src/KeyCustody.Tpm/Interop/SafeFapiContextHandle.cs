// SPDX-License-Identifier: Apache-2.0
using System.Runtime.InteropServices;

namespace KeyCustody.Tpm;

/// <summary>A <c>FAPI_CONTEXT*</c>; released with <c>Fapi_Finalize</c>, which also closes the TCTI.</summary>
internal sealed class SafeFapiContextHandle : SafeHandle
{
    /// <summary>Used by the marshaller and by <see cref="FapiContext"/>.</summary>
    public SafeFapiContextHandle()
        : base(nint.Zero, ownsHandle: true)
    {
    }

    /// <summary>Wraps a context returned by <c>Fapi_Initialize</c>.</summary>
    internal SafeFapiContextHandle(nint context)
        : base(nint.Zero, ownsHandle: true)
    {
        SetHandle(context);
    }

    /// <inheritdoc />
    public override bool IsInvalid => handle == nint.Zero;

    /// <inheritdoc />
    protected override unsafe bool ReleaseHandle()
    {
        nint context = handle;
        Interop.Fapi.Fapi_Finalize(&context);
        return true;
    }
}
