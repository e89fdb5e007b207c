// SPDX-License-Identifier: Apache-2.0
using System.Runtime.InteropServices;
using System.Text;
using KeyCustody.Pkcs11.Interop;

namespace KeyCustody.Pkcs11;

/// <summary>
/// One attribute of a PKCS#11 template: a CKA_ type and its value encoded as the module expects it
/// (CK_BBOOL is one byte, CK_ULONG is the platform's C <c>unsigned long</c>, text is UTF-8 without a terminator).
/// </summary>
/// <param name="Type">The CKA_ attribute type.</param>
/// <param name="Value">The encoded value.</param>
public readonly record struct Pkcs11Attribute(ulong Type, byte[] Value)
{
    /// <summary>A CK_BBOOL attribute.</summary>
    public static Pkcs11Attribute Bool(ulong type, bool value) => new(type, [value ? (byte)1 : (byte)0]);

    /// <summary>A CK_ULONG attribute (class, key type, modulus bits, ...).</summary>
    public static Pkcs11Attribute ULong(ulong type, ulong value)
    {
        var bytes = new byte[Marshal.SizeOf<CULong>()];
        MemoryMarshal.Write(bytes, new CULong(checked((nuint)value)));
        return new(type, bytes);
    }

    /// <summary>A byte-string attribute (CKA_ID, CKA_EC_PARAMS, ...).</summary>
    public static Pkcs11Attribute Bytes(ulong type, ReadOnlySpan<byte> value) => new(type, value.ToArray());

    /// <summary>A UTF-8 text attribute (CKA_LABEL).</summary>
    public static Pkcs11Attribute Text(ulong type, string value) => new(type, Encoding.UTF8.GetBytes(value));

    /// <summary>Decodes a CK_BBOOL value.</summary>
    public static bool ReadBool(ReadOnlySpan<byte> value) => value.Length >= 1 && value[0] != 0;

    /// <summary>Decodes a CK_ULONG value.</summary>
    public static ulong ReadULong(ReadOnlySpan<byte> value) =>
        value.Length == Marshal.SizeOf<CULong>()
            ? MemoryMarshal.Read<CULong>(value).Value
            : throw new ArgumentException($"A CK_ULONG value is {Marshal.SizeOf<CULong>()} bytes, not {value.Length}.", nameof(value));

    /// <inheritdoc />
    public override string ToString() => $"0x{Type:X}: {Value.Length} bytes";
}

/// <summary>A mechanism (CKM_) and its parameter block.</summary>
/// <param name="Type">The CKM_ mechanism type.</param>
/// <param name="Parameter">The parameter bytes (a C struct), or null.</param>
public readonly record struct Pkcs11Mechanism(ulong Type, byte[]? Parameter = null)
{
    /// <summary>CKM_RSA_PKCS_PSS with CK_RSA_PKCS_PSS_PARAMS { hashAlg, mgf, sLen }.</summary>
    public static Pkcs11Mechanism RsaPss(ulong hashMechanism, ulong mgf, ulong saltLength)
    {
        var parameters = new CK_RSA_PKCS_PSS_PARAMS
        {
            hashAlg = new CULong(checked((nuint)hashMechanism)),
            mgf = new CULong(checked((nuint)mgf)),
            sLen = new CULong(checked((nuint)saltLength)),
        };
        var bytes = new byte[Marshal.SizeOf<CK_RSA_PKCS_PSS_PARAMS>()];
        MemoryMarshal.Write(bytes, in parameters);
        return new(Pkcs11Constants.CKM_RSA_PKCS_PSS, bytes);
    }
}
