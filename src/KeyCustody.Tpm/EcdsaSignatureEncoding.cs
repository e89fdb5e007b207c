// SPDX-License-Identifier: Apache-2.0
using System.Formats.Asn1;
using System.Numerics;
using KeyCustody.Core;

namespace KeyCustody.Tpm;

/// <summary>Conversions between the ECDSA signature encodings the TPM world uses.</summary>
public static class EcdsaSignatureEncoding
{
    /// <summary>
    /// Parses a DER <c>Ecdsa-Sig-Value ::= SEQUENCE { r INTEGER, s INTEGER }</c> (RFC 3279 §2.2.3) and returns
    /// r and s as unsigned big-endian integers of <paramref name="fieldSize"/> bytes each.
    /// </summary>
    public static (byte[] R, byte[] S) ReadDer(ReadOnlySpan<byte> der, int fieldSize)
    {
        try
        {
            var reader = new AsnReader(der.ToArray(), AsnEncodingRules.DER);
            AsnReader sequence = reader.ReadSequence();
            BigInteger r = sequence.ReadInteger();
            BigInteger s = sequence.ReadInteger();
            sequence.ThrowIfNotEmpty();
            reader.ThrowIfNotEmpty();
            return (Fixed(r, fieldSize), Fixed(s, fieldSize));
        }
        catch (AsnContentException e)
        {
            throw new CustodyException(CustodyStatus.DeviceFault, "The TPM returned a malformed ECDSA signature.", e);
        }
    }

    /// <summary>Writes r and s (unsigned big-endian) as a DER <c>SEQUENCE { r, s }</c>.</summary>
    public static byte[] WriteDer(ReadOnlySpan<byte> r, ReadOnlySpan<byte> s)
    {
        var writer = new AsnWriter(AsnEncodingRules.DER);
        using (writer.PushSequence())
        {
            writer.WriteInteger(new BigInteger(r, isUnsigned: true, isBigEndian: true));
            writer.WriteInteger(new BigInteger(s, isUnsigned: true, isBigEndian: true));
        }

        return writer.Encode();
    }

    /// <summary>Parses and re-encodes a DER signature, so what we hand out is strictly canonical DER.</summary>
    public static byte[] Canonicalize(ReadOnlySpan<byte> der, int fieldSize)
    {
        (byte[] r, byte[] s) = ReadDer(der, fieldSize);
        return WriteDer(r, s);
    }

    private static byte[] Fixed(BigInteger value, int size)
    {
        if (value.Sign <= 0)
        {
            throw new AsnContentException("ECDSA r and s must be positive.");
        }

        byte[] bytes = value.ToByteArray(isUnsigned: true, isBigEndian: true);
        if (bytes.Length > size)
        {
            throw new AsnContentException("ECDSA r or s is longer than the curve's field.");
        }

        byte[] result = new byte[size];
        bytes.CopyTo(result, size - bytes.Length);
        return result;
    }
}
