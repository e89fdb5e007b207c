// SPDX-License-Identifier: Apache-2.0
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text;
using System.Text.Json;
using KeyCustody.Core;

namespace KeyCustody.Governance;

/// <summary>
/// A canonical JSON form in the spirit of RFC 8785 (JCS): no whitespace, object members sorted by their UTF-16
/// code units, strings escaped minimally (only '"', '\' and control characters), other characters as UTF-8.
/// Numbers are restricted to integers (written in plain decimal) so that no floating-point formatting rule is
/// needed; documents with fractions or exponents are refused. Duplicate member names are refused.
/// Equal documents give equal bytes, so canonical JSON can be signed, hashed and compared.
/// </summary>
public static class CanonicalJson
{
    /// <summary>Returns the canonical form of <paramref name="json"/>; throws InvalidArgument with the reason.</summary>
    public static string Canonicalize(string json) =>
        TryCanonicalize(json, out string? canonical, out string? error)
            ? canonical
            : throw new CustodyException(CustodyStatus.InvalidArgument, $"Cannot canonicalise JSON: {error}");

    /// <summary>Returns the canonical form, or false with a reason.</summary>
    public static bool TryCanonicalize(string? json, [NotNullWhen(true)] out string? canonical, [NotNullWhen(false)] out string? error)
    {
        canonical = null;
        if (string.IsNullOrWhiteSpace(json))
        {
            error = "the document is empty";
            return false;
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = 32 });
        }
        catch (JsonException e)
        {
            error = $"not valid JSON (line {(e.LineNumber ?? 0) + 1}, byte {(e.BytePositionInLine ?? 0) + 1})";
            return false;
        }

        using (document)
        {
            var text = new StringBuilder();
            try
            {
                if (!TryWrite(document.RootElement, "$", text, out error))
                {
                    return false;
                }
            }
            catch (InvalidOperationException)
            {
                // System.Text.Json refuses to decode a lone surrogate escape such as "\ud800" in a member name.
                error = "a member name is not valid Unicode (lone surrogate escape)";
                return false;
            }

            canonical = text.ToString();
            return true;
        }
    }

    private static bool TryWrite(JsonElement element, string path, StringBuilder text, [NotNullWhen(false)] out string? error)
    {
        error = null;
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                var members = element.EnumerateObject().ToList();
                members.Sort((a, b) => string.CompareOrdinal(a.Name, b.Name));
                text.Append('{');
                for (int i = 0; i < members.Count; i++)
                {
                    if (i > 0)
                    {
                        if (members[i].Name == members[i - 1].Name)
                        {
                            error = $"{path}.{members[i].Name} appears twice";
                            return false;
                        }

                        text.Append(',');
                    }

                    WriteString(members[i].Name, text);
                    text.Append(':');
                    if (!TryWrite(members[i].Value, $"{path}.{members[i].Name}", text, out error))
                    {
                        return false;
                    }
                }

                text.Append('}');
                return true;
            case JsonValueKind.Array:
                text.Append('[');
                int index = 0;
                foreach (JsonElement item in element.EnumerateArray())
                {
                    if (index > 0)
                    {
                        text.Append(',');
                    }

                    if (!TryWrite(item, $"{path}[{index}]", text, out error))
                    {
                        return false;
                    }

                    index++;
                }

                text.Append(']');
                return true;
            case JsonValueKind.String:
                string value;
                try
                {
                    value = element.GetString()!;
                }
                catch (InvalidOperationException)
                {
                    error = $"{path}: the string is not valid Unicode (lone surrogate escape)";
                    return false;
                }

                WriteString(value, text);
                return true;
            case JsonValueKind.Number:
                string raw = element.GetRawText();
                if (raw.AsSpan().IndexOfAny(".eE") >= 0 || !element.TryGetInt64(out long number))
                {
                    error = $"{path}: {raw} is not a whole number in the 64-bit range (canonical JSON here allows integers only)";
                    return false;
                }

                text.Append(number.ToString(CultureInfo.InvariantCulture));
                return true;
            case JsonValueKind.True:
                text.Append("true");
                return true;
            case JsonValueKind.False:
                text.Append("false");
                return true;
            default:
                text.Append("null");
                return true;
        }
    }

    /// <summary>Appends <paramref name="value"/> as a canonical JSON string literal.</summary>
    internal static void WriteString(string value, StringBuilder text)
    {
        text.Append('"');
        foreach (char c in value)
        {
            switch (c)
            {
                case '"': text.Append("\\\""); break;
                case '\\': text.Append("\\\\"); break;
                case '\b': text.Append("\\b"); break;
                case '\f': text.Append("\\f"); break;
                case '\n': text.Append("\\n"); break;
                case '\r': text.Append("\\r"); break;
                case '\t': text.Append("\\t"); break;
                default:
                    if (c < 0x20)
                    {
                        text.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    }
                    else
                    {
                        text.Append(c);
                    }

                    break;
            }
        }

        text.Append('"');
    }
}
