// SPDX-License-Identifier: Apache-2.0
using System.Formats.Asn1;

namespace KeyCustody.Pkcs11;

/// <summary>
/// ECDSA signature encodings: PKCS#11 CKM_ECDSA returns r‖s with each half as wide as the curve order
/// (IEEE P1363); X.509, CMS and OpenSSL use DER <c>SEQUENCE { r INTEGER, s INTEGER }</c> (RFC 3279 §2.2.3).
/// </summary>
public static class SignatureEncoding
{
    /// <summary>Converts a fixed-width r‖s signature to DER.</summary>
    public static byte[] EcdsaRawToDer(ReadOnlySpan<byte> raw)
    {
        if (raw.Length == 0 || raw.Length % 2 != 0)
        {
            throw new ArgumentException("An r‖s signature has two halves of equal length.", nameof(raw));
        }

        int half = raw.Length / 2;
        var writer = new AsnWriter(AsnEncodingRules.DER);
        using (writer.PushSequence())
        {
            writer.WriteIntegerUnsigned(TrimLeadingZeros(raw[..half]));
            writer.WriteIntegerUnsigned(TrimLeadingZeros(raw[half..]));
        }

        return writer.Encode();
    }

    /// <summary>Converts a DER signature to fixed-width r‖s with halves of <paramref name="fieldSize"/> bytes.</summary>
    public static byte[] EcdsaDerToRaw(ReadOnlySpan<byte> der, int fieldSize)
    {
        var reader = new AsnReader(der.ToArray(), AsnEncodingRules.DER);
        AsnReader sequence = reader.ReadSequence();
        reader.ThrowIfNotEmpty();
        ReadOnlySpan<byte> r = TrimLeadingZeros(sequence.ReadIntegerBytes().Span);
        ReadOnlySpan<byte> s = TrimLeadingZeros(sequence.ReadIntegerBytes().Span);
        sequence.ThrowIfNotEmpty();
        if (r.Length > fieldSize || s.Length > fieldSize)
        {
            throw new ArgumentException("The signature's integers are wider than the curve.", nameof(der));
        }

        var raw = new byte[2 * fieldSize];
        r.CopyTo(raw.AsSpan(fieldSize - r.Length));
        s.CopyTo(raw.AsSpan((2 * fieldSize) - s.Length));
        return raw;
    }

    private static ReadOnlySpan<byte> TrimLeadingZeros(ReadOnlySpan<byte> value)
    {
        int i = 0;
        while (i < value.Length - 1 && value[i] == 0)
        {
            i++;
        }

        return value[i..];
    }
}
