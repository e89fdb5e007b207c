// SPDX-License-Identifier: Apache-2.0
namespace KeyCustody.Core;

/// <summary>
/// The closed set of outcomes KeyCustody reports. Values are stable: they are stored in audit entries and
/// carried in gRPC trailers (<c>keycustody-status</c>), so a value is never renumbered or reused.
/// The edge maps each one to a gRPC code (see the daemon's status table).
/// </summary>
public enum CustodyStatus
{
    /// <summary>The operation succeeded.</summary>
    Ok = 0,
    /// <summary>The request is malformed: a field is missing, out of range or unparsable.</summary>
    InvalidArgument = 1,
    /// <summary>The named key, request, proposal or entry does not exist.</summary>
    NotFound = 2,
    /// <summary>The thing being created exists already.</summary>
    AlreadyExists = 3,
    /// <summary>The caller presented no identity, or one that does not verify.</summary>
    Unauthenticated = 4,
    /// <summary>The caller is known, but policy does not allow this operation.</summary>
    PermissionDenied = 5,
    /// <summary>The request was denied by an officer or by a long press of the button.</summary>
    Denied = 6,
    /// <summary>The request still needs officer approvals before it can be signed.</summary>
    ApprovalsMissing = 7,
    /// <summary>The request still needs a press of the presence button.</summary>
    PresenceMissing = 8,
    /// <summary>The key is not active (retiring past its grace period, retired, revoked or frozen).</summary>
    KeyNotActive = 9,
    /// <summary>The appliance has not been provisioned (no genesis) or the backing device is not set up.</summary>
    NotProvisioned = 10,
    /// <summary>An approval, proposal or request has expired.</summary>
    Expired = 11,
    /// <summary>A rate limit or the maximum number of pending requests was reached.</summary>
    RateLimited = 12,
    /// <summary>A message exceeds the configured size limit.</summary>
    MessageTooLarge = 13,
    /// <summary>The HSM is not reachable (removed, session lost, module failure); retrying later may succeed.</summary>
    HsmUnavailable = 14,
    /// <summary>The TPM is not reachable; retrying later may succeed.</summary>
    TpmUnavailable = 15,
    /// <summary>The audit log cannot be written durably; nothing is signed until it can.</summary>
    AuditUnavailable = 16,
    /// <summary>The audit log is corrupt or its checkpoints do not verify.</summary>
    AuditCorrupt = 17,
    /// <summary>The audit log is behind what the TPM counter proves was published (rollback).</summary>
    AuditRolledBack = 18,
    /// <summary>The measured boot state differs from the one the secret was sealed to.</summary>
    BootStateChanged = 19,
    /// <summary>The HSM PIN was rejected.</summary>
    PinIncorrect = 20,
    /// <summary>The HSM PIN is locked after too many wrong attempts.</summary>
    PinLocked = 21,
    /// <summary>A device produced a result that failed verification (for example an invalid signature).</summary>
    DeviceFault = 22,
    /// <summary>The TPM is in dictionary-attack lockout.</summary>
    TpmLockout = 23,
    /// <summary>The operation was cancelled by its caller.</summary>
    Cancelled = 24,
    /// <summary>An operation is not valid in the current state (for example approving a completed request).</summary>
    WrongState = 25,
    /// <summary>This operation or algorithm is not supported by the device or this build.</summary>
    Unsupported = 26,
    /// <summary>Anything else; details are logged, never returned.</summary>
    Internal = 27,
}
