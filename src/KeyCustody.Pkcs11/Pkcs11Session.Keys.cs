// SPDX-License-Identifier: Apache-2.0
using KeyCustody.Pkcs11.Interop;
using static KeyCustody.Pkcs11.Interop.Pkcs11Constants;

namespace KeyCustody.Pkcs11;

/// <summary>Key generation, wrapping and unwrapping.</summary>
public sealed unsafe partial class Pkcs11Session
{
    /// <summary>C_GenerateKeyPair; returns (public, private) handles.</summary>
    public (ulong PublicKey, ulong PrivateKey) GenerateKeyPair(
        Pkcs11Mechanism mechanism, ReadOnlySpan<Pkcs11Attribute> publicTemplate, ReadOnlySpan<Pkcs11Attribute> privateTemplate)
    {
        using (Enter())
        using (var pub = new NativeTemplate(publicTemplate))
        using (var priv = new NativeTemplate(privateTemplate))
        fixed (byte* parameter = mechanism.Parameter)
        {
            CK_MECHANISM m = Native(mechanism, parameter);
            CULong hPublic, hPrivate;
            Pkcs11Module.Check("C_GenerateKeyPair", Functions->C_GenerateKeyPair(
                _handle.Value, &m, pub.Pointer, pub.NativeCount, priv.Pointer, priv.NativeCount, &hPublic, &hPrivate));
            return (hPublic.Value, hPrivate.Value);
        }
    }

    /// <summary>C_GenerateKey (secret keys); returns the key's handle.</summary>
    public ulong GenerateKey(Pkcs11Mechanism mechanism, ReadOnlySpan<Pkcs11Attribute> template)
    {
        using (Enter())
        using (var native = new NativeTemplate(template))
        fixed (byte* parameter = mechanism.Parameter)
        {
            CK_MECHANISM m = Native(mechanism, parameter);
            CULong handle;
            Pkcs11Module.Check("C_GenerateKey", Functions->C_GenerateKey(_handle.Value, &m, native.Pointer, native.NativeCount, &handle));
            return handle.Value;
        }
    }

    /// <summary>C_WrapKey: <paramref name="key"/> encrypted under <paramref name="wrappingKey"/>.</summary>
    /// <exception cref="Pkcs11Exception">CKR_KEY_UNEXTRACTABLE for a non-extractable key, CKR_KEY_NOT_WRAPPABLE, ...</exception>
    public byte[] WrapKey(Pkcs11Mechanism mechanism, ulong wrappingKey, ulong key)
    {
        using (Enter())
        fixed (byte* parameter = mechanism.Parameter)
        {
            CK_MECHANISM m = Native(mechanism, parameter);
            CULong length;
            Pkcs11Module.Check("C_WrapKey", Functions->C_WrapKey(_handle.Value, &m, N(wrappingKey), N(key), null, &length));
            var wrapped = new byte[(int)length.Value];
            fixed (byte* p = wrapped)
            {
                Pkcs11Module.Check("C_WrapKey", Functions->C_WrapKey(_handle.Value, &m, N(wrappingKey), N(key), p, &length));
            }

            return wrapped.Length == (int)length.Value ? wrapped : wrapped[..(int)length.Value];
        }
    }

    /// <summary>C_UnwrapKey: creates a key from <paramref name="wrapped"/> with <paramref name="template"/>; returns its handle.</summary>
    public ulong UnwrapKey(Pkcs11Mechanism mechanism, ulong unwrappingKey, ReadOnlySpan<byte> wrapped, ReadOnlySpan<Pkcs11Attribute> template)
    {
        using (Enter())
        using (var native = new NativeTemplate(template))
        fixed (byte* parameter = mechanism.Parameter)
        fixed (byte* w = wrapped)
        {
            CK_MECHANISM m = Native(mechanism, parameter);
            CULong handle;
            Pkcs11Module.Check("C_UnwrapKey", Functions->C_UnwrapKey(
                _handle.Value, &m, N(unwrappingKey), w, N(wrapped.Length), native.Pointer, native.NativeCount, &handle));
            return handle.Value;
        }
    }

    private static CK_MECHANISM Native(Pkcs11Mechanism mechanism, byte* parameter) => new()
    {
        mechanism = N(mechanism.Type),
        pParameter = parameter,
        ulParameterLen = N(mechanism.Parameter?.Length ?? 0),
    };
}
