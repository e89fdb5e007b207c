// SPDX-License-Identifier: Apache-2.0
using System.Text;

namespace KeyCustody.Governance;

/// <summary>
/// Durations as policies spell them: one or more <c>&lt;number&gt;&lt;unit&gt;</c> parts with units
/// w (week), d (day), h, m, s, largest first, each at most once — "30s", "15m", "1h30m", "1d", "2w".
/// The canonical form uses d, h, m, s ("2w" becomes "14d").
/// </summary>
public static class DurationText
{
    private static readonly (char Unit, long Seconds)[] s_units =
        [('w', 604_800), ('d', 86_400), ('h', 3_600), ('m', 60), ('s', 1)];

    /// <summary>The longest duration accepted (about ten years); keeps arithmetic far from overflow.</summary>
    public static readonly TimeSpan Max = TimeSpan.FromDays(3660);

    /// <summary>Parses a duration, or returns false.</summary>
    public static bool TryParse(string? text, out TimeSpan duration)
    {
        duration = TimeSpan.Zero;
        if (string.IsNullOrEmpty(text) || text.Length > 32)
        {
            return false;
        }

        long total = 0;
        int lastUnit = -1;
        int i = 0;
        while (i < text.Length)
        {
            int start = i;
            while (i < text.Length && char.IsAsciiDigit(text[i]))
            {
                i++;
            }

            if (i == start || i == text.Length || i - start > 9)
            {
                return false;
            }

            int unitIndex = System.Array.FindIndex(s_units, u => u.Unit == text[i]);
            if (unitIndex < 0 || unitIndex <= lastUnit)
            {
                return false;
            }

            total += long.Parse(text.AsSpan(start, i - start), System.Globalization.CultureInfo.InvariantCulture) * s_units[unitIndex].Seconds;
            lastUnit = unitIndex;
            i++;
        }

        if (total > (long)Max.TotalSeconds)
        {
            return false;
        }

        duration = TimeSpan.FromSeconds(total);
        return true;
    }

    /// <summary>The canonical text: whole seconds as d, h, m, s parts, largest first ("0s" for zero).</summary>
    public static string Format(TimeSpan duration)
    {
        if (duration < TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(duration), "A duration cannot be negative.");
        }

        long seconds = (long)duration.TotalSeconds;
        if (seconds == 0)
        {
            return "0s";
        }

        var text = new StringBuilder();
        foreach ((char unit, long size) in s_units.Skip(1))
        {
            if (seconds >= size)
            {
                text.Append(seconds / size).Append(unit);
                seconds %= size;
            }
        }

        return text.ToString();
    }
}
