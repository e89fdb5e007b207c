// SPDX-License-Identifier: Apache-2.0
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace KeyCustody.Governance;

/// <summary>Identifier, nonce and timestamp rules shared by the canonical statements.</summary>
public static class StatementText
{
    private static readonly UTF8Encoding s_strictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Request and ceremony ids: 1–128 characters of A-Z, a-z, 0-9, '.', '_', ':', '-'.</summary>
    public static bool IsValidId(string? id) =>
        !string.IsNullOrEmpty(id) && id.Length <= 128 && id.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or ':' or '-');

    /// <summary>Nonces: 16–128 characters of base64url (A-Z, a-z, 0-9, '-', '_').</summary>
    public static bool IsValidNonce(string? nonce) =>
        !string.IsNullOrEmpty(nonce) && nonce.Length is >= 16 and <= 128 && nonce.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_');

    /// <summary>A fresh server nonce: 32 random bytes, base64url without padding (43 characters).</summary>
    public static string NewNonce() =>
        Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    /// <summary>Drops sub-second precision: statements carry whole seconds so they round-trip exactly.</summary>
    public static DateTimeOffset TruncateToSeconds(DateTimeOffset instant) =>
        new(instant.UtcTicks - (instant.UtcTicks % TimeSpan.TicksPerSecond), TimeSpan.Zero);

    /// <summary>RFC 3339 in UTC with whole seconds: <c>2025-03-01T12:00:00Z</c>.</summary>
    public static string FormatTimestamp(DateTimeOffset instant) =>
        TruncateToSeconds(instant).UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    /// <summary>Parses exactly the form <see cref="FormatTimestamp"/> writes.</summary>
    public static bool TryParseTimestamp(string? text, out DateTimeOffset instant) =>
        DateTimeOffset.TryParseExact(text, "yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture,
            DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out instant);

    /// <summary>Decodes strict UTF-8 and splits a statement into its LF-terminated lines.</summary>
    internal static bool TrySplitLines(ReadOnlySpan<byte> bytes, int expectedLines, [NotNullWhen(true)] out string[]? lines, [NotNullWhen(false)] out string? error)
    {
        lines = null;
        string text;
        try
        {
            text = s_strictUtf8.GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            error = "the statement is not valid UTF-8";
            return false;
        }

        if (text.Contains('\r'))
        {
            error = "the statement must use LF line endings, not CRLF";
            return false;
        }

        if (!text.EndsWith('\n'))
        {
            error = "the statement must end with a newline";
            return false;
        }

        string[] split = text[..^1].Split('\n');
        if (split.Length != expectedLines)
        {
            error = $"the statement has {split.Length} lines, expected {expectedLines}";
            return false;
        }

        lines = split;
        error = null;
        return true;
    }

    /// <summary>Reads "<paramref name="field"/>: value" from line <paramref name="index"/>.</summary>
    internal static bool TryField(string[] lines, int index, string field, [NotNullWhen(true)] out string? value, [NotNullWhen(false)] out string? error)
    {
        string prefix = field + ": ";
        if (!lines[index].StartsWith(prefix, StringComparison.Ordinal))
        {
            value = null;
            error = $"line {index + 1} must start with '{prefix}'";
            return false;
        }

        value = lines[index][prefix.Length..];
        error = null;
        return true;
    }
}
