// SPDX-License-Identifier: Apache-2.0
using System.Runtime.CompilerServices;
using KeyCustody.Grpc;
using KeyCustody.Protocol.V1;

namespace KeyCustody.Cli.Tests;

/// <summary>
/// A scripted <see cref="IApplianceClient"/> for unit tests of the commands' own logic (which RPC to call, what to
/// write, which exit code). Unscripted calls fail with UNIMPLEMENTED; every call is recorded.
/// </summary>
internal sealed class FakeApplianceClient : IApplianceClient
{
    public List<string> Calls { get; } = [];

    public Func<string, Key>? GetKey { get; set; }
    public Func<SignRequest, SignResponse>? Sign { get; set; }
    public Func<SubmitSigningRequestRequest, SubmitSigningRequestResponse>? Submit { get; set; }
    public Func<string, SigningRequest>? GetRequest { get; set; }
    public Func<string, CancellationToken, IAsyncEnumerable<SigningRequest>>? Watch { get; set; }
    public Func<ListPendingRequestsResponse>? ListPending { get; set; }
    public Func<string, bool, ApprovalStatement>? GetStatement { get; set; }
    public Func<ApproveRequest, ApproveResponse>? Approve { get; set; }
    public Func<DenyRequest, DenyResponse>? Deny { get; set; }
    public Func<string, Receipt>? GetReceipt { get; set; }

    public ApplianceClientFactory Factory => (_, _) => this;

    public static RpcException Error(StatusCode code, string detail, string? custodyStatus = null) =>
        new(code, detail, custodyStatus is null ? null : new Metadata().Add("keycustody-status", custodyStatus));

    public Task<Key> GetKeyAsync(string name, CancellationToken cancellationToken) => Call(nameof(GetKeyAsync), () => GetKey, f => f(name));

    public Task<ListKeysResponse> ListKeysAsync(CancellationToken cancellationToken) =>
        Call(nameof(ListKeysAsync), () => (Func<int, ListKeysResponse>?)null, f => f(0));

    public Task<SignResponse> SignAsync(SignRequest request, CancellationToken cancellationToken) => Call(nameof(SignAsync), () => Sign, f => f(request));

    public Task<SubmitSigningRequestResponse> SubmitSigningRequestAsync(SubmitSigningRequestRequest request, CancellationToken cancellationToken) =>
        Call(nameof(SubmitSigningRequestAsync), () => Submit, f => f(request));

    public Task<SigningRequest> GetSigningRequestAsync(string requestId, CancellationToken cancellationToken) =>
        Call(nameof(GetSigningRequestAsync), () => GetRequest, f => f(requestId));

    public async IAsyncEnumerable<SigningRequest> WatchSigningRequestAsync(string requestId, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        Calls.Add(nameof(WatchSigningRequestAsync));
        if (Watch is null)
        {
            throw Error(StatusCode.Unimplemented, "WatchSigningRequest not scripted");
        }

        await foreach (SigningRequest update in Watch(requestId, cancellationToken).WithCancellation(cancellationToken))
        {
            yield return update;
        }
    }

    public Task<ListPendingRequestsResponse> ListPendingRequestsAsync(string? officer, CancellationToken cancellationToken) =>
        Call(nameof(ListPendingRequestsAsync), () => ListPending, f => f());

    public Task<ApprovalStatement> GetApprovalStatementAsync(string requestId, bool deny, CancellationToken cancellationToken) =>
        Call(nameof(GetApprovalStatementAsync), () => GetStatement, f => f(requestId, deny));

    public Task<ApproveResponse> ApproveAsync(ApproveRequest request, CancellationToken cancellationToken) => Call(nameof(ApproveAsync), () => Approve, f => f(request));

    public Task<DenyResponse> DenyAsync(DenyRequest request, CancellationToken cancellationToken) => Call(nameof(DenyAsync), () => Deny, f => f(request));

    public Task<Receipt> GetReceiptAsync(string requestId, CancellationToken cancellationToken) => Call(nameof(GetReceiptAsync), () => GetReceipt, f => f(requestId));

    public Task<GetAuditKeyResponse> GetAuditKeyAsync(CancellationToken cancellationToken) =>
        Call(nameof(GetAuditKeyAsync), () => (Func<int, GetAuditKeyResponse>?)null, f => f(0));

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private Task<TResult> Call<TFunc, TResult>(string name, Func<TFunc?> script, Func<TFunc, TResult> invoke)
        where TFunc : class
    {
        Calls.Add(name);
        TFunc? function = script();
        return function is null
            ? Task.FromException<TResult>(Error(StatusCode.Unimplemented, name + " not scripted"))
            : Task.FromResult(invoke(function));
    }
}
