// SPDX-License-Identifier: Apache-2.0
using KeyCustody.Core;
using KeyCustody.Protocol.V1;

namespace KeyCustody.Cli.Output;

/// <summary>
/// The process exit codes of <c>keycustody</c>, one per class of outcome so scripts can branch without parsing
/// text. Stable: documented in the project README and never renumbered.
/// </summary>
public enum ExitCode
{
    /// <summary>The command did what it was asked (signed, approved, listed).</summary>
    Success = 0,
    /// <summary>Anything not covered below (INTERNAL, UNKNOWN, UNIMPLEMENTED, a local failure).</summary>
    Error = 1,
    /// <summary>Bad arguments or configuration, or the appliance rejected the request as malformed (INVALID_ARGUMENT).</summary>
    Usage = 2,
    /// <summary>The key or request does not exist (NOT_FOUND).</summary>
    NotFound = 3,
    /// <summary>The appliance does not accept who we are: no, unknown or invalid credentials (UNAUTHENTICATED).</summary>
    Unauthenticated = 4,
    /// <summary>Policy does not allow this caller or operation (PERMISSION_DENIED).</summary>
    PermissionDenied = 5,
    /// <summary>The request was denied by an officer or a long press of the button.</summary>
    Denied = 6,
    /// <summary>The request or an approval expired (ABORTED, or the request reached EXPIRED).</summary>
    Expired = 7,
    /// <summary>Not possible in the current state: approvals or presence missing, key not active, already done (FAILED_PRECONDITION, ALREADY_EXISTS).</summary>
    WrongState = 8,
    /// <summary>Temporarily impossible; retry later (UNAVAILABLE, RESOURCE_EXHAUSTED, DEADLINE_EXCEEDED).</summary>
    Unavailable = 9,
    /// <summary>Something that must verify did not: the audit log is corrupt or rolled back (DATA_LOSS), or a signature or receipt failed local verification.</summary>
    IntegrityFailure = 10,
    /// <summary>The request was cancelled, or the command was interrupted (CANCELLED).</summary>
    Cancelled = 11,
    /// <summary>The appliance accepted the request but signing failed (the request reached FAILED).</summary>
    SigningFailed = 12,
    /// <summary><c>sign</c> without <c>--wait</c> submitted a request that still needs approvals or presence.</summary>
    Submitted = 13,
}

/// <summary>Maps outcomes (gRPC status codes, KeyCustody statuses, request states) to <see cref="ExitCode"/>.</summary>
public static class ExitCodes
{
    // gRPC status codes by number, as the gRPC spec fixes them (doc/statuscodes.md).
    private static readonly string[] s_grpcNames =
    [
        "OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND", "ALREADY_EXISTS",
        "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION", "ABORTED", "OUT_OF_RANGE", "UNIMPLEMENTED",
        "INTERNAL", "UNAVAILABLE", "DATA_LOSS", "UNAUTHENTICATED",
    ];

    /// <summary>The canonical upper-case name of a gRPC status code ("PERMISSION_DENIED"), or "CODE_n".</summary>
    public static string GrpcName(int code) => code >= 0 && code < s_grpcNames.Length ? s_grpcNames[code] : $"CODE_{code}";

    /// <summary>
    /// The exit code for a failed call. <paramref name="custodyStatus"/> (from the <c>keycustody-status</c> trailer,
    /// when the appliance sent it) refines classes gRPC lumps together, such as a denial inside PERMISSION_DENIED.
    /// </summary>
    public static ExitCode ForGrpc(int code, CustodyStatus? custodyStatus = null)
    {
        if (custodyStatus is { } status && ForCustodyStatus(status) is { } refined)
        {
            return refined;
        }

        return code switch
        {
            0 => ExitCode.Success,
            1 => ExitCode.Cancelled,
            3 or 11 => ExitCode.Usage,
            4 or 8 or 14 => ExitCode.Unavailable,
            5 => ExitCode.NotFound,
            6 or 9 => ExitCode.WrongState,
            7 => ExitCode.PermissionDenied,
            10 => ExitCode.Expired,
            15 => ExitCode.IntegrityFailure,
            16 => ExitCode.Unauthenticated,
            _ => ExitCode.Error,
        };
    }

    /// <summary>The exit code a KeyCustody status implies, or null when the gRPC code decides alone.</summary>
    public static ExitCode? ForCustodyStatus(CustodyStatus status) => status switch
    {
        CustodyStatus.Denied => ExitCode.Denied,
        CustodyStatus.Expired => ExitCode.Expired,
        CustodyStatus.AuditCorrupt or CustodyStatus.AuditRolledBack or CustodyStatus.DeviceFault => ExitCode.IntegrityFailure,
        CustodyStatus.Cancelled => ExitCode.Cancelled,
        CustodyStatus.InvalidArgument or CustodyStatus.MessageTooLarge => ExitCode.Usage,
        CustodyStatus.NotFound => ExitCode.NotFound,
        CustodyStatus.Unauthenticated => ExitCode.Unauthenticated,
        CustodyStatus.PermissionDenied => ExitCode.PermissionDenied,
        _ => null,
    };

    /// <summary>The exit code for a <see cref="CustodyException"/> raised on this side (bad input, a tool that failed).</summary>
    public static ExitCode ForLocal(CustodyStatus status) => ForCustodyStatus(status) ?? status switch
    {
        CustodyStatus.AlreadyExists or CustodyStatus.ApprovalsMissing or CustodyStatus.PresenceMissing or CustodyStatus.KeyNotActive
            or CustodyStatus.NotProvisioned or CustodyStatus.WrongState => ExitCode.WrongState,
        CustodyStatus.RateLimited or CustodyStatus.HsmUnavailable or CustodyStatus.TpmUnavailable or CustodyStatus.AuditUnavailable => ExitCode.Unavailable,
        _ => ExitCode.Error,
    };

    /// <summary>The exit code for a request that reached <paramref name="state"/>.</summary>
    public static ExitCode ForState(SigningRequestState state) => state switch
    {
        SigningRequestState.Signed => ExitCode.Success,
        SigningRequestState.Denied => ExitCode.Denied,
        SigningRequestState.Expired => ExitCode.Expired,
        SigningRequestState.Cancelled => ExitCode.Cancelled,
        SigningRequestState.Failed => ExitCode.SigningFailed,
        _ => ExitCode.WrongState,
    };

    /// <summary>Parses the <c>keycustody-status</c> trailer: a <see cref="CustodyStatus"/> name or number.</summary>
    public static bool TryParseCustodyStatus(string? text, out CustodyStatus status)
    {
        status = default;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        if (int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int number))
        {
            status = (CustodyStatus)number;
            return Enum.IsDefined(status) && status != CustodyStatus.Ok;
        }

        // Accept "PermissionDenied", "permission_denied" and "PERMISSION_DENIED" alike.
        return Enum.TryParse(text.Replace("_", string.Empty, StringComparison.Ordinal), ignoreCase: true, out status)
            && Enum.IsDefined(status) && status != CustodyStatus.Ok;
    }
}
