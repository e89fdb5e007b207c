// SPDX-License-Identifier: Apache-2.0
using Microsoft.Extensions.Logging;

namespace KeyCustody.Grpc.Internal;

/// <summary>Every log message of the gRPC layer. Never logs message payloads or metadata values.</summary>
internal static partial class GrpcLog
{
    [LoggerMessage(EventId = 1, Level = LogLevel.Error, Message = "Handler for {Method} threw an unhandled exception; the caller got INTERNAL")]
    public static partial void HandlerFailed(ILogger logger, string method, Exception exception);

    [LoggerMessage(EventId = 2, Level = LogLevel.Debug, Message = "Call {Method} from {Peer} ended with {StatusCode}: {Detail}")]
    public static partial void CallEnded(ILogger logger, string method, string peer, StatusCode statusCode, string detail);

    [LoggerMessage(EventId = 3, Level = LogLevel.Warning, Message = "Handler for {Method} threw after its call had already ended")]
    public static partial void HandlerFailedAfterEnd(ILogger logger, string method, Exception exception);

    [LoggerMessage(EventId = 4, Level = LogLevel.Debug, Message = "Rejected a request: {Reason}")]
    public static partial void RequestRejected(ILogger logger, string reason);

    [LoggerMessage(EventId = 5, Level = LogLevel.Debug, Message = "Could not send the status of {Method}: the stream is gone")]
    public static partial void StatusNotSent(ILogger logger, string method, Exception exception);

    [LoggerMessage(EventId = 6, Level = LogLevel.Information, Message = "gRPC server listening on {Address}")]
    public static partial void Listening(ILogger logger, string address);

    [LoggerMessage(EventId = 7, Level = LogLevel.Debug, Message = "Closed a cleartext connection that did not start with the HTTP/2 preface ({Reason})")]
    public static partial void NotHttp2(ILogger logger, string reason);

    [LoggerMessage(EventId = 8, Level = LogLevel.Warning, Message = "Rejected a TLS client certificate {Subject}: {Reason}")]
    public static partial void ClientCertificateRejected(ILogger logger, string subject, string reason);

    [LoggerMessage(EventId = 9, Level = LogLevel.Information, Message = "gRPC server stopped")]
    public static partial void Stopped(ILogger logger);
}
