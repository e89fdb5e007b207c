// SPDX-License-Identifier: Apache-2.0
using System.Diagnostics.CodeAnalysis;
using System.Text;

namespace KeyCustody.Governance;

/// <summary>
/// The canonical statement a custodian signs (SSHSIG namespace <see cref="SshNamespaces.Ceremony"/>) to endorse
/// one ceremony. UTF-8, LF line endings, this field order, one trailing LF:
/// <code>
/// keycustody-ceremony-v1
/// ceremony: cer-01
/// kind: generate-key
/// params: {"algorithm":"ecdsa-p256","key":"release"}
/// nonce: 2Yx0G3n…
/// expires: 2025-03-01T12:00:00Z
/// </code>
/// <c>params</c> is the ceremony's parameters in <see cref="CanonicalJson"/> form (always one line).
/// </summary>
public sealed record CeremonyStatement
{
    /// <summary>The first line, naming the format and its version.</summary>
    public const string Header = "keycustody-ceremony-v1";

    /// <summary>Creates a statement; the parameters are canonicalised. Throws <see cref="ArgumentException"/> on invalid values.</summary>
    public CeremonyStatement(string ceremonyId, string kind, string parametersJson, string nonce, DateTimeOffset expiresAt)
    {
        if (!StatementText.IsValidId(ceremonyId))
        {
            throw new ArgumentException($"'{ceremonyId}' is not a valid ceremony id.", nameof(ceremonyId));
        }

        if (!IsValidKind(kind))
        {
            throw new ArgumentException($"'{kind}' is not a valid ceremony kind (lower-case words joined by '-').", nameof(kind));
        }

        if (!CanonicalJson.TryCanonicalize(parametersJson, out string? canonical, out string? error))
        {
            throw new ArgumentException($"The ceremony parameters are not usable JSON: {error}", nameof(parametersJson));
        }

        if (!StatementText.IsValidNonce(nonce))
        {
            throw new ArgumentException("The nonce must be 16-128 base64url characters.", nameof(nonce));
        }

        CeremonyId = ceremonyId;
        Kind = kind;
        ParametersJson = canonical;
        Nonce = nonce;
        ExpiresAt = StatementText.TruncateToSeconds(expiresAt);
    }

    /// <summary>The ceremony id.</summary>
    public string CeremonyId { get; }

    /// <summary>The ceremony kind, e.g. <c>generate-key</c>, <c>change-policy</c>.</summary>
    public string Kind { get; }

    /// <summary>The parameters in canonical JSON.</summary>
    public string ParametersJson { get; }

    /// <summary>The server nonce.</summary>
    public string Nonce { get; }

    /// <summary>When endorsements over this statement stop being accepted (whole seconds, UTC).</summary>
    public DateTimeOffset ExpiresAt { get; }

    /// <summary>The SSHSIG namespace to sign with.</summary>
    public static string Namespace => SshNamespaces.Ceremony;

    /// <summary>Lower-case words of a-z and 0-9 joined by single '-', 1–64 characters.</summary>
    public static bool IsValidKind(string? kind) =>
        !string.IsNullOrEmpty(kind) && kind.Length <= 64 && char.IsAsciiLetterLower(kind[0]) && !kind.EndsWith('-')
        && !kind.Contains("--", StringComparison.Ordinal) && kind.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '-');

    /// <summary>The canonical text.</summary>
    public string ToText() => new StringBuilder()
        .Append(Header).Append('\n')
        .Append("ceremony: ").Append(CeremonyId).Append('\n')
        .Append("kind: ").Append(Kind).Append('\n')
        .Append("params: ").Append(ParametersJson).Append('\n')
        .Append("nonce: ").Append(Nonce).Append('\n')
        .Append("expires: ").Append(StatementText.FormatTimestamp(ExpiresAt)).Append('\n')
        .ToString();

    /// <summary>The canonical bytes custodians sign.</summary>
    public byte[] ToBytes() => Encoding.UTF8.GetBytes(ToText());

    /// <summary>The canonical text.</summary>
    public override string ToString() => ToText();

    /// <summary>Parses statement bytes; succeeds only for the exact canonical encoding.</summary>
    public static bool TryParse(ReadOnlySpan<byte> bytes, [NotNullWhen(true)] out CeremonyStatement? statement, [NotNullWhen(false)] out string? error)
    {
        statement = null;
        if (!StatementText.TrySplitLines(bytes, 6, out string[]? lines, out error))
        {
            return false;
        }

        if (lines[0] != Header)
        {
            error = $"line 1 must be '{Header}'";
            return false;
        }

        if (!StatementText.TryField(lines, 1, "ceremony", out string? id, out error)
            || !StatementText.TryField(lines, 2, "kind", out string? kind, out error)
            || !StatementText.TryField(lines, 3, "params", out string? parameters, out error)
            || !StatementText.TryField(lines, 4, "nonce", out string? nonce, out error)
            || !StatementText.TryField(lines, 5, "expires", out string? expiresText, out error))
        {
            return false;
        }

        DateTimeOffset expires = default;
        if (!StatementText.IsValidId(id))
        {
            error = "the ceremony id is not valid";
        }
        else if (!IsValidKind(kind))
        {
            error = "the kind is not valid";
        }
        else if (!CanonicalJson.TryCanonicalize(parameters, out _, out string? jsonError))
        {
            error = $"the parameters are not valid: {jsonError}";
        }
        else if (!StatementText.IsValidNonce(nonce))
        {
            error = "the nonce is not valid";
        }
        else if (!StatementText.TryParseTimestamp(expiresText, out expires))
        {
            error = "the expiry must be an RFC 3339 UTC time like 2025-03-01T12:00:00Z";
        }

        if (error is not null)
        {
            return false;
        }

        var parsed = new CeremonyStatement(id, kind, parameters, nonce, expires);
        if (!parsed.ToBytes().AsSpan().SequenceEqual(bytes))
        {
            error = "the statement is not in canonical form";
            return false;
        }

        statement = parsed;
        return true;
    }
}
