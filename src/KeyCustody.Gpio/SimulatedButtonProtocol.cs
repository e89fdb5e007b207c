// SPDX-License-Identifier: Apache-2.0
using System.Globalization;

namespace KeyCustody.Gpio;

/// <summary>
/// The simulated button's line protocol over its Unix socket. A request is one ASCII line
/// <c>press &lt;milliseconds&gt;\n</c> (1–60000); the answer is <c>ok\n</c> once the press is queued for the
/// reader, or <c>error &lt;reason&gt;\n</c>. A connection may send several requests; lines longer than
/// <see cref="MaxLineBytes"/> end it.
/// </summary>
public static class SimulatedButtonProtocol
{
    /// <summary>The longest line either side sends, newline included.</summary>
    public const int MaxLineBytes = 128;

    /// <summary>The answer to an accepted press.</summary>
    public const string Ok = "ok";

    /// <summary>The prefix of an error answer.</summary>
    public const string ErrorPrefix = "error ";

    /// <summary>The longest press the simulated button accepts.</summary>
    public static TimeSpan MaxDuration { get; } = TimeSpan.FromMinutes(1);

    /// <summary>Formats the request line for a press of <paramref name="duration"/> (whole milliseconds, newline included).</summary>
    /// <exception cref="ArgumentOutOfRangeException">The duration rounds to less than 1 ms or exceeds <see cref="MaxDuration"/>.</exception>
    public static string FormatPress(TimeSpan duration)
    {
        long ms = (long)Math.Round(duration.TotalMilliseconds, MidpointRounding.AwayFromZero);
        if (ms < 1 || ms > (long)MaxDuration.TotalMilliseconds)
        {
            throw new ArgumentOutOfRangeException(nameof(duration), duration, $"A simulated press lasts 1 ms to {MaxDuration.TotalSeconds:0} s.");
        }

        return string.Create(CultureInfo.InvariantCulture, $"press {ms}\n");
    }

    /// <summary>Parses a request line (without its newline); on failure <paramref name="error"/> says why.</summary>
    public static bool TryParseRequest(ReadOnlySpan<char> line, out TimeSpan duration, out string error)
    {
        duration = default;
        error = string.Empty;
        if (line.EndsWith("\r"))
        {
            line = line[..^1];
        }

        if (!line.StartsWith("press ", StringComparison.Ordinal))
        {
            error = "unknown request; expected 'press <milliseconds>'";
            return false;
        }

        ReadOnlySpan<char> number = line["press ".Length..];
        if (number.IsEmpty || number.Length > 5 || !long.TryParse(number, NumberStyles.None, CultureInfo.InvariantCulture, out long ms))
        {
            error = "the duration must be a whole number of milliseconds";
            return false;
        }

        if (ms < 1 || ms > (long)MaxDuration.TotalMilliseconds)
        {
            error = $"the duration must be 1 to {(long)MaxDuration.TotalMilliseconds} ms";
            return false;
        }

        duration = TimeSpan.FromMilliseconds(ms);
        return true;
    }
}
