// SPDX-License-Identifier: Apache-2.0
using KeyCustody.Core;
using KeyCustody.Daemon.Hosting;
using KeyCustody.Grpc;
using Microsoft.Extensions.Logging;

namespace KeyCustody.Daemon.Edge;

/// <summary>
/// Wraps every handler at the edge: checks the appliance is serving (for RPCs that need the HSM or the store),
/// turns <see cref="CustodyException"/> into the status table's code with the <c>keycustody-status</c> trailer
/// (and <c>keycustody-reason</c> while not serving), and turns anything unexpected into INTERNAL with a generic
/// message whose reference finds the detail in the log.
/// </summary>
internal sealed class GrpcEdge(ILogger logger, ApplianceState state)
{
    /// <summary>Wraps a unary handler.</summary>
    public Func<TRequest, ServerCallContext, Task<TResponse>> Unary<TRequest, TResponse>(
        Func<TRequest, ServerCallContext, Task<TResponse>> handler, bool requiresServing = true) =>
        async (request, context) =>
        {
            try
            {
                if (requiresServing)
                {
                    RequireServing(context);
                }

                return await handler(request, context).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not RpcException)
            {
                throw Translate(ex, context);
            }
        };

    /// <summary>Wraps a server-streaming handler.</summary>
    public Func<TRequest, IServerStreamWriter<TResponse>, ServerCallContext, Task> Streaming<TRequest, TResponse>(
        Func<TRequest, IServerStreamWriter<TResponse>, ServerCallContext, Task> handler, bool requiresServing = true) =>
        async (request, writer, context) =>
        {
            try
            {
                if (requiresServing)
                {
                    RequireServing(context);
                }

                await handler(request, writer, context).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not RpcException)
            {
                throw Translate(ex, context);
            }
        };

    private void RequireServing(ServerCallContext context)
    {
        try
        {
            state.RequireServing();
        }
        catch (CustodyException ex)
        {
            RpcException rpc = StatusTable.ToRpcException(ex, reference: "-");
            rpc.Trailers.Add(StatusTable.ReasonTrailer, Ascii(state.Reason));
            DaemonLog.CallRefusedNotServing(logger, context.Method, state.Reason);
            throw rpc;
        }
    }

    private RpcException Translate(Exception ex, ServerCallContext context)
    {
        switch (ex)
        {
            case CustodyException custody when custody.Status != CustodyStatus.Internal:
                DaemonLog.CallFailed(logger, context.Method, custody.Status, custody.Message);
                return StatusTable.ToRpcException(custody, reference: "-");
            case OperationCanceledException when context.CancellationToken.IsCancellationRequested:
                return new RpcException(StatusCode.Cancelled, "The call was cancelled.",
                    new Metadata().Add(StatusTable.StatusTrailer, nameof(CustodyStatus.Cancelled)));
            default:
                string reference = Guid.NewGuid().ToString("N")[..12];
                // The exception text may come from a library; it goes to the log only, never to the caller.
                DaemonLog.CallFailedUnexpectedly(logger, ex, context.Method, reference);
                return StatusTable.ToRpcException(new CustodyException(CustodyStatus.Internal, "internal"), reference);
        }
    }

    // Metadata values must be printable ASCII.
    private static string Ascii(string text) => new([.. text.Select(c => c is >= ' ' and <= '~' ? c : '?')]);
}
