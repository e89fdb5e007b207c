// SPDX-License-Identifier: Apache-2.0
using KeyCustody.Core;

namespace KeyCustody.Governance.Ceremonies;

/// <summary>
/// Accepts custodian endorsements of ceremony proposals. Checks, in order, each a <see cref="CustodyException"/>:
/// <list type="number">
/// <item>the proposal has not expired (Expired; the proposal moves to Expired) and still takes endorsements (WrongState);</item>
/// <item>the bytes are the proposal's statement exactly (InvalidArgument), which fixes the id, kind, parameters, nonce and expiry;</item>
/// <item>the SSHSIG verifies over them in namespace <c>keycustody-ceremony</c> (Unauthenticated);</item>
/// <item>the signing key is enrolled for a custodian (PermissionDenied: officers and strangers cannot endorse);</item>
/// <item>no custodian holding that key has endorsed already (AlreadyExists): each custodian counts once, whatever key they use.</item>
/// </list>
/// </summary>
public sealed class EndorsementProcessor
{
    private readonly TimeProvider _time;

    /// <summary>Creates a processor reading time from <paramref name="time"/>.</summary>
    public EndorsementProcessor(TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(time);
        _time = time;
    }

    /// <summary>Verifies and records one endorsement on <paramref name="proposal"/> (mutated on success).</summary>
    /// <returns>The accepted endorsement.</returns>
    public CeremonyEndorsement Endorse(CeremonyProposal proposal, Roster roster, ReadOnlySpan<byte> statement, string armoredSignature)
    {
        ArgumentNullException.ThrowIfNull(proposal);
        ArgumentNullException.ThrowIfNull(roster);
        DateTimeOffset now = _time.GetUtcNow();
        proposal.ThrowIfExpired(now);
        if (proposal.State != CeremonyState.AwaitingEndorsements)
        {
            throw new CustodyException(CustodyStatus.WrongState,
                $"Ceremony {proposal.Id} is {CeremonyProposal.Name(proposal.State)} and takes no more endorsements.");
        }

        if (!proposal.Statement.ToBytes().AsSpan().SequenceEqual(statement))
        {
            string why = CeremonyStatement.TryParse(statement, out CeremonyStatement? other, out string? error)
                ? other.CeremonyId != proposal.Id ? $"it is the statement of ceremony {other.CeremonyId}" : "its fields differ from the proposal"
                : $"it is not a ceremony statement ({error})";
            throw new CustodyException(CustodyStatus.InvalidArgument,
                $"The signed statement is not the statement of ceremony {proposal.Id}: {why}. Fetch it with `keycustody ceremony show {proposal.Id}` and sign it unchanged.");
        }

        if (string.IsNullOrWhiteSpace(armoredSignature))
        {
            throw new CustodyException(CustodyStatus.InvalidArgument,
                "The SSH signature is empty: pass the armored output of `ssh-keygen -Y sign -n keycustody-ceremony`.");
        }

        VerifiedSshSignature verified = SshSignatureVerifier.Verify(statement, armoredSignature, SshNamespaces.Ceremony);
        IReadOnlyList<Custodian> holders = roster.FindCustodiansByKey(verified.Signer);
        if (holders.Count == 0)
        {
            throw new CustodyException(CustodyStatus.PermissionDenied,
                $"The signing key {verified.Signer.Fingerprint} is not enrolled for any custodian; only custodians endorse ceremonies.");
        }

        var names = holders.Select(c => c.Name).ToHashSet(StringComparer.Ordinal);
        CeremonyEndorsement? previous = proposal.Endorsements.FirstOrDefault(e =>
            names.Contains(e.Custodian) || e.KeyFingerprint == verified.Signer.Fingerprint);
        if (previous is not null)
        {
            throw new CustodyException(CustodyStatus.AlreadyExists,
                $"Custodian {previous.Custodian} has already endorsed ceremony {proposal.Id}; each custodian counts once.");
        }

        var endorsement = new CeremonyEndorsement(holders.Select(c => c.Name).Order(StringComparer.Ordinal).First(), verified.Signer.Fingerprint,
            now, verified.Signature.BlobSha256, armoredSignature.Trim());
        proposal.AddEndorsement(endorsement);
        return endorsement;
    }
}
