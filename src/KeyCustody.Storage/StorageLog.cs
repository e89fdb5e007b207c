// SPDX-License-Identifier: Apache-2.0
using Microsoft.Extensions.Logging;

namespace KeyCustody.Storage;

/// <summary>Log messages of the storage layer. Event ids 1xxx: audit log; other stores take their own range.</summary>
internal static partial class StorageLog
{
    [LoggerMessage(EventId = 1001, Level = LogLevel.Information, Message = "Audit log '{Origin}' opened: {Size} entries, {Checkpoints} published checkpoints, verification {Verification}")]
    public static partial void AuditOpened(ILogger logger, string origin, long size, long checkpoints, AuditOpenVerification verification);

    [LoggerMessage(EventId = 1002, Level = LogLevel.Warning, Message = "Audit checkpoint {Seq} was stored but the counter had not advanced; completing its publication")]
    public static partial void AuditRollForward(ILogger logger, long seq);

    [LoggerMessage(EventId = 1003, Level = LogLevel.Critical, Message = "Audit log failed closed: {Reason}; appends are refused until it is recovered")]
    public static partial void AuditFailedClosed(ILogger logger, string reason, Exception exception);

    [LoggerMessage(EventId = 1004, Level = LogLevel.Error, Message = "Audit checkpoint publication failed: {Reason}")]
    public static partial void AuditPublishFailed(ILogger logger, string reason, Exception exception);

    [LoggerMessage(EventId = 1005, Level = LogLevel.Warning, Message = "Audit log recovered: {Size} entries are durable")]
    public static partial void AuditRecovered(ILogger logger, long size);

    [LoggerMessage(EventId = 1006, Level = LogLevel.Debug, Message = "Audit checkpoint {Seq} published for {Size} entries")]
    public static partial void AuditPublished(ILogger logger, long seq, long size);
}
