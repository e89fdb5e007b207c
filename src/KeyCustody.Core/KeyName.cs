// SPDX-License-Identifier: Apache-2.0
namespace KeyCustody.Core;

/// <summary>
/// The name of a signing key as callers, policies and the audit log spell it: 1–64 characters of
/// lower-case ASCII letters, digits, '-', '_' and '.', starting with a letter or digit.
/// The HSM label is derived from it (see KeyCustody.Pkcs11's README for the label and CKA_ID scheme).
/// </summary>
public readonly record struct KeyName
{
    private KeyName(string value) => Value = value;

    /// <summary>The validated name.</summary>
    public string Value { get; }

    /// <summary>Parses <paramref name="text"/>, or returns false when it is not a valid key name.</summary>
    public static bool TryParse(string? text, out KeyName name)
    {
        name = default;
        if (string.IsNullOrEmpty(text) || text.Length > 64 || !char.IsAsciiLetterOrDigit(text[0]))
        {
            return false;
        }

        foreach (char c in text)
        {
            if (!(char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c is '-' or '_' or '.'))
            {
                return false;
            }
        }

        name = new KeyName(text);
        return true;
    }

    /// <summary>Parses <paramref name="text"/> or throws <see cref="CustodyException"/> with InvalidArgument.</summary>
    public static KeyName Parse(string? text) =>
        TryParse(text, out KeyName name)
            ? name
            : throw new CustodyException(CustodyStatus.InvalidArgument,
                $"'{text}' is not a valid key name: use 1-64 characters a-z, 0-9, '-', '_' or '.', starting with a letter or digit.");

    /// <inheritdoc />
    public override string ToString() => Value ?? string.Empty;
}
