// SPDX-License-Identifier: Apache-2.0
using KeyCustody.Core;
using KeyCustody.Grpc;

namespace KeyCustody.Daemon.Edge;

/// <summary>
/// The one table from the domain's <see cref="CustodyStatus"/> to a gRPC status code, applied at the edge only
/// (ARCHITECTURE.md "Error model"). Every caller-visible failure also carries the status name in the
/// <c>keycustody-status</c> trailer so clients can tell, say, ApprovalsMissing from PresenceMissing.
/// </summary>
public static class StatusTable
{
    /// <summary>The trailer that carries the <see cref="CustodyStatus"/> name.</summary>
    public const string StatusTrailer = "keycustody-status";

    /// <summary>The trailer that carries the reason the appliance is not serving.</summary>
    public const string ReasonTrailer = "keycustody-reason";

    /// <summary>The gRPC code for <paramref name="status"/>.</summary>
    public static StatusCode ToStatusCode(CustodyStatus status) => status switch
    {
        CustodyStatus.Ok => StatusCode.OK,
        CustodyStatus.InvalidArgument => StatusCode.InvalidArgument,
        CustodyStatus.NotFound => StatusCode.NotFound,
        CustodyStatus.AlreadyExists => StatusCode.AlreadyExists,
        CustodyStatus.Unauthenticated => StatusCode.Unauthenticated,
        CustodyStatus.PermissionDenied => StatusCode.PermissionDenied,
        CustodyStatus.Denied => StatusCode.PermissionDenied,
        CustodyStatus.ApprovalsMissing => StatusCode.FailedPrecondition,
        CustodyStatus.PresenceMissing => StatusCode.FailedPrecondition,
        CustodyStatus.KeyNotActive => StatusCode.FailedPrecondition,
        CustodyStatus.NotProvisioned => StatusCode.FailedPrecondition,
        CustodyStatus.Expired => StatusCode.Aborted,
        CustodyStatus.RateLimited => StatusCode.ResourceExhausted,
        CustodyStatus.MessageTooLarge => StatusCode.ResourceExhausted,
        CustodyStatus.HsmUnavailable => StatusCode.Unavailable,
        CustodyStatus.TpmUnavailable => StatusCode.Unavailable,
        CustodyStatus.AuditUnavailable => StatusCode.Unavailable,
        CustodyStatus.AuditCorrupt => StatusCode.DataLoss,
        CustodyStatus.AuditRolledBack => StatusCode.DataLoss,
        // The boot state, the PIN and the TPM's lockout are not something a retry fixes: custodians must act.
        CustodyStatus.BootStateChanged => StatusCode.FailedPrecondition,
        CustodyStatus.PinIncorrect => StatusCode.FailedPrecondition,
        CustodyStatus.PinLocked => StatusCode.FailedPrecondition,
        CustodyStatus.TpmLockout => StatusCode.Unavailable,
        CustodyStatus.DeviceFault => StatusCode.Internal,
        CustodyStatus.Cancelled => StatusCode.Cancelled,
        CustodyStatus.WrongState => StatusCode.FailedPrecondition,
        CustodyStatus.Unsupported => StatusCode.Unimplemented,
        CustodyStatus.Internal => StatusCode.Internal,
        _ => StatusCode.Internal,
    };

    /// <summary>The message an unexpected failure shows the caller; the detail goes to the log under <paramref name="reference"/>.</summary>
    public static string GenericInternalMessage(string reference) =>
        $"Internal error; the appliance log has the details under reference {reference}.";

    /// <summary>
    /// Turns a domain exception into the <see cref="RpcException"/> the transport writes. CustodyException
    /// messages are caller-safe by contract, except for <see cref="CustodyStatus.Internal"/>, whose text is
    /// replaced by the generic message.
    /// </summary>
    public static RpcException ToRpcException(CustodyException exception, string reference)
    {
        var trailers = new Metadata().Add(StatusTrailer, exception.Status.ToString());
        string detail = exception.Status == CustodyStatus.Internal ? GenericInternalMessage(reference) : exception.Message;
        return new RpcException(ToStatusCode(exception.Status), detail, trailers);
    }
}
