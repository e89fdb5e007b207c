// SPDX-License-Identifier: Apache-2.0
namespace KeyCustody.Governance;

/// <summary>
/// Who submitted a signing request, as the transport authenticated it: the mTLS client certificate's subject
/// and subject alternative names. The subject is the caller's identity for rate limits and statements.
/// </summary>
public sealed record CallerIdentity
{
    /// <summary>Creates an identity; the subject must be non-empty and free of control characters.</summary>
    public CallerIdentity(string subject, IReadOnlyList<string>? subjectAlternativeNames = null)
    {
        if (!IsValidText(subject))
        {
            throw new ArgumentException("A caller subject must be 1-1024 characters without control characters.", nameof(subject));
        }

        var sans = (subjectAlternativeNames ?? []).ToArray();
        if (sans.Any(san => !IsValidText(san)))
        {
            throw new ArgumentException("A subject alternative name must be 1-1024 characters without control characters.", nameof(subjectAlternativeNames));
        }

        Subject = subject;
        SubjectAlternativeNames = sans;
    }

    /// <summary>The certificate subject, e.g. <c>CN=ci-release,O=Example</c>.</summary>
    public string Subject { get; }

    /// <summary>The certificate's subject alternative names (DNS names, URIs such as SPIFFE IDs, e-mail).</summary>
    public IReadOnlyList<string> SubjectAlternativeNames { get; }

    /// <summary>True when <paramref name="value"/> equals the subject or one of the SANs (ordinal).</summary>
    public bool Names(string value) =>
        string.Equals(Subject, value, StringComparison.Ordinal) || SubjectAlternativeNames.Contains(value, StringComparer.Ordinal);

    /// <inheritdoc />
    public bool Equals(CallerIdentity? other) =>
        other is not null && Subject == other.Subject && SubjectAlternativeNames.SequenceEqual(other.SubjectAlternativeNames);

    /// <inheritdoc />
    public override int GetHashCode() => StringComparer.Ordinal.GetHashCode(Subject);

    internal static bool IsValidText(string? text) =>
        !string.IsNullOrEmpty(text) && text.Length <= 1024 && !text.Any(char.IsControl);
}
