// SPDX-License-Identifier: Apache-2.0
using System.Buffers.Binary;
using System.Globalization;
using System.Text;

namespace KeyCustody.Audit;

/// <summary>One signature line of a signed note: <c>— name base64(keyid ‖ signature)</c>.</summary>
/// <param name="KeyName">The signer's key name.</param>
/// <param name="KeyId">The 32-bit key id (big-endian in the encoding).</param>
/// <param name="Signature">The signature bytes after the key id.</param>
public sealed record NoteSignature(string KeyName, uint KeyId, byte[] Signature);

/// <summary>
/// A C2SP signed note (https://c2sp.org/signed-note): text ending in a newline, a blank line, then one or more
/// signature lines <c>U+2014 SP name SP base64(4-byte key id ‖ signature) LF</c>. The signed text includes its final
/// newline but not the blank line. Parsing is strict: valid UTF-8, no control characters but newline, every line
/// terminated, at most <see cref="MaxSignatures"/> signatures and <see cref="MaxBytes"/> bytes.
/// </summary>
public sealed class SignedNote
{
    /// <summary>The most signature lines accepted (the spec asks verifiers to accept at least 16).</summary>
    public const int MaxSignatures = 100;

    /// <summary>The largest note accepted, in bytes.</summary>
    public const int MaxBytes = 1 << 20;

    private const string SignaturePrefix = "\u2014 ";

    private static readonly UTF8Encoding s_strictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Creates a note from its text and signatures.</summary>
    public SignedNote(string text, IReadOnlyList<NoteSignature> signatures)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(signatures);
        if (!IsValidText(text))
        {
            throw new ArgumentException("Note text must be non-empty, end in a newline and contain no control characters but newlines.", nameof(text));
        }

        foreach (NoteSignature signature in signatures)
        {
            if (!IsValidKeyName(signature.KeyName))
            {
                throw new ArgumentException($"'{signature.KeyName}' is not a valid note key name.", nameof(signatures));
            }
        }

        Text = text;
        Signatures = signatures;
    }

    /// <summary>The signed text, including its final newline.</summary>
    public string Text { get; }

    /// <summary>The signatures, in note order.</summary>
    public IReadOnlyList<NoteSignature> Signatures { get; }

    /// <summary>The complete note: text, blank line, signature lines.</summary>
    public string Format()
    {
        var builder = new StringBuilder(Text.Length + 128);
        builder.Append(Text).Append('\n');
        foreach (NoteSignature signature in Signatures)
        {
            var blob = new byte[4 + signature.Signature.Length];
            BinaryPrimitives.WriteUInt32BigEndian(blob, signature.KeyId);
            signature.Signature.CopyTo(blob, 4);
            builder.Append(SignaturePrefix).Append(signature.KeyName).Append(' ').Append(Convert.ToBase64String(blob)).Append('\n');
        }

        return builder.ToString();
    }

    /// <summary>Parses the UTF-8 bytes of a note.</summary>
    public static bool TryParse(ReadOnlySpan<byte> utf8, out SignedNote? note, out string error)
    {
        note = null;
        if (utf8.Length > MaxBytes)
        {
            error = $"the note is {utf8.Length} bytes, more than the {MaxBytes} accepted";
            return false;
        }

        string text;
        try
        {
            text = s_strictUtf8.GetString(utf8);
        }
        catch (DecoderFallbackException)
        {
            error = "the note is not valid UTF-8";
            return false;
        }

        return TryParse(text, out note, out error);
    }

    /// <summary>Parses a note.</summary>
    public static bool TryParse(string note, out SignedNote? result, out string error)
    {
        ArgumentNullException.ThrowIfNull(note);
        result = null;
        if (Encoding.UTF8.GetByteCount(note) > MaxBytes)
        {
            error = $"the note is more than the {MaxBytes} bytes accepted";
            return false;
        }

        foreach (char c in note)
        {
            if (c < 0x20 && c != '\n')
            {
                error = "the note contains a control character other than newline";
                return false;
            }
        }

        if (!HasValidSurrogates(note))
        {
            error = "the note is not valid Unicode";
            return false;
        }

        if (!note.EndsWith('\n'))
        {
            error = "the note does not end with a newline";
            return false;
        }

        // The text ends at the last blank line; the signature block never contains one.
        int split = note.LastIndexOf("\n\n", StringComparison.Ordinal);
        if (split < 0)
        {
            error = "the note has no blank line before its signatures";
            return false;
        }

        string text = note[..(split + 1)];
        string block = note[(split + 2)..];
        if (block.Length == 0)
        {
            error = "the note has no signature lines";
            return false;
        }

        var signatures = new List<NoteSignature>();
        foreach (string line in block[..^1].Split('\n'))
        {
            if (signatures.Count == MaxSignatures)
            {
                error = $"the note has more than {MaxSignatures} signatures";
                return false;
            }

            if (!TryParseSignatureLine(line, out NoteSignature? signature, out error))
            {
                return false;
            }

            signatures.Add(signature!);
        }

        if (!IsValidText(text))
        {
            error = "the note text is empty";
            return false;
        }

        result = new SignedNote(text, signatures);
        error = string.Empty;
        return true;
    }

    /// <summary>True when <paramref name="name"/> is a valid key name: non-empty, no Unicode spaces, no '+'.</summary>
    public static bool IsValidKeyName(string? name)
    {
        if (string.IsNullOrEmpty(name))
        {
            return false;
        }

        foreach (char c in name)
        {
            if (char.IsWhiteSpace(c) || char.IsControl(c) || c == '+')
            {
                return false;
            }
        }

        return true;
    }

    private static bool TryParseSignatureLine(string line, out NoteSignature? signature, out string error)
    {
        signature = null;
        if (!line.StartsWith(SignaturePrefix, StringComparison.Ordinal))
        {
            error = "a signature line does not start with an em dash and a space";
            return false;
        }

        string rest = line[SignaturePrefix.Length..];
        int space = rest.IndexOf(' ', StringComparison.Ordinal);
        if (space <= 0 || rest.IndexOf(' ', space + 1) >= 0)
        {
            error = "a signature line is not 'name base64'";
            return false;
        }

        string name = rest[..space];
        if (!IsValidKeyName(name))
        {
            error = $"'{name}' is not a valid key name";
            return false;
        }

        byte[] blob;
        try
        {
            blob = Convert.FromBase64String(rest[(space + 1)..]);
        }
        catch (FormatException)
        {
            error = $"the signature of '{name}' is not base64";
            return false;
        }

        if (blob.Length < 5)
        {
            error = $"the signature of '{name}' is too short";
            return false;
        }

        signature = new NoteSignature(name, BinaryPrimitives.ReadUInt32BigEndian(blob), blob[4..]);
        error = string.Empty;
        return true;
    }

    private static bool IsValidText(string text) => text.Length > 0 && text.EndsWith('\n') && !text.Any(c => c < 0x20 && c != '\n');

    private static bool HasValidSurrogates(string s)
    {
        for (int i = 0; i < s.Length; i++)
        {
            if (char.IsHighSurrogate(s[i]))
            {
                if (i + 1 >= s.Length || !char.IsLowSurrogate(s[i + 1]))
                {
                    return false;
                }

                i++;
            }
            else if (char.IsLowSurrogate(s[i]))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Formats a key id as 8 lower-case hex digits.</summary>
    public static string FormatKeyId(uint keyId) => keyId.ToString("x8", CultureInfo.InvariantCulture);
}
