// SPDX-License-Identifier: Apache-2.0
namespace KeyCustody.Governance;

/// <summary>
/// One accepted approval or denial, with the evidence that proves it (the armored SSHSIG over the statement,
/// which can be re-verified offline by rebuilding the statement from the request and <see cref="StatementExpiresAt"/>).
/// </summary>
/// <param name="Action">Approve or deny.</param>
/// <param name="Officers">The enrolled officer(s) in the approver group holding the signing key, sorted; more than one only for a shared key.</param>
/// <param name="KeyFingerprint">The signing key's fingerprint.</param>
/// <param name="At">When the vote was accepted.</param>
/// <param name="StatementExpiresAt">The signed statement's expiry; an approval counts toward quorum until then.</param>
/// <param name="SignatureSha256">Lower-case hex SHA-256 of the SSHSIG blob (replay detection).</param>
/// <param name="Signature">The armored SSHSIG as submitted.</param>
public sealed record ApprovalRecord(
    ApprovalAction Action,
    IReadOnlyList<string> Officers,
    string KeyFingerprint,
    DateTimeOffset At,
    DateTimeOffset StatementExpiresAt,
    string SignatureSha256,
    string Signature)
{
    /// <summary>The officer the vote is attributed to (the first name when the key is shared).</summary>
    public string Officer => Officers[0];

    /// <summary>True for an approval whose statement has not expired at <paramref name="now"/>.</summary>
    public bool IsLiveApproval(DateTimeOffset now) => Action == ApprovalAction.Approve && StatementExpiresAt > now;

    /// <inheritdoc />
    public bool Equals(ApprovalRecord? other) =>
        other is not null && Action == other.Action && Officers.SequenceEqual(other.Officers) && KeyFingerprint == other.KeyFingerprint
        && At == other.At && StatementExpiresAt == other.StatementExpiresAt && SignatureSha256 == other.SignatureSha256 && Signature == other.Signature;

    /// <inheritdoc />
    public override int GetHashCode() => StringComparer.Ordinal.GetHashCode(SignatureSha256);
}
