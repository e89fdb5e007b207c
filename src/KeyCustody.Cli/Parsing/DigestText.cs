// SPDX-License-Identifier: Apache-2.0
using System.Diagnostics.CodeAnalysis;
using KeyCustody.Core;

namespace KeyCustody.Cli.Parsing;

/// <summary>An artifact digest as the CLI accepts and prints it: <c>ALGORITHM:HEX</c>, e.g. <c>sha256:9f86…</c>.</summary>
/// <param name="Algorithm">The digest algorithm.</param>
/// <param name="Value">The digest bytes; their length matches <paramref name="Algorithm"/>.</param>
public sealed record DigestText(DigestAlgorithm Algorithm, byte[] Value)
{
    /// <summary>
    /// Parses <c>sha256:HEX</c>, <c>sha384:HEX</c> or <c>sha512:HEX</c> (algorithm and hex case-insensitive). On failure
    /// <paramref name="error"/> says what is wrong in words a user can act on.
    /// </summary>
    public static bool TryParse(string? text, [NotNullWhen(true)] out DigestText? digest, [NotNullWhen(false)] out string? error)
    {
        digest = null;
        if (string.IsNullOrWhiteSpace(text))
        {
            error = "the digest is empty; expected ALGORITHM:HEX, e.g. sha256:<64 hex digits>";
            return false;
        }

        int colon = text.IndexOf(':');
        if (colon <= 0)
        {
            error = $"'{Shorten(text)}' has no algorithm prefix; expected ALGORITHM:HEX, e.g. sha256:<64 hex digits>";
            return false;
        }

        string algorithmText = text[..colon];
        string hex = text[(colon + 1)..];
        if (!Algorithms.TryParseDigest(algorithmText, out DigestAlgorithm algorithm))
        {
            error = $"unknown digest algorithm '{Shorten(algorithmText)}'; use sha256, sha384 or sha512";
            return false;
        }

        int expectedLength = Algorithms.DigestLength(algorithm);
        string name = Algorithms.Name(algorithm);
        if (hex.Length != expectedLength * 2)
        {
            error = $"a {name} digest is {expectedLength * 2} hex digits, got {hex.Length}";
            return false;
        }

        foreach (char c in hex)
        {
            if (!char.IsAsciiHexDigit(c))
            {
                error = $"the {name} digest contains '{c}', which is not a hex digit";
                return false;
            }
        }

        digest = new DigestText(algorithm, Convert.FromHexString(hex));
        error = null;
        return true;
    }

    /// <summary>The canonical spelling: lower-case algorithm name, colon, lower-case hex.</summary>
    public override string ToString() => Format(Algorithm, Value);

    /// <summary>Formats a digest as <c>sha256:hex</c>.</summary>
    public static string Format(DigestAlgorithm algorithm, ReadOnlySpan<byte> value) =>
        Algorithms.Name(algorithm) + ":" + Convert.ToHexStringLower(value);

    private static string Shorten(string text) => text.Length <= 24 ? text : text[..21] + "...";
}
