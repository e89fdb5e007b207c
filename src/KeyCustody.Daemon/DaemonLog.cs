// SPDX-License-Identifier: Apache-2.0
using KeyCustody.Core;
using Microsoft.Extensions.Logging;

namespace KeyCustody.Daemon;

/// <summary>The daemon's log events. Never log a PIN, an auth value, key bytes or an approval's secret parts.</summary>
internal static partial class DaemonLog
{
    [LoggerMessage(1, LogLevel.Information, "Start-up: {Step}")]
    public static partial void StartStep(ILogger logger, string step);

    [LoggerMessage(2, LogLevel.Error, "Start-up failed ({Status}): {Reason}; the appliance is NOT_SERVING and signs nothing")]
    public static partial void StartFailed(ILogger logger, CustodyStatus status, string reason);

    [LoggerMessage(3, LogLevel.Information, "SERVING: {Keys} key(s) loaded, listening on {Endpoints}")]
    public static partial void Serving(ILogger logger, int keys, string endpoints);

    [LoggerMessage(4, LogLevel.Error, "NOT_SERVING ({Status}): {Reason}")]
    public static partial void NotServing(ILogger logger, CustodyStatus status, string reason);

    [LoggerMessage(5, LogLevel.Warning, "{Method} refused: the appliance is not serving ({Reason})")]
    public static partial void CallRefusedNotServing(ILogger logger, string method, string reason);

    [LoggerMessage(6, LogLevel.Information, "{Method} failed with {Status}: {Message}")]
    public static partial void CallFailed(ILogger logger, string method, CustodyStatus status, string message);

    [LoggerMessage(7, LogLevel.Error, "{Method} failed unexpectedly (reference {Reference})")]
    public static partial void CallFailedUnexpectedly(ILogger logger, Exception exception, string method, string reference);

    [LoggerMessage(8, LogLevel.Information, "Listening on {Endpoint}")]
    public static partial void Listening(ILogger logger, string endpoint);

    [LoggerMessage(9, LogLevel.Information, "Stopping")]
    public static partial void Stopping(ILogger logger);

    [LoggerMessage(10, LogLevel.Critical, "The TPM policy no longer unseals the HSM PIN ({Status}): {Reason}; signing stopped")]
    public static partial void PolicyCheckFailed(ILogger logger, CustodyStatus status, string reason);

    [LoggerMessage(11, LogLevel.Information, "Development appliance: {What}")]
    public static partial void Dev(ILogger logger, string what);

    [LoggerMessage(12, LogLevel.Information, "Button press ({Duration} ms) ignored: {Why}")]
    public static partial void PressIgnored(ILogger logger, long duration, string why);

    [LoggerMessage(13, LogLevel.Information, "Request {RequestId} on {Key}: {What}")]
    public static partial void Request(ILogger logger, string requestId, string key, string what);

    [LoggerMessage(14, LogLevel.Error, "Background task {Task} failed")]
    public static partial void BackgroundFailed(ILogger logger, Exception exception, string task);

    [LoggerMessage(15, LogLevel.Warning, "Audit entry for {What} could not be written ({Status}): {Reason}")]
    public static partial void AuditFailed(ILogger logger, string what, CustodyStatus status, string reason);
}
