// SPDX-License-Identifier: Apache-2.0
namespace KeyCustody.Governance;

/// <summary>
/// Where a signing request is. Values 1–8 equal the proto's <c>SigningRequestState</c> numbers;
/// <see cref="Approved"/> has no proto counterpart (see its remarks).
/// </summary>
public enum SigningRequestState
{
    /// <summary>Waiting for M distinct officer approvals.</summary>
    AwaitingApprovals = 1,
    /// <summary>Quorum met; queued for the presence button.</summary>
    AwaitingPresence = 2,
    /// <summary>Owns the button now: a short press confirms, a long press denies.</summary>
    PresenceActive = 3,
    /// <summary>Signed; terminal.</summary>
    Signed = 4,
    /// <summary>Denied by officers or by a long press; terminal.</summary>
    Denied = 5,
    /// <summary>Not completed before its expiry; terminal.</summary>
    Expired = 6,
    /// <summary>Cancelled by its requester; terminal.</summary>
    Cancelled = 7,
    /// <summary>Signing failed (HSM error, audit unavailable); terminal.</summary>
    Failed = 8,
    /// <summary>
    /// Every requirement is met (quorum, presence); the daemon signs now and moves the request to
    /// <see cref="Signed"/> or <see cref="Failed"/>. Persisted so a restart finds requests it had cleared but not
    /// yet signed. The v1 proto has no such value: until it gains one, report it as PRESENCE_ACTIVE when presence
    /// was required and as AWAITING_APPROVALS otherwise (the request is moments from SIGNED either way).
    /// </summary>
    Approved = 9,
}

/// <summary>Helpers over <see cref="SigningRequestState"/>.</summary>
public static class SigningRequestStates
{
    /// <summary>True for Signed, Denied, Expired, Cancelled and Failed.</summary>
    public static bool IsTerminal(this SigningRequestState state) =>
        state is SigningRequestState.Signed or SigningRequestState.Denied or SigningRequestState.Expired
            or SigningRequestState.Cancelled or SigningRequestState.Failed;

    /// <summary>The stable lower-case name used in messages and audit entries, e.g. <c>awaiting-approvals</c>.</summary>
    public static string Name(this SigningRequestState state) => state switch
    {
        SigningRequestState.AwaitingApprovals => "awaiting-approvals",
        SigningRequestState.AwaitingPresence => "awaiting-presence",
        SigningRequestState.PresenceActive => "presence-active",
        SigningRequestState.Approved => "approved",
        SigningRequestState.Signed => "signed",
        SigningRequestState.Denied => "denied",
        SigningRequestState.Expired => "expired",
        SigningRequestState.Cancelled => "cancelled",
        SigningRequestState.Failed => "failed",
        _ => throw new ArgumentOutOfRangeException(nameof(state)),
    };
}
