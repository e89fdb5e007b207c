// SPDX-License-Identifier: Apache-2.0
using System.Security.Cryptography;
using KeyCustody.Core;

namespace KeyCustody.Governance.Ceremonies;

/// <summary>One Shamir share: the evaluation point and one byte of the polynomial value per secret byte. Never printed.</summary>
/// <param name="X">The evaluation point, 1–255.</param>
/// <param name="Threshold">How many shares rebuild the secret.</param>
/// <param name="Y">The values (secret-sized).</param>
public sealed record ShamirShare(byte X, int Threshold, byte[] Y)
{
    /// <summary>No share bytes.</summary>
    public override string ToString() => $"ShamirShare {{ X = {X}, Threshold = {Threshold}, {Y.Length} bytes }}";
}

/// <summary>
/// Shamir secret sharing over GF(2^8) with the AES field polynomial x^8+x^4+x^3+x+1 (0x11B): each secret byte is
/// the constant term of its own random polynomial of degree M-1, evaluated at x = 1..N. Any M shares rebuild the
/// secret by Lagrange interpolation at 0; M-1 shares reveal nothing about it (A. Shamir, "How to share a secret",
/// CACM 22(11), 1979). Fewer than M shares interpolate to an unrelated value, so callers check the result (the
/// backup bundle's MAC) as well as the count.
/// </summary>
public static class Shamir
{
    private static readonly byte[] s_exp = new byte[510];
    private static readonly byte[] s_log = new byte[256];

#pragma warning disable CA1810 // The tables are computed once; a static constructor states that plainly.
    static Shamir()
#pragma warning restore CA1810
    {
        // 3 generates the multiplicative group of GF(256) under 0x11B.
        int value = 1;
        for (int i = 0; i < 255; i++)
        {
            s_exp[i] = (byte)value;
            s_exp[i + 255] = (byte)value;
            s_log[value] = (byte)i;
            value ^= value << 1;
            if ((value & 0x100) != 0)
            {
                value ^= 0x11B;
            }
        }
    }

    /// <summary>Splits <paramref name="secret"/> into <paramref name="count"/> shares, any <paramref name="threshold"/> of which rebuild it.</summary>
    public static IReadOnlyList<ShamirShare> Split(ReadOnlySpan<byte> secret, int threshold, int count)
    {
        if (secret.IsEmpty)
        {
            throw new ArgumentException("The secret is empty.", nameof(secret));
        }

        if (threshold < 2 || threshold > count || count > 255)
        {
            throw new ArgumentOutOfRangeException(nameof(threshold), $"Need 2 <= threshold <= count <= 255 (threshold {threshold}, count {count}).");
        }

        var shares = new byte[count][];
        for (int s = 0; s < count; s++)
        {
            shares[s] = new byte[secret.Length];
        }

        byte[] coefficients = new byte[threshold];
        try
        {
            for (int i = 0; i < secret.Length; i++)
            {
                coefficients[0] = secret[i];
                RandomNumberGenerator.Fill(coefficients.AsSpan(1));
                for (int s = 0; s < count; s++)
                {
                    // Horner's rule at x = s + 1.
                    byte x = (byte)(s + 1), y = 0;
                    for (int c = threshold - 1; c >= 0; c--)
                    {
                        y = (byte)(Multiply(y, x) ^ coefficients[c]);
                    }

                    shares[s][i] = y;
                }
            }
        }
        finally
        {
            CryptographicOperations.ZeroMemory(coefficients);
        }

        return [.. shares.Select((y, s) => new ShamirShare((byte)(s + 1), threshold, y))];
    }

    /// <summary>Rebuilds the secret from at least the threshold of distinct shares. InvalidArgument with fewer or inconsistent shares.</summary>
    public static byte[] Combine(IReadOnlyList<ShamirShare> shares)
    {
        ArgumentNullException.ThrowIfNull(shares);
        if (shares.Count == 0)
        {
            throw new CustodyException(CustodyStatus.InvalidArgument, "No shares were given.");
        }

        int threshold = shares[0].Threshold, length = shares[0].Y.Length;
        if (shares.Any(s => s.Threshold != threshold || s.Y.Length != length || s.X == 0))
        {
            throw new CustodyException(CustodyStatus.InvalidArgument, "The shares do not belong to one split (threshold or length differ).");
        }

        if (shares.Select(s => s.X).Distinct().Count() != shares.Count)
        {
            throw new CustodyException(CustodyStatus.InvalidArgument, "The same share was given twice.");
        }

        if (shares.Count < threshold)
        {
            throw new CustodyException(CustodyStatus.PermissionDenied,
                $"{shares.Count} share(s) given but {threshold} are needed; fewer than the threshold reveal nothing about the secret.");
        }

        return Interpolate(shares.Take(threshold).ToList());
    }

    /// <summary>Lagrange interpolation at x = 0 of exactly the given shares (no threshold check: tests show what too few shares yield).</summary>
    internal static byte[] Interpolate(IReadOnlyList<ShamirShare> shares)
    {
        int length = shares[0].Y.Length;
        byte[] secret = new byte[length];
        for (int j = 0; j < shares.Count; j++)
        {
            // Basis polynomial l_j(0) = prod_{m != j} x_m / (x_m - x_j); subtraction is XOR in GF(2^8).
            byte basis = 1;
            for (int m = 0; m < shares.Count; m++)
            {
                if (m != j)
                {
                    basis = Multiply(basis, Divide(shares[m].X, (byte)(shares[m].X ^ shares[j].X)));
                }
            }

            for (int i = 0; i < length; i++)
            {
                secret[i] ^= Multiply(shares[j].Y[i], basis);
            }
        }

        return secret;
    }

    internal static byte Multiply(byte a, byte b) => a == 0 || b == 0 ? (byte)0 : s_exp[s_log[a] + s_log[b]];

    internal static byte Divide(byte a, byte b)
    {
        if (b == 0)
        {
            throw new DivideByZeroException();
        }

        return a == 0 ? (byte)0 : s_exp[s_log[a] + 255 - s_log[b]];
    }
}
