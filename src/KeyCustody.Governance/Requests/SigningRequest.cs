// SPDX-License-Identifier: Apache-2.0
using KeyCustody.Core;

namespace KeyCustody.Governance;

/// <summary>
/// A signing request and its state machine:
/// <code>
/// AwaitingApprovals ──quorum──▶ AwaitingPresence ⇄ PresenceActive ──short press──▶ Approved ──▶ Signed
///        │ (no presence needed) ─────────────────────────────────────────────────▶ Approved     │
///        └── denials / long press ──▶ Denied;  expiry ──▶ Expired;  requester ──▶ Cancelled;   └─▶ Failed
/// </code>
/// A request copies what governs it from the policy version in force when it was submitted (quorum, group,
/// validity, presence, expiry), so a later policy change never alters a pending request.
/// Votes are recorded through <see cref="ApprovalProcessor"/>, presence transitions through
/// <see cref="PresenceCoordinator"/>; this type keeps the invariants. Not thread-safe: the daemon serialises
/// access (one lock around governance state).
/// </summary>
public sealed class SigningRequest
{
    private readonly List<ApprovalRecord> _votes;
    private readonly byte[] _digest;

    private SigningRequest(SigningRequestSnapshot s, byte[] digest, CallerIdentity requester, KeyName key)
    {
        Id = s.Id;
        Key = key;
        DigestAlgorithm = s.DigestAlgorithm;
        _digest = digest;
        Requester = requester;
        PolicyVersion = s.PolicyVersion;
        ApprovalsRequired = s.ApprovalsRequired;
        ApproverGroup = s.ApproverGroup;
        ApprovalValidity = s.ApprovalValidity;
        DenialsToReject = s.DenialsToReject;
        PresenceRequired = s.PresenceRequired;
        PresenceWindow = s.PresenceWindow;
        Nonce = s.Nonce;
        CreatedAt = s.CreatedAt;
        ExpiresAt = s.ExpiresAt;
        State = s.State;
        StateReason = s.StateReason;
        QuorumReachedAt = s.QuorumReachedAt;
        PresenceDeadline = s.PresenceDeadline;
        CompletedAt = s.CompletedAt;
        _votes = [.. s.Votes];
        PresenceCode = Governance.PresenceCode.Derive(Id, Nonce);
    }

    /// <summary>The request id.</summary>
    public string Id { get; }

    /// <summary>The key to sign with.</summary>
    public KeyName Key { get; }

    /// <summary>The digest algorithm.</summary>
    public DigestAlgorithm DigestAlgorithm { get; }

    /// <summary>The digest to sign.</summary>
    public ReadOnlyMemory<byte> Digest => _digest;

    /// <summary>Who submitted the request.</summary>
    public CallerIdentity Requester { get; }

    /// <summary>The policy version that governs the request.</summary>
    public long PolicyVersion { get; }

    /// <summary>M: distinct live approvals needed (0 = none).</summary>
    public int ApprovalsRequired { get; }

    /// <summary>G: the officer group that may vote; null when no approvals are needed.</summary>
    public string? ApproverGroup { get; }

    /// <summary>How long an issued statement (and so an approval) stays valid.</summary>
    public TimeSpan ApprovalValidity { get; }

    /// <summary>Denials that end the request.</summary>
    public int DenialsToReject { get; }

    /// <summary>True when a button press is needed after quorum.</summary>
    public bool PresenceRequired { get; }

    /// <summary>How long the request owns the button each time it gets it.</summary>
    public TimeSpan PresenceWindow { get; }

    /// <summary>The server nonce bound into every statement for this request.</summary>
    public string Nonce { get; }

    /// <summary>When the request was submitted.</summary>
    public DateTimeOffset CreatedAt { get; }

    /// <summary>When it expires unless completed.</summary>
    public DateTimeOffset ExpiresAt { get; }

    /// <summary>The current state.</summary>
    public SigningRequestState State { get; private set; }

    /// <summary>Why the request is Denied, Expired, Cancelled or Failed (human-readable); otherwise null.</summary>
    public string? StateReason { get; private set; }

    /// <summary>Every accepted vote, in order (lapsed approvals included, marked by their expiry).</summary>
    public IReadOnlyList<ApprovalRecord> Votes => _votes;

    /// <summary>When quorum was reached; null before.</summary>
    public DateTimeOffset? QuorumReachedAt { get; private set; }

    /// <summary>While <see cref="SigningRequestState.PresenceActive"/>, when the button is taken away again.</summary>
    public DateTimeOffset? PresenceDeadline { get; private set; }

    /// <summary>When the request reached Approved or a terminal state.</summary>
    public DateTimeOffset? CompletedAt { get; private set; }

    /// <summary>The short code shown on the box and in <c>keycustody pending</c> while the request owns the button.</summary>
    public string PresenceCode { get; }

    /// <summary>True when Signed, Denied, Expired, Cancelled or Failed.</summary>
    public bool IsTerminal => State.IsTerminal();

    /// <summary>True while the request still counts against the policy's <c>maxPending</c> (not terminal).</summary>
    public bool IsPending => !IsTerminal;

    /// <summary>True while the request owns the presence button.</summary>
    public bool OwnsButton => State == SigningRequestState.PresenceActive;

    /// <summary>The digest as lower-case hex.</summary>
    public string DigestHex => Convert.ToHexStringLower(_digest);

    /// <summary>
    /// Creates a request that passed <see cref="SubmissionPolicy.Enforce"/>. It starts in AwaitingApprovals, or
    /// AwaitingPresence when no approvals are needed, or Approved when the policy needs neither.
    /// The daemon supplies a unique <paramref name="id"/> and a fresh <paramref name="nonce"/>
    /// (<see cref="StatementText.NewNonce"/>) and must store nonces uniquely.
    /// </summary>
    public static SigningRequest Create(string id, KeyPolicy policy, CallerIdentity requester, DigestAlgorithm digestAlgorithm,
        ReadOnlySpan<byte> digest, string nonce, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(requester);
        if (digest.Length != Algorithms.DigestLength(digestAlgorithm))
        {
            throw new CustodyException(CustodyStatus.InvalidArgument,
                $"A {Algorithms.Name(digestAlgorithm)} digest is {Algorithms.DigestLength(digestAlgorithm)} bytes, but {digest.Length} were sent.");
        }

        SigningRequestState state = policy.Approvals.Required > 0 ? SigningRequestState.AwaitingApprovals
            : policy.Presence.Required ? SigningRequestState.AwaitingPresence
            : SigningRequestState.Approved;
        var snapshot = new SigningRequestSnapshot
        {
            Id = id,
            Key = policy.Key.Value,
            DigestAlgorithm = digestAlgorithm,
            Digest = Convert.ToHexStringLower(digest),
            RequesterSubject = requester.Subject,
            RequesterSans = [.. requester.SubjectAlternativeNames],
            PolicyVersion = policy.Version,
            ApprovalsRequired = policy.Approvals.Required,
            ApproverGroup = policy.Approvals.Group,
            ApprovalValidity = policy.Approvals.Validity,
            DenialsToReject = policy.Approvals.DenialsToReject,
            PresenceRequired = policy.Presence.Required,
            PresenceWindow = policy.Presence.Window,
            Nonce = nonce,
            CreatedAt = now,
            ExpiresAt = now + policy.RequestExpiry,
            State = state,
            QuorumReachedAt = policy.Approvals.Required == 0 ? now : null,
            CompletedAt = state == SigningRequestState.Approved ? now : null,
        };
        return FromSnapshot(snapshot);
    }

    /// <summary>Live approvals at <paramref name="now"/> (distinct officers by construction).</summary>
    public int LiveApprovals(DateTimeOffset now) => _votes.Count(v => v.IsLiveApproval(now));

    /// <summary>Denials recorded.</summary>
    public int Denials => _votes.Count(v => v.Action == ApprovalAction.Deny);

    /// <summary>
    /// The statement an officer signs now to approve or deny: bound to this request's fields and nonce, expiring
    /// after the approval validity or with the request, whichever is first. Throws Expired when the request has
    /// expired (and moves it to Expired), WrongState when it takes no more votes.
    /// </summary>
    public ApprovalStatement CreateStatement(ApprovalAction action, DateTimeOffset now)
    {
        ThrowIfExpired(now);
        if (!AcceptsVote(action))
        {
            throw NoMoreVotes(action);
        }

        DateTimeOffset expires = now + ApprovalValidity < ExpiresAt ? now + ApprovalValidity : ExpiresAt;
        return StatementFor(action, expires);
    }

    /// <summary>The statement for this request with the given action and expiry (used to check submitted bytes).</summary>
    public ApprovalStatement StatementFor(ApprovalAction action, DateTimeOffset expiresAt) =>
        new(Id, action, Key, DigestAlgorithm, _digest, Requester.Subject, PolicyVersion, Nonce, expiresAt);

    /// <summary>Moves a non-terminal request past its expiry to Expired. Returns true when it did.</summary>
    public bool ExpireIfDue(DateTimeOffset now)
    {
        if (IsTerminal || now < ExpiresAt)
        {
            return false;
        }

        Complete(SigningRequestState.Expired, $"expired at {StatementText.FormatTimestamp(ExpiresAt)} before it was completed", now);
        return true;
    }

    /// <summary>Cancels the request (its requester asked). WrongState once Approved or terminal.</summary>
    public void Cancel(string reason, DateTimeOffset now)
    {
        ThrowIfExpired(now);
        if (IsTerminal || State == SigningRequestState.Approved)
        {
            throw new CustodyException(CustodyStatus.WrongState, $"Request {Id} is {State.Name()} and can no longer be cancelled.");
        }

        Complete(SigningRequestState.Cancelled, string.IsNullOrWhiteSpace(reason) ? "cancelled by the requester" : reason, now);
    }

    /// <summary>Records that the HSM signature was made, verified and audited. Only from Approved.</summary>
    public void MarkSigned(DateTimeOffset now)
    {
        if (State != SigningRequestState.Approved)
        {
            throw new CustodyException(CustodyStatus.WrongState, State switch
            {
                SigningRequestState.AwaitingApprovals => $"Request {Id} still needs {ApprovalsRequired - LiveApprovals(now)} more approval(s) from group \"{ApproverGroup}\".",
                SigningRequestState.AwaitingPresence or SigningRequestState.PresenceActive => $"Request {Id} still needs a press of the presence button.",
                _ => $"Request {Id} is {State.Name()} and cannot be signed.",
            });
        }

        State = SigningRequestState.Signed;
        StateReason = null;
        CompletedAt = now;
    }

    /// <summary>Records that signing failed; terminal. Allowed from any non-terminal state.</summary>
    public void MarkFailed(string reason, DateTimeOffset now)
    {
        if (IsTerminal)
        {
            throw new CustodyException(CustodyStatus.WrongState, $"Request {Id} is already {State.Name()}.");
        }

        Complete(SigningRequestState.Failed, reason, now);
    }

    /// <summary>A value copy of the whole request for persistence.</summary>
    public SigningRequestSnapshot ToSnapshot() => new()
    {
        Id = Id,
        Key = Key.Value,
        DigestAlgorithm = DigestAlgorithm,
        Digest = DigestHex,
        RequesterSubject = Requester.Subject,
        RequesterSans = [.. Requester.SubjectAlternativeNames],
        PolicyVersion = PolicyVersion,
        ApprovalsRequired = ApprovalsRequired,
        ApproverGroup = ApproverGroup,
        ApprovalValidity = ApprovalValidity,
        DenialsToReject = DenialsToReject,
        PresenceRequired = PresenceRequired,
        PresenceWindow = PresenceWindow,
        Nonce = Nonce,
        CreatedAt = CreatedAt,
        ExpiresAt = ExpiresAt,
        State = State,
        StateReason = StateReason,
        QuorumReachedAt = QuorumReachedAt,
        PresenceDeadline = PresenceDeadline,
        CompletedAt = CompletedAt,
        Votes = [.. _votes],
    };

    /// <summary>Rebuilds a request from a snapshot; throws InvalidArgument when the snapshot is inconsistent.</summary>
    public static SigningRequest FromSnapshot(SigningRequestSnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        string? problem = snapshot.Validate(out byte[]? digest, out CallerIdentity? requester, out KeyName key);
        if (problem is not null)
        {
            throw new CustodyException(CustodyStatus.InvalidArgument, $"Signing request '{snapshot.Id}' is not valid: {problem}.");
        }

        return new SigningRequest(snapshot, digest!, requester!, key);
    }

    /// <summary>E.g. <c>request req-1 for release (awaiting-approvals)</c>.</summary>
    public override string ToString() => $"request {Id} for {Key} ({State.Name()})";

    // Without an approver group nobody may vote: such a request is stopped by a long press or a cancel.
    // Denials stay possible until the button confirms, so an officer can still stop a request in the queue.
    internal bool AcceptsVote(ApprovalAction action) =>
        ApprovalsRequired > 0 && (action == ApprovalAction.Approve
            ? State == SigningRequestState.AwaitingApprovals
            : State is SigningRequestState.AwaitingApprovals or SigningRequestState.AwaitingPresence or SigningRequestState.PresenceActive);

    internal CustodyException NoMoreVotes(ApprovalAction action) => new(CustodyStatus.WrongState,
        State switch
        {
            _ when ApprovalsRequired == 0 => $"Request {Id} needs no officer approvals (policy v{PolicyVersion}).",
            SigningRequestState.AwaitingPresence or SigningRequestState.PresenceActive when action == ApprovalAction.Approve =>
                $"Request {Id} already has its approvals and awaits the presence button; it takes no more approvals.",
            _ => $"Request {Id} is {State.Name()}{(StateReason is null ? string.Empty : $" ({StateReason})")} and takes no more {(action == ApprovalAction.Approve ? "approvals" : "denials")}.",
        });

    internal void ThrowIfExpired(DateTimeOffset now)
    {
        if (ExpireIfDue(now) || State == SigningRequestState.Expired)
        {
            throw new CustodyException(CustodyStatus.Expired, $"Request {Id} {StateReason}.");
        }
    }

    /// <summary>Adds a vote that passed every rule and advances the state. Called only by <see cref="ApprovalProcessor"/>.</summary>
    internal void AddVote(ApprovalRecord vote, DateTimeOffset now)
    {
        _votes.Add(vote);
        if (vote.Action == ApprovalAction.Deny)
        {
            if (Denials >= DenialsToReject)
            {
                string officers = string.Join(", ", _votes.Where(v => v.Action == ApprovalAction.Deny).Select(v => v.Officer));
                Complete(SigningRequestState.Denied, $"denied by {officers}", now);
            }

            return;
        }

        if (LiveApprovals(now) >= ApprovalsRequired)
        {
            QuorumReachedAt = now;
            if (PresenceRequired)
            {
                State = SigningRequestState.AwaitingPresence;
            }
            else
            {
                State = SigningRequestState.Approved;
                CompletedAt = now;
            }
        }
    }

    internal void ActivatePresence(DateTimeOffset now)
    {
        RequireState(SigningRequestState.AwaitingPresence);
        State = SigningRequestState.PresenceActive;
        PresenceDeadline = now + PresenceWindow;
    }

    internal void ReturnToPresenceQueue()
    {
        RequireState(SigningRequestState.PresenceActive);
        State = SigningRequestState.AwaitingPresence;
        PresenceDeadline = null;
    }

    internal void ConfirmPresence(DateTimeOffset now)
    {
        RequireState(SigningRequestState.PresenceActive);
        State = SigningRequestState.Approved;
        PresenceDeadline = null;
        CompletedAt = now;
    }

    internal void DenyByPresence(DateTimeOffset now)
    {
        RequireState(SigningRequestState.PresenceActive);
        Complete(SigningRequestState.Denied, "denied by a long press of the presence button", now);
    }

    private void RequireState(SigningRequestState expected)
    {
        if (State != expected)
        {
            throw new InvalidOperationException($"Request {Id} is {State.Name()}, not {expected.Name()}.");
        }
    }

    private void Complete(SigningRequestState state, string reason, DateTimeOffset now)
    {
        State = state;
        StateReason = reason;
        PresenceDeadline = null;
        CompletedAt = now;
    }
}
