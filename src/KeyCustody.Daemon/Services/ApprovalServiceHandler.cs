// SPDX-License-Identifier: Apache-2.0
using KeyCustody.Core;
using KeyCustody.Daemon.Edge;
using KeyCustody.Governance;
using KeyCustody.Grpc;
using Pb = KeyCustody.Protocol.V1;

namespace KeyCustody.Daemon.Services;

/// <summary>
/// keycustody.v1.ApprovalService: officers review pending requests and vote with SSHSIG signatures over the
/// canonical statement; the signature is their authentication (the transport may be plain TLS or the Unix socket).
/// </summary>
internal sealed class ApprovalServiceHandler(ServiceContext services)
{
    private const string Service = "/keycustody.v1.ApprovalService/";

    /// <summary>Registers the methods.</summary>
    public void Register(GrpcServiceRegistry registry, GrpcEdge edge)
    {
        registry.AddUnary(Service + "ListPendingRequests", Pb.ListPendingRequestsRequest.Parser,
            edge.Unary<Pb.ListPendingRequestsRequest, Pb.ListPendingRequestsResponse>(ListAsync));
        registry.AddUnary(Service + "GetApprovalStatement", Pb.GetApprovalStatementRequest.Parser,
            edge.Unary<Pb.GetApprovalStatementRequest, Pb.ApprovalStatement>(StatementAsync));
        registry.AddUnary(Service + "Approve", Pb.ApproveRequest.Parser, edge.Unary<Pb.ApproveRequest, Pb.ApproveResponse>(ApproveAsync));
        registry.AddUnary(Service + "Deny", Pb.DenyRequest.Parser, edge.Unary<Pb.DenyRequest, Pb.DenyResponse>(DenyAsync));
    }

    private async Task<Pb.ListPendingRequestsResponse> ListAsync(Pb.ListPendingRequestsRequest request, ServerCallContext context)
    {
        SigningEngine engine = services.Engine;
        Officer? officer = null;
        if (request.Officer.Length > 0)
        {
            officer = engine.Roster.FindOfficer(request.Officer)
                ?? throw new CustodyException(CustodyStatus.NotFound, $"There is no enrolled officer named '{request.Officer}'.");
        }

        DateTimeOffset now = services.Time.GetUtcNow();
        var response = new Pb.ListPendingRequestsResponse();
        foreach ((SigningRequest pending, RequestExtras extras) in await engine.ListOpenAsync(context.CancellationToken).ConfigureAwait(false))
        {
            if (officer is not null && !MayStillApprove(officer, pending, now))
            {
                continue;
            }

            var item = new Pb.PendingRequest
            {
                Request = ProtoMapping.Request(new RequestView(pending, extras, null, null, null), now, null),
                OwnsButton = pending.OwnsButton,
            };
            try
            {
                if (pending.State == SigningRequestState.AwaitingApprovals)
                {
                    item.ApproveStatement = ProtoMapping.Statement(pending.CreateStatement(ApprovalAction.Approve, now));
                }

                item.DenyStatement = ProtoMapping.Statement(pending.CreateStatement(ApprovalAction.Deny, now));
            }
            catch (CustodyException)
            {
                // Expired between the listing and now (the copy says so); the sweeper records it.
                continue;
            }

            response.Requests.Add(item);
        }

        return response;
    }

    private async Task<Pb.ApprovalStatement> StatementAsync(Pb.GetApprovalStatementRequest request, ServerCallContext context)
    {
        ApprovalStatement statement = await services.Engine.GetStatementAsync(
            request.RequestId, request.Deny ? ApprovalAction.Deny : ApprovalAction.Approve, context.CancellationToken).ConfigureAwait(false);
        return ProtoMapping.Statement(statement);
    }

    private async Task<Pb.ApproveResponse> ApproveAsync(Pb.ApproveRequest request, ServerCallContext context)
    {
        VoteOutcome outcome = await services.Engine.VoteAsync(
            request.RequestId, ApprovalAction.Approve, request.Statement.ToByteArray(), request.SshSignature, context.CancellationToken).ConfigureAwait(false);
        return new Pb.ApproveResponse { Request = ProtoMapping.Request(outcome.Request, services.Time.GetUtcNow(), null), Officer = outcome.Record.Officer };
    }

    private async Task<Pb.DenyResponse> DenyAsync(Pb.DenyRequest request, ServerCallContext context)
    {
        VoteOutcome outcome = await services.Engine.VoteAsync(
            request.RequestId, ApprovalAction.Deny, request.Statement.ToByteArray(), request.SshSignature, context.CancellationToken).ConfigureAwait(false);
        return new Pb.DenyResponse { Request = ProtoMapping.Request(outcome.Request, services.Time.GetUtcNow(), null), Officer = outcome.Record.Officer };
    }

    // The filter of ListPendingRequests: in the group, not the requester's owner, not voted yet.
    private static bool MayStillApprove(Officer officer, SigningRequest request, DateTimeOffset now) =>
        request.State == SigningRequestState.AwaitingApprovals
        && request.ApproverGroup is { } group && officer.IsInGroup(group)
        && !officer.Owns(request.Requester)
        && !request.Votes.Any(v => v.Officers.Contains(officer.Name) && (v.Action == ApprovalAction.Deny || v.IsLiveApproval(now)));
}
