// SPDX-License-Identifier: Apache-2.0
using KeyCustody.Core;

namespace KeyCustody.Governance;

/// <summary>What a vote did to a request.</summary>
/// <param name="Record">The accepted vote.</param>
/// <param name="Before">The request's state before the vote.</param>
/// <param name="After">Its state after.</param>
public sealed record VoteResult(ApprovalRecord Record, SigningRequestState Before, SigningRequestState After)
{
    /// <summary>True when this vote completed the quorum.</summary>
    public bool QuorumReached => Before == SigningRequestState.AwaitingApprovals
        && After is SigningRequestState.AwaitingPresence or SigningRequestState.Approved;

    /// <summary>True when this vote denied the request.</summary>
    public bool Denied => After == SigningRequestState.Denied;
}

/// <summary>
/// Accepts officer approvals and denials for signing requests, enforcing every quorum rule. Each rejection is a
/// <see cref="CustodyException"/>; checks run in this order:
/// <list type="number">
/// <item>the request is not expired (Expired) and takes this kind of vote (WrongState);</item>
/// <item>the statement is a canonical approval statement (InvalidArgument) whose action is the one submitted (InvalidArgument);</item>
/// <item>the SSHSIG verifies over the statement bytes in namespace <c>keycustody-approval</c> (Unauthenticated);</item>
/// <item>the signing key is enrolled for an officer (Unauthenticated);</item>
/// <item>the statement names this request and its nonce, else it is a replay of another request's statement
///   (PermissionDenied), and matches the stored request byte for byte (InvalidArgument, naming the field);</item>
/// <item>the statement has not expired (Expired) and expires no later than the policy allows (InvalidArgument);</item>
/// <item>the same signature was not accepted before (PermissionDenied, replay);</item>
/// <item>for an approval, no officer holding the key owns the requester identity (PermissionDenied);</item>
/// <item>an officer holding the key is in the request's approver group now (PermissionDenied);</item>
/// <item>neither the key nor any officer holding it has a counting vote already (AlreadyExists): the same key
///   twice, two keys of one officer, or two officers sharing one key all count once.</item>
/// </list>
/// A requester may deny their own request (denial only ever stops a signature). Approvals count while their
/// statement is unexpired; denials never lapse. Stateless apart from the clock; not thread-safe by itself.
/// </summary>
public sealed class ApprovalProcessor
{
    private readonly TimeProvider _time;

    /// <summary>Creates a processor reading time from <paramref name="time"/>.</summary>
    public ApprovalProcessor(TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(time);
        _time = time;
    }

    /// <summary>
    /// Verifies and records one vote on <paramref name="request"/>.
    /// </summary>
    /// <param name="request">The stored request (mutated on success).</param>
    /// <param name="roster">The roster in force now.</param>
    /// <param name="action">What the caller asked for (the Approve or the Deny RPC).</param>
    /// <param name="statement">The statement bytes the officer signed.</param>
    /// <param name="armoredSignature">The <c>ssh-keygen -Y sign</c> output.</param>
    public VoteResult Submit(SigningRequest request, Roster roster, ApprovalAction action, ReadOnlySpan<byte> statement, string armoredSignature)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(roster);
        DateTimeOffset now = _time.GetUtcNow();
        string verb = action == ApprovalAction.Approve ? "approve" : "deny";

        request.ThrowIfExpired(now);
        if (!request.AcceptsVote(action))
        {
            throw request.NoMoreVotes(action);
        }

        if (!ApprovalStatement.TryParse(statement, out ApprovalStatement? signed, out string? statementError))
        {
            throw new CustodyException(CustodyStatus.InvalidArgument, $"Not a KeyCustody approval statement: {statementError}.");
        }

        if (signed.Action != action)
        {
            throw new CustodyException(CustodyStatus.InvalidArgument,
                $"The statement says '{(signed.Action == ApprovalAction.Approve ? "approve" : "deny")}' but was submitted to {verb}; sign the {verb} statement.");
        }

        VerifiedSshSignature verified = SshSignatureVerifier.Verify(statement, armoredSignature, SshNamespaces.Approval);
        SshPublicKey signer = verified.Signer;
        IReadOnlyList<Officer> holders = roster.FindOfficersByKey(signer);
        if (holders.Count == 0)
        {
            throw new CustodyException(CustodyStatus.Unauthenticated,
                $"The signing key {signer.Fingerprint} is not enrolled for any officer.");
        }

        string who = string.Join(", ", holders.Select(o => o.Name));
        if (signed.RequestId != request.Id || signed.Nonce != request.Nonce)
        {
            throw new CustodyException(CustodyStatus.PermissionDenied, signed.RequestId != request.Id
                ? $"Replay rejected: the statement was issued for request {signed.RequestId}, not {request.Id}."
                : $"Replay rejected: the statement's nonce is not the nonce of request {request.Id}.");
        }

        ApprovalStatement expected = request.StatementFor(action, signed.ExpiresAt);
        if (!expected.ToBytes().AsSpan().SequenceEqual(statement))
        {
            throw new CustodyException(CustodyStatus.InvalidArgument,
                $"The statement does not match request {request.Id}: {expected.FirstDifference(signed) ?? "the bytes differ"}. Fetch the statement again and sign it unchanged.");
        }

        if (signed.ExpiresAt <= now)
        {
            throw new CustodyException(CustodyStatus.Expired,
                $"The {verb} statement signed by {who} expired at {StatementText.FormatTimestamp(signed.ExpiresAt)}; fetch a fresh statement and sign it again.");
        }

        if (signed.ExpiresAt > request.ExpiresAt || signed.ExpiresAt > now + request.ApprovalValidity)
        {
            throw new CustodyException(CustodyStatus.InvalidArgument,
                $"The statement expires at {StatementText.FormatTimestamp(signed.ExpiresAt)}, later than policy v{request.PolicyVersion} allows for request {request.Id}; fetch the statement from the appliance instead of writing it.");
        }

        if (request.Votes.Any(v => v.SignatureSha256 == verified.Signature.BlobSha256))
        {
            throw new CustodyException(CustodyStatus.PermissionDenied,
                $"Replay rejected: this signature was already submitted for request {request.Id}.");
        }

        if (action == ApprovalAction.Approve)
        {
            Officer? owner = holders.FirstOrDefault(o => o.Owns(request.Requester));
            if (owner is not null)
            {
                throw new CustodyException(CustodyStatus.PermissionDenied,
                    $"Officer {owner.Name} owns the requesting identity '{request.Requester.Subject}' and cannot approve their own request {request.Id}.");
            }
        }

        string group = request.ApproverGroup!;
        Officer[] inGroup = holders.Where(o => o.IsInGroup(group)).ToArray();
        if (inGroup.Length == 0)
        {
            throw new CustodyException(CustodyStatus.PermissionDenied,
                $"Officer {who} is not in group \"{group}\", which policy v{request.PolicyVersion} of key '{request.Key}' requires.");
        }

        var holderNames = holders.Select(o => o.Name).ToHashSet(StringComparer.Ordinal);
        ApprovalRecord? previous = CountingVote(request, roster, holderNames, [signer.Fingerprint], now);
        if (previous is not null)
        {
            throw new CustodyException(CustodyStatus.AlreadyExists,
                previous.KeyFingerprint == signer.Fingerprint || previous.Officers.Any(holderNames.Contains)
                    ? $"Officer {previous.Officer} has already {(previous.Action == ApprovalAction.Approve ? "approved" : "denied")} request {request.Id}; each officer counts once."
                    : $"Key {signer.Fingerprint} is shared with officer {previous.Officer}, who has already voted on request {request.Id}; officers sharing a key count once.");
        }

        var record = new ApprovalRecord(
            action,
            inGroup.Select(o => o.Name).Order(StringComparer.Ordinal).ToArray(),
            signer.Fingerprint,
            now,
            signed.ExpiresAt,
            verified.Signature.BlobSha256,
            armoredSignature.Trim());
        SigningRequestState before = request.State;
        request.AddVote(record, now);
        return new VoteResult(record, before, request.State);
    }

    /// <summary>
    /// True when <paramref name="officer"/> may vote on <paramref name="request"/> now as far as who they are goes:
    /// the request is open and takes this kind of vote, the officer is in its approver group, does not own the
    /// requester identity (approvals only) and has no counting vote yet. The daemon uses it to filter
    /// <c>ListPendingRequests</c> for one officer; <see cref="Submit"/> still checks everything.
    /// </summary>
    public static bool MayVote(SigningRequest request, Officer officer, Roster roster, ApprovalAction action, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(officer);
        ArgumentNullException.ThrowIfNull(roster);
        if (request.IsTerminal || now >= request.ExpiresAt || !request.AcceptsVote(action) || !officer.IsInGroup(request.ApproverGroup!))
        {
            return false;
        }

        // Everyone who shares a key with the officer is the same voter for these rules.
        Officer[] holders = officer.Keys.SelectMany(roster.FindOfficersByKey).Append(officer).DistinctBy(o => o.Name).ToArray();
        if (action == ApprovalAction.Approve && holders.Any(o => o.Owns(request.Requester)))
        {
            return false;
        }

        var holderNames = holders.Select(o => o.Name).ToHashSet(StringComparer.Ordinal);
        return CountingVote(request, roster, holderNames, officer.Keys.Select(k => k.Fingerprint).ToArray(), now) is null;
    }

    // The vote already counting for the same voter: a denial or a live approval made with one of the keys, by one
    // of the holders, or by someone sharing a key with them.
    private static ApprovalRecord? CountingVote(SigningRequest request, Roster roster, HashSet<string> holderNames, string[] fingerprints, DateTimeOffset now) =>
        request.Votes.FirstOrDefault(v =>
            (v.Action == ApprovalAction.Deny || v.IsLiveApproval(now))
            && (fingerprints.Contains(v.KeyFingerprint) || v.Officers.Any(holderNames.Contains) || SharesAKey(roster, v, holderNames)));

    // A vote attributed to officers who, in today's roster, share any key with the new signer's holders also
    // counts as the same person: shared keys make identities indistinguishable.
    private static bool SharesAKey(Roster roster, ApprovalRecord vote, HashSet<string> holderNames) =>
        vote.Officers.Select(roster.FindOfficer).Where(o => o is not null)
            .SelectMany(o => o!.Keys)
            .Any(key => roster.FindOfficersByKey(key).Any(o => holderNames.Contains(o.Name)));
}
