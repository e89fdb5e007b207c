// SPDX-License-Identifier: Apache-2.0
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text;
using KeyCustody.Core;

namespace KeyCustody.Governance;

/// <summary>What an officer's signature says about a request.</summary>
public enum ApprovalAction
{
    /// <summary>The officer approves the request.</summary>
    Approve = 1,
    /// <summary>The officer denies the request.</summary>
    Deny = 2,
}

/// <summary>
/// The canonical statement an officer signs (SSHSIG namespace <see cref="SshNamespaces.Approval"/>) to approve or
/// deny one signing request. Its bytes are fixed: UTF-8, LF line endings, this field order, one trailing LF:
/// <code>
/// keycustody-approval-v1
/// request: req-01
/// action: approve
/// key: release
/// digest: sha256:9f86d081884c7d65…
/// requester: CN=ci-release,O=Example
/// policy-version: 3
/// nonce: q0CzmmY2a1GdWv…
/// expires: 2025-03-01T12:00:00Z
/// </code>
/// The nonce is the server's per-request nonce; <c>expires</c> bounds how long the signature may be used.
/// </summary>
public sealed record ApprovalStatement
{
    /// <summary>The first line, naming the format and its version.</summary>
    public const string Header = "keycustody-approval-v1";

    /// <summary>Creates a statement; throws <see cref="ArgumentException"/> on values that cannot be written canonically.</summary>
    public ApprovalStatement(string requestId, ApprovalAction action, KeyName key, DigestAlgorithm digestAlgorithm,
        ReadOnlySpan<byte> digest, string requester, long policyVersion, string nonce, DateTimeOffset expiresAt)
    {
        if (!StatementText.IsValidId(requestId))
        {
            throw new ArgumentException($"'{requestId}' is not a valid request id.", nameof(requestId));
        }

        if (action is not (ApprovalAction.Approve or ApprovalAction.Deny))
        {
            throw new ArgumentOutOfRangeException(nameof(action));
        }

        if (string.IsNullOrEmpty(key.Value))
        {
            throw new ArgumentException("A key name is required.", nameof(key));
        }

        if (digest.Length != Algorithms.DigestLength(digestAlgorithm))
        {
            throw new ArgumentException($"A {Algorithms.Name(digestAlgorithm)} digest is {Algorithms.DigestLength(digestAlgorithm)} bytes.", nameof(digest));
        }

        if (!CallerIdentity.IsValidText(requester))
        {
            throw new ArgumentException("The requester must be 1-1024 characters without control characters.", nameof(requester));
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(policyVersion, 1);
        if (!StatementText.IsValidNonce(nonce))
        {
            throw new ArgumentException("The nonce must be 16-128 base64url characters.", nameof(nonce));
        }

        RequestId = requestId;
        Action = action;
        Key = key;
        DigestAlgorithm = digestAlgorithm;
        DigestHex = Convert.ToHexStringLower(digest);
        Requester = requester;
        PolicyVersion = policyVersion;
        Nonce = nonce;
        ExpiresAt = StatementText.TruncateToSeconds(expiresAt);
    }

    /// <summary>The request id.</summary>
    public string RequestId { get; }

    /// <summary>Approve or deny.</summary>
    public ApprovalAction Action { get; }

    /// <summary>The key to sign with.</summary>
    public KeyName Key { get; }

    /// <summary>The digest algorithm.</summary>
    public DigestAlgorithm DigestAlgorithm { get; }

    /// <summary>The digest, lower-case hex.</summary>
    public string DigestHex { get; }

    /// <summary>The requester's identity (certificate subject).</summary>
    public string Requester { get; }

    /// <summary>The policy version the request is governed by.</summary>
    public long PolicyVersion { get; }

    /// <summary>The request's server nonce.</summary>
    public string Nonce { get; }

    /// <summary>When the signature over this statement stops being accepted (whole seconds, UTC).</summary>
    public DateTimeOffset ExpiresAt { get; }

    /// <summary>The SSHSIG namespace to sign with.</summary>
    public static string Namespace => SshNamespaces.Approval;

    /// <summary>The canonical text.</summary>
    public string ToText() => new StringBuilder()
        .Append(Header).Append('\n')
        .Append("request: ").Append(RequestId).Append('\n')
        .Append("action: ").Append(Action == ApprovalAction.Approve ? "approve" : "deny").Append('\n')
        .Append("key: ").Append(Key.Value).Append('\n')
        .Append("digest: ").Append(Algorithms.Name(DigestAlgorithm)).Append(':').Append(DigestHex).Append('\n')
        .Append("requester: ").Append(Requester).Append('\n')
        .Append("policy-version: ").Append(PolicyVersion.ToString(CultureInfo.InvariantCulture)).Append('\n')
        .Append("nonce: ").Append(Nonce).Append('\n')
        .Append("expires: ").Append(StatementText.FormatTimestamp(ExpiresAt)).Append('\n')
        .ToString();

    /// <summary>The canonical bytes officers sign (UTF-8 of <see cref="ToText"/>).</summary>
    public byte[] ToBytes() => Encoding.UTF8.GetBytes(ToText());

    /// <summary>The canonical text.</summary>
    public override string ToString() => ToText();

    /// <summary>
    /// Parses statement bytes. Succeeds only when the bytes are exactly the canonical encoding of the parsed
    /// values (so a parsed statement re-encodes to the same bytes).
    /// </summary>
    public static bool TryParse(ReadOnlySpan<byte> bytes, [NotNullWhen(true)] out ApprovalStatement? statement, [NotNullWhen(false)] out string? error)
    {
        statement = null;
        if (!StatementText.TrySplitLines(bytes, 9, out string[]? lines, out error))
        {
            return false;
        }

        if (lines[0] != Header)
        {
            error = $"line 1 must be '{Header}'";
            return false;
        }

        if (!StatementText.TryField(lines, 1, "request", out string? requestId, out error)
            || !StatementText.TryField(lines, 2, "action", out string? actionText, out error)
            || !StatementText.TryField(lines, 3, "key", out string? keyText, out error)
            || !StatementText.TryField(lines, 4, "digest", out string? digestText, out error)
            || !StatementText.TryField(lines, 5, "requester", out string? requester, out error)
            || !StatementText.TryField(lines, 6, "policy-version", out string? versionText, out error)
            || !StatementText.TryField(lines, 7, "nonce", out string? nonce, out error)
            || !StatementText.TryField(lines, 8, "expires", out string? expiresText, out error))
        {
            return false;
        }

        ApprovalAction action = actionText switch { "approve" => ApprovalAction.Approve, "deny" => ApprovalAction.Deny, _ => 0 };
        int colon = digestText.IndexOf(':');
        byte[]? digest = null;
        DigestAlgorithm algorithm = 0;
        bool digestOk = colon > 0 && Algorithms.TryParseDigest(digestText[..colon], out algorithm)
            && TryHex(digestText[(colon + 1)..], out digest) && digest.Length == Algorithms.DigestLength(algorithm);
        KeyName key = default;
        long version = 0;
        DateTimeOffset expires = default;
        if (!StatementText.IsValidId(requestId))
        {
            error = "the request id is not valid";
        }
        else if (action == 0)
        {
            error = "the action must be 'approve' or 'deny'";
        }
        else if (!KeyName.TryParse(keyText, out key))
        {
            error = "the key name is not valid";
        }
        else if (!digestOk)
        {
            error = "the digest must be '<algorithm>:<lower-case hex>' of the right length";
        }
        else if (!CallerIdentity.IsValidText(requester))
        {
            error = "the requester is not valid";
        }
        else if (!long.TryParse(versionText, NumberStyles.None, CultureInfo.InvariantCulture, out version) || version < 1)
        {
            error = "the policy version must be a positive integer";
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

        var parsed = new ApprovalStatement(requestId, action, key, algorithm, digest!, requester, version, nonce, expires);
        if (!parsed.ToBytes().AsSpan().SequenceEqual(bytes))
        {
            error = "the statement is not in canonical form";
            return false;
        }

        statement = parsed;
        return true;
    }

    /// <summary>
    /// Names the first field in which <paramref name="other"/> differs from this statement, or null when equal.
    /// Used to tell an officer precisely why a signed statement does not match the stored request.
    /// </summary>
    public string? FirstDifference(ApprovalStatement other)
    {
        string[] mine = ToText().Split('\n');
        string[] theirs = other.ToText().Split('\n');
        for (int i = 0; i < mine.Length; i++)
        {
            if (mine[i] != theirs[i])
            {
                int colon = mine[i].IndexOf(": ", StringComparison.Ordinal);
                string field = colon > 0 ? mine[i][..colon] : "header";
                return $"{field} is '{(colon > 0 ? theirs[i][Math.Min(colon + 2, theirs[i].Length)..] : theirs[i])}' but the request has '{(colon > 0 ? mine[i][(colon + 2)..] : mine[i])}'";
            }
        }

        return null;
    }

    private static bool TryHex(string text, [NotNullWhen(true)] out byte[]? bytes)
    {
        bytes = null;
        if (text.Length % 2 != 0 || text.Any(c => !(char.IsAsciiDigit(c) || c is >= 'a' and <= 'f')))
        {
            return false;
        }

        bytes = Convert.FromHexString(text);
        return true;
    }
}
