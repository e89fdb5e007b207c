// SPDX-License-Identifier: Apache-2.0
using System.Globalization;

namespace KeyCustody.Tpm;

/// <summary>
/// A tpm2-tss call returned something other than <c>TSS2_RC_SUCCESS</c>. Keeps the raw code, the layer and the
/// decoded text; renders as "Fapi_Unseal returned 0x000001C4 (tpm:parameter(1):value is out of range…)".
/// Never carries arguments of the failed call, so no secret can end up in it.
/// </summary>
public sealed class Tss2Exception : Exception
{
    /// <summary>Creates an exception for <paramref name="function"/> having returned <paramref name="returnCode"/>.</summary>
    public Tss2Exception(string function, uint returnCode)
        : base(Format(function, returnCode))
    {
        Function = function;
        ReturnCode = returnCode;
        Description = Tss2ReturnCode.Describe(returnCode);
    }

    /// <summary>The native function that failed, e.g. "Fapi_Unseal".</summary>
    public string Function { get; }

    /// <summary>The raw <c>TSS2_RC</c>.</summary>
    public uint ReturnCode { get; }

    /// <summary>The layer that produced the code.</summary>
    public Tss2Layer Layer => Tss2ReturnCode.Layer(ReturnCode);

    /// <summary>"layer:text" as decoded.</summary>
    public string Description { get; }

    /// <summary>The return code as "0x%08X".</summary>
    public string Code => "0x" + ReturnCode.ToString("X8", CultureInfo.InvariantCulture);

    private static string Format(string function, uint returnCode) =>
        $"{function} returned 0x{returnCode.ToString("X8", CultureInfo.InvariantCulture)} ({Tss2ReturnCode.Describe(returnCode)})";
}
