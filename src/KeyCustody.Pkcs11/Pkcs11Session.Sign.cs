// SPDX-License-Identifier: Apache-2.0
using KeyCustody.Pkcs11.Interop;
using static KeyCustody.Pkcs11.Interop.Pkcs11Constants;

namespace KeyCustody.Pkcs11;

/// <summary>Single-part signing and verification.</summary>
public sealed unsafe partial class Pkcs11Session
{
    /// <summary>Large enough for every signature we make (RSA-4096 is 512 bytes).</summary>
    private const int SignatureBufferSize = 1024;

    /// <summary>C_SignInit + C_Sign; returns the signature.</summary>
    public byte[] Sign(Pkcs11Mechanism mechanism, ulong key, ReadOnlySpan<byte> data)
    {
        byte* buffer = stackalloc byte[SignatureBufferSize];
        int length = SignCore(mechanism, key, data, buffer, SignatureBufferSize, out byte[]? large);
        return large ?? new ReadOnlySpan<byte>(buffer, length).ToArray();
    }

    /// <summary>C_SignInit + C_Sign into <paramref name="signature"/>; returns the signature's length.</summary>
    /// <exception cref="Pkcs11Exception">CKR_BUFFER_TOO_SMALL when <paramref name="signature"/> is too short, ...</exception>
    public int Sign(Pkcs11Mechanism mechanism, ulong key, ReadOnlySpan<byte> data, Span<byte> signature)
    {
        fixed (byte* p = signature)
        {
            int length = SignCore(mechanism, key, data, p, signature.Length, out byte[]? large);
            if (large is not null)
            {
                throw new Pkcs11Exception("C_Sign", CKR_BUFFER_TOO_SMALL);
            }

            return length;
        }
    }

    /// <summary>C_VerifyInit + C_Verify; false for CKR_SIGNATURE_INVALID or CKR_SIGNATURE_LEN_RANGE.</summary>
    public bool Verify(Pkcs11Mechanism mechanism, ulong key, ReadOnlySpan<byte> data, ReadOnlySpan<byte> signature)
    {
        using (Enter())
        fixed (byte* parameter = mechanism.Parameter)
        fixed (byte* d = data)
        fixed (byte* s = signature)
        {
            CK_MECHANISM m = Native(mechanism, parameter);
            Pkcs11Module.Check("C_VerifyInit", Functions->C_VerifyInit(_handle.Value, &m, N(key)));
            ulong rv = Functions->C_Verify(_handle.Value, d, N(data.Length), s, N(signature.Length)).Value;
            if (rv is CKR_SIGNATURE_INVALID or CKR_SIGNATURE_LEN_RANGE)
            {
                return false;
            }

            Pkcs11Module.Check("C_Verify", rv);
            return true;
        }
    }

    private int SignCore(Pkcs11Mechanism mechanism, ulong key, ReadOnlySpan<byte> data, byte* buffer, int capacity, out byte[]? large)
    {
        large = null;
        using (Enter())
        fixed (byte* parameter = mechanism.Parameter)
        fixed (byte* d = data)
        {
            CK_MECHANISM m = Native(mechanism, parameter);
            Pkcs11Module.Check("C_SignInit", Functions->C_SignInit(_handle.Value, &m, N(key)));
            CULong length = N(capacity);
            ulong rv = Functions->C_Sign(_handle.Value, d, N(data.Length), buffer, &length).Value;
            if (rv == CKR_BUFFER_TOO_SMALL)
            {
                // The operation stays active after CKR_BUFFER_TOO_SMALL (PKCS#11 §5.2), so finish it with a
                // buffer of the size the module asked for.
                large = new byte[(int)length.Value];
                fixed (byte* l = large)
                {
                    rv = Functions->C_Sign(_handle.Value, d, N(data.Length), l, &length).Value;
                }

                Pkcs11Module.Check("C_Sign", rv);
                large = large[..(int)length.Value];
                return large.Length;
            }

            Pkcs11Module.Check("C_Sign", rv);
            return (int)length.Value;
        }
    }
}
