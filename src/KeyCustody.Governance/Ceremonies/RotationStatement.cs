// SPDX-License-Identifier: Apache-2.0
using System.Text;

namespace KeyCustody.Governance.Ceremonies;

/// <summary>
/// The statement that links a key to its successor, signed by BOTH keys (each signature over these exact bytes,
/// SHA-256 for ECDSA and RSA, the bytes themselves for Ed25519), so a consumer who trusts the old key can follow the
/// chain to the new one, as TUF does for root rotation. UTF-8, LF line endings, one trailing LF:
/// <code>
/// keycustody-rotation-v1
/// old-key: release
/// old-spki-sha256: 3f…
/// new-key: release-2
/// new-spki-sha256: 9a…
/// ceremony: cer-…
/// old-key-signs-until: 2025-03-01T12:00:00Z
/// </code>
/// </summary>
/// <param name="OldKey">The key being replaced.</param>
/// <param name="OldSpkiSha256">Hex SHA-256 of its DER SubjectPublicKeyInfo.</param>
/// <param name="NewKey">The successor.</param>
/// <param name="NewSpkiSha256">Hex SHA-256 of the successor's DER SubjectPublicKeyInfo.</param>
/// <param name="CeremonyId">The rotation ceremony.</param>
/// <param name="OldKeySignsUntil">End of the old key's grace period (whole seconds).</param>
public sealed record RotationStatement(string OldKey, string OldSpkiSha256, string NewKey, string NewSpkiSha256, string CeremonyId, DateTimeOffset OldKeySignsUntil)
{
    /// <summary>The first line.</summary>
    public const string Header = "keycustody-rotation-v1";

    /// <summary>The canonical bytes both keys sign.</summary>
    public byte[] ToBytes() => Encoding.UTF8.GetBytes(new StringBuilder()
        .Append(Header).Append('\n')
        .Append("old-key: ").Append(OldKey).Append('\n')
        .Append("old-spki-sha256: ").Append(OldSpkiSha256).Append('\n')
        .Append("new-key: ").Append(NewKey).Append('\n')
        .Append("new-spki-sha256: ").Append(NewSpkiSha256).Append('\n')
        .Append("ceremony: ").Append(CeremonyId).Append('\n')
        .Append("old-key-signs-until: ").Append(StatementText.FormatTimestamp(OldKeySignsUntil)).Append('\n')
        .ToString());
}
