// SPDX-License-Identifier: Apache-2.0
using KeyCustody.Pkcs11.Interop;

namespace KeyCustody.Pkcs11;

/// <summary>
/// A PKCS#11 function returned something other than CKR_OK. The message keeps the native spelling:
/// "C_Sign returned CKR_KEY_HANDLE_INVALID". Providers turn it into a <see cref="Core.CustodyException"/>
/// through one mapper; the raw code stays available here.
/// </summary>
public sealed class Pkcs11Exception : Exception
{
    /// <summary>Creates the exception for <paramref name="function"/> returning <paramref name="returnValue"/>.</summary>
    public Pkcs11Exception(string function, ulong returnValue)
        : base($"{function} returned {Pkcs11Constants.ReturnValueName(returnValue)}")
    {
        Function = function;
        ReturnValue = returnValue;
    }

    /// <summary>The PKCS#11 function, e.g. "C_Sign".</summary>
    public string Function { get; }

    /// <summary>The CK_RV the function returned.</summary>
    public ulong ReturnValue { get; }

    /// <summary>The native name of <see cref="ReturnValue"/>, e.g. "CKR_KEY_HANDLE_INVALID".</summary>
    public string ReturnValueName => Pkcs11Constants.ReturnValueName(ReturnValue);
}

/// <summary>A PKCS#11 module file could not be loaded (missing, wrong architecture, not a PKCS#11 module).</summary>
public sealed class Pkcs11ModuleLoadException : Exception
{
    /// <summary>Creates the exception for <paramref name="modulePath"/>.</summary>
    public Pkcs11ModuleLoadException(string modulePath, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        ModulePath = modulePath;
    }

    /// <summary>The path that was loaded.</summary>
    public string ModulePath { get; }
}
