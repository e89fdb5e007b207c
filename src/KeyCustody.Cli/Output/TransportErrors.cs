// SPDX-License-Identifier: Apache-2.0
using KeyCustody.Core;
using KeyCustody.Grpc;

namespace KeyCustody.Cli.Output;

/// <summary>Turns a failed gRPC call into the CLI's one error line and exit code.</summary>
public static class TransportErrors
{
    /// <summary>The trailer in which the appliance sends the <see cref="CustodyStatus"/> behind a gRPC status.</summary>
    public const string StatusTrailer = "keycustody-status";

    /// <summary>
    /// For an <see cref="RpcException"/>: the exit code of its class and the line
    /// <c>PERMISSION_DENIED: caller CN=ci-x is not allowed by policy of key dev-release v3</c>.
    /// </summary>
    public static bool TryDescribe(Exception exception, out ExitCode code, out string message)
    {
        if (exception is not RpcException rpc)
        {
            code = default;
            message = string.Empty;
            return false;
        }

        CustodyStatus? status = ExitCodes.TryParseCustodyStatus(rpc.Trailers.GetValue(StatusTrailer), out CustodyStatus parsed) ? parsed : null;
        code = ExitCodes.ForGrpc((int)rpc.StatusCode, status);
        string detail = rpc.Detail.Length > 0 ? rpc.Detail : "(no detail)";
        message = $"{ExitCodes.GrpcName((int)rpc.StatusCode)}: {detail}";
        return true;
    }
}
