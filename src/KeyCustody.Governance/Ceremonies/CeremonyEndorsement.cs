// SPDX-License-Identifier: Apache-2.0
namespace KeyCustody.Governance.Ceremonies;

/// <summary>One accepted custodian endorsement with its evidence (re-verifiable offline against the statement).</summary>
/// <param name="Custodian">The enrolled custodian the signing key belongs to.</param>
/// <param name="KeyFingerprint">The signing key's SHA256 fingerprint.</param>
/// <param name="At">When it was accepted.</param>
/// <param name="SignatureSha256">Lower-case hex SHA-256 of the SSHSIG blob.</param>
/// <param name="Signature">The armored SSHSIG as submitted.</param>
public sealed record CeremonyEndorsement(string Custodian, string KeyFingerprint, DateTimeOffset At, string SignatureSha256, string Signature);
