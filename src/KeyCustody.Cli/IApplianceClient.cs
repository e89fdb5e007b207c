// SPDX-License-Identifier: Apache-2.0
using KeyCustody.Protocol.V1;

namespace KeyCustody.Cli;

/// <summary>
/// The appliance's API as the CLI commands use it: one method per RPC they call, proto messages in and out.
/// Failed calls throw the transport's RPC exception with the gRPC status; the commands never see HTTP/2.
/// </summary>
public interface IApplianceClient : IAsyncDisposable
{
    /// <summary>KeyService.GetKey.</summary>
    Task<Key> GetKeyAsync(string name, CancellationToken cancellationToken);

    /// <summary>KeyService.ListKeys.</summary>
    Task<ListKeysResponse> ListKeysAsync(CancellationToken cancellationToken);

    /// <summary>SigningService.Sign: one-shot signing for keys that need no quorum and no presence.</summary>
    Task<SignResponse> SignAsync(SignRequest request, CancellationToken cancellationToken);

    /// <summary>SigningService.SubmitSigningRequest.</summary>
    Task<SubmitSigningRequestResponse> SubmitSigningRequestAsync(SubmitSigningRequestRequest request, CancellationToken cancellationToken);

    /// <summary>SigningService.GetSigningRequest.</summary>
    Task<SigningRequest> GetSigningRequestAsync(string requestId, CancellationToken cancellationToken);

    /// <summary>SigningService.WatchSigningRequest: the request's state each time it changes, until it is terminal.</summary>
    IAsyncEnumerable<SigningRequest> WatchSigningRequestAsync(string requestId, CancellationToken cancellationToken);

    /// <summary>ApprovalService.ListPendingRequests.</summary>
    Task<ListPendingRequestsResponse> ListPendingRequestsAsync(string? officer, CancellationToken cancellationToken);

    /// <summary>ApprovalService.GetApprovalStatement.</summary>
    Task<ApprovalStatement> GetApprovalStatementAsync(string requestId, bool deny, CancellationToken cancellationToken);

    /// <summary>ApprovalService.Approve.</summary>
    Task<ApproveResponse> ApproveAsync(ApproveRequest request, CancellationToken cancellationToken);

    /// <summary>ApprovalService.Deny.</summary>
    Task<DenyResponse> DenyAsync(DenyRequest request, CancellationToken cancellationToken);

    /// <summary>AuditService.GetReceipt for the entry that recorded a request's outcome.</summary>
    Task<Receipt> GetReceiptAsync(string requestId, CancellationToken cancellationToken);

    /// <summary>AuditService.GetAuditKey.</summary>
    Task<GetAuditKeyResponse> GetAuditKeyAsync(CancellationToken cancellationToken);
}
