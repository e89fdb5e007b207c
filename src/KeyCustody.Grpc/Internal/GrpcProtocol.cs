// SPDX-License-Identifier: Apache-2.0
using System.Globalization;
using System.Text;

namespace KeyCustody.Grpc.Internal;

/// <summary>
/// Header names and value codecs of gRPC over HTTP/2
/// (https://github.com/grpc/grpc/blob/master/doc/PROTOCOL-HTTP2.md).
/// </summary>
internal static class GrpcProtocol
{
    public const string ContentType = "application/grpc";
    public const string StatusHeader = "grpc-status";
    public const string MessageHeader = "grpc-message";
    public const string TimeoutHeader = "grpc-timeout";
    public const string EncodingHeader = "grpc-encoding";
    public const string AcceptEncodingHeader = "grpc-accept-encoding";
    public const string Identity = "identity";
    public const string Gzip = "gzip";

    /// <summary>What this implementation decompresses; advertised in grpc-accept-encoding.</summary>
    public const string SupportedEncodings = "identity,gzip";

    /// <summary>Default limit for a single message in either direction (4 MiB, as in other gRPC implementations).</summary>
    public const int DefaultMaxMessageSize = 4 * 1024 * 1024;

    private const int MaxTimeoutDigits = 8;
    private const long MaxTimeoutValue = 99_999_999;

    /// <summary>True for "application/grpc", "application/grpc+proto" and "application/grpc;…".</summary>
    public static bool IsGrpcContentType(string? contentType)
    {
        if (contentType is null || !contentType.StartsWith(ContentType, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        return contentType.Length == ContentType.Length || contentType[ContentType.Length] is '+' or ';';
    }

    /// <summary>
    /// Parses a grpc-timeout value: 1–8 ASCII digits followed by one unit of H M S m u n
    /// ("Timeout → "grpc-timeout" TimeoutValue TimeoutUnit" in the protocol spec).
    /// </summary>
    public static bool TryParseTimeout(string? value, out TimeSpan timeout)
    {
        timeout = default;
        if (value is null || value.Length < 2 || value.Length > MaxTimeoutDigits + 1)
        {
            return false;
        }

        long amount = 0;
        for (int i = 0; i < value.Length - 1; i++)
        {
            char c = value[i];
            if (c is < '0' or > '9')
            {
                return false;
            }

            amount = (amount * 10) + (c - '0');
        }

        // Ticks are 100 ns; sub-tick values round up so a deadline never expires early.
        long ticks = value[^1] switch
        {
            'H' => amount * TimeSpan.TicksPerHour,
            'M' => amount * TimeSpan.TicksPerMinute,
            'S' => amount * TimeSpan.TicksPerSecond,
            'm' => amount * TimeSpan.TicksPerMillisecond,
            'u' => amount * 10,
            'n' => (amount + 99) / 100,
            _ => -1,
        };
        if (ticks < 0)
        {
            return false;
        }

        timeout = TimeSpan.FromTicks(ticks);
        return true;
    }

    /// <summary>
    /// Formats <paramref name="timeout"/> in the finest unit whose value fits in 8 digits, rounding up.
    /// Zero or negative becomes "1n": the caller should not send an already-expired call at all.
    /// </summary>
    public static string FormatTimeout(TimeSpan timeout)
    {
        long ticks = Math.Max(timeout.Ticks, 0);
        if (ticks == 0)
        {
            return "1n";
        }

        // Each candidate is (value in that unit rounded up, unit), finest first.
        if (ticks <= MaxTimeoutValue / 100)
        {
            return (ticks * 100).ToString(CultureInfo.InvariantCulture) + "n";
        }

        ReadOnlySpan<(long TicksPerUnit, char Unit)> units =
        [
            (10, 'u'), (TimeSpan.TicksPerMillisecond, 'm'), (TimeSpan.TicksPerSecond, 'S'),
            (TimeSpan.TicksPerMinute, 'M'), (TimeSpan.TicksPerHour, 'H'),
        ];
        foreach ((long perUnit, char unit) in units)
        {
            long amount = (ticks + perUnit - 1) / perUnit;
            if (amount <= MaxTimeoutValue)
            {
                return amount.ToString(CultureInfo.InvariantCulture) + unit;
            }
        }

        return MaxTimeoutValue.ToString(CultureInfo.InvariantCulture) + "H";
    }

    /// <summary>
    /// Percent-encodes a status message as the spec requires: UTF-8 bytes outside 0x20–0x7E, and '%' itself,
    /// become %XX; everything else passes through. (Uri.EscapeDataString would also escape spaces and
    /// reserved characters, which other peers then show verbatim.)
    /// </summary>
    public static string EncodeMessage(string message)
    {
        bool plain = true;
        foreach (char c in message)
        {
            if (c is < ' ' or > '~' or '%')
            {
                plain = false;
                break;
            }
        }

        if (plain)
        {
            return message;
        }

        byte[] utf8 = Encoding.UTF8.GetBytes(message);
        var builder = new StringBuilder(utf8.Length * 3);
        foreach (byte b in utf8)
        {
            if (b is >= 0x20 and <= 0x7E && b != (byte)'%')
            {
                builder.Append((char)b);
            }
            else
            {
                builder.Append('%').Append(b.ToString("X2", CultureInfo.InvariantCulture));
            }
        }

        return builder.ToString();
    }

    /// <summary>
    /// Decodes a percent-encoded grpc-message. Malformed escapes are kept literally (the spec asks receivers to
    /// not fail on them), and invalid UTF-8 becomes U+FFFD.
    /// </summary>
    public static string DecodeMessage(string? encoded)
    {
        if (string.IsNullOrEmpty(encoded))
        {
            return string.Empty;
        }

        if (!encoded.Contains('%'))
        {
            return encoded;
        }

        var bytes = new List<byte>(encoded.Length);
        for (int i = 0; i < encoded.Length; i++)
        {
            char c = encoded[i];
            if (c == '%' && i + 2 < encoded.Length && IsHex(encoded[i + 1]) && IsHex(encoded[i + 2]))
            {
                bytes.Add((byte)((HexValue(encoded[i + 1]) << 4) | HexValue(encoded[i + 2])));
                i += 2;
            }
            else if (c <= 0x7F)
            {
                bytes.Add((byte)c);
            }
            else
            {
                // Not valid on the wire, but keep what a lenient peer sent rather than dropping it.
                bytes.AddRange(Encoding.UTF8.GetBytes(c.ToString()));
            }
        }

        return Encoding.UTF8.GetString(bytes.ToArray());
    }

    private static bool IsHex(char c) => c is (>= '0' and <= '9') or (>= 'a' and <= 'f') or (>= 'A' and <= 'F');

    private static int HexValue(char c) => c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;
}
