// SPDX-License-Identifier: Apache-2.0
using System.Text;

namespace KeyCustody.Governance.Ceremonies;

/// <summary>
/// The statement the appliance publishes when a key is revoked, signed by its audit key (ECDSA P-256 over the
/// SHA-256 of these bytes, so <c>openssl dgst -sha256 -verify audit.pem -signature sig statement</c> checks it).
/// UTF-8, LF line endings, one trailing LF:
/// <code>
/// keycustody-revocation-v1
/// key: release
/// spki-sha256: 3f…
/// effective: 2025-03-01T12:00:00Z
/// ceremony: cer-…
/// reason: key material exposed
/// </code>
/// Signatures the key made at or after <c>effective</c> must not be trusted. A later revocation of the same key may
/// only move <c>effective</c> earlier.
/// </summary>
/// <param name="Key">The revoked key.</param>
/// <param name="SpkiSha256">Lower-case hex SHA-256 of the key's DER SubjectPublicKeyInfo.</param>
/// <param name="EffectiveAt">From when the key's signatures are void (whole seconds, may be in the past).</param>
/// <param name="CeremonyId">The ceremony that revoked it.</param>
/// <param name="Reason">One line of text.</param>
public sealed record RevocationStatement(string Key, string SpkiSha256, DateTimeOffset EffectiveAt, string CeremonyId, string Reason)
{
    /// <summary>The first line.</summary>
    public const string Header = "keycustody-revocation-v1";

    /// <summary>The canonical bytes.</summary>
    public byte[] ToBytes() => Encoding.UTF8.GetBytes(new StringBuilder()
        .Append(Header).Append('\n')
        .Append("key: ").Append(Key).Append('\n')
        .Append("spki-sha256: ").Append(SpkiSha256).Append('\n')
        .Append("effective: ").Append(StatementText.FormatTimestamp(EffectiveAt)).Append('\n')
        .Append("ceremony: ").Append(CeremonyId).Append('\n')
        .Append("reason: ").Append(Reason.ReplaceLineEndings(" ")).Append('\n')
        .ToString());
}
