// SPDX-License-Identifier: Apache-2.0
namespace KeyCustody.Governance;

/// <summary>
/// A glob over caller identities: <c>*</c> matches any run of characters (including none), <c>?</c> exactly one,
/// <c>\</c> escapes the next character. Matching is ordinal and case-sensitive, over the whole text.
/// </summary>
public sealed class GlobPattern : IEquatable<GlobPattern>
{
    private GlobPattern(string pattern) => Pattern = pattern;

    /// <summary>The pattern as written.</summary>
    public string Pattern { get; }

    /// <summary>Validates a pattern: non-empty, no control characters, no dangling escape.</summary>
    public static bool TryParse(string? text, out GlobPattern? pattern, out string? error)
    {
        pattern = null;
        if (string.IsNullOrEmpty(text))
        {
            error = "a pattern cannot be empty";
            return false;
        }

        if (text.Length > 512)
        {
            error = "a pattern is at most 512 characters";
            return false;
        }

        for (int i = 0; i < text.Length; i++)
        {
            if (char.IsControl(text[i]))
            {
                error = "a pattern cannot contain control characters";
                return false;
            }

            if (text[i] == '\\')
            {
                if (i == text.Length - 1)
                {
                    error = "a pattern cannot end with an escape '\\'";
                    return false;
                }

                i++;
            }
        }

        pattern = new GlobPattern(text);
        error = null;
        return true;
    }

    /// <summary>Validates a pattern or throws <see cref="ArgumentException"/>.</summary>
    public static GlobPattern Parse(string text) =>
        TryParse(text, out GlobPattern? pattern, out string? error) ? pattern! : throw new ArgumentException(error, nameof(text));

    /// <summary>True when the whole of <paramref name="text"/> matches.</summary>
    public bool IsMatch(string? text)
    {
        if (text is null)
        {
            return false;
        }

        // Iterative wildcard matching with single-star backtracking: linear in practice, no regex engine,
        // no catastrophic backtracking on hostile certificate subjects.
        string p = Pattern;
        int ti = 0, pi = 0, starPi = -1, starTi = 0;
        while (ti < text.Length)
        {
            if (pi < p.Length && p[pi] == '*')
            {
                starPi = pi++;
                starTi = ti;
            }
            else if (pi < p.Length && p[pi] == '?')
            {
                pi++;
                ti++;
            }
            else if (pi < p.Length && p[pi] == '\\' && pi + 1 < p.Length && p[pi + 1] == text[ti])
            {
                pi += 2;
                ti++;
            }
            else if (pi < p.Length && p[pi] != '\\' && p[pi] == text[ti])
            {
                pi++;
                ti++;
            }
            else if (starPi >= 0)
            {
                pi = starPi + 1;
                ti = ++starTi;
            }
            else
            {
                return false;
            }
        }

        while (pi < p.Length && p[pi] == '*')
        {
            pi++;
        }

        return pi == p.Length;
    }

    /// <inheritdoc />
    public bool Equals(GlobPattern? other) => other is not null && string.Equals(Pattern, other.Pattern, StringComparison.Ordinal);

    /// <inheritdoc />
    public override bool Equals(object? obj) => Equals(obj as GlobPattern);

    /// <inheritdoc />
    public override int GetHashCode() => StringComparer.Ordinal.GetHashCode(Pattern);

    /// <inheritdoc />
    public override string ToString() => Pattern;
}
