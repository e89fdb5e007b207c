// SPDX-License-Identifier: Apache-2.0
using KeyCustody.Audit;
using KeyCustody.Core;
using KeyCustody.Core.Ports;
using KeyCustody.Governance;
using KeyCustody.Storage;

namespace KeyCustody.Daemon.Services;

/// <summary>An accepted vote and the request after it.</summary>
/// <param name="Request">The request (a copy).</param>
/// <param name="Record">The vote.</param>
internal sealed record VoteOutcome(RequestView Request, ApprovalRecord Record);

internal sealed partial class SigningEngine
{
    /// <summary>The statement an officer signs now to approve (or deny) <paramref name="id"/>.</summary>
    public async Task<ApprovalStatement> GetStatementAsync(string? id, ApprovalAction action, CancellationToken cancellationToken)
    {
        RequestView view = await GetAsync(id, cancellationToken).ConfigureAwait(false);
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (!_open.TryGetValue(view.Request.Id, out SigningRequest? request))
            {
                throw new CustodyException(CustodyStatus.WrongState,
                    $"Request {view.Request.Id} is {view.Request.State.Name()}{(view.Request.StateReason is { } r ? $" ({r})" : string.Empty)} and takes no more votes.");
            }

            try
            {
                return request.CreateStatement(action, _time.GetUtcNow());
            }
            catch (CustodyException) when (request.State == SigningRequestState.Expired)
            {
                await ExpireAsync(request, cancellationToken).ConfigureAwait(false);
                throw;
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// Verifies and records an officer's approval or denial (every quorum rule, see <see cref="ApprovalProcessor"/>).
    /// Accepted and rejected votes alike become audit entries. Quorum moves the request to the button queue, or
    /// signs it when the policy needs no presence; a denial ends it.
    /// </summary>
    public async Task<VoteOutcome> VoteAsync(string? id, ApprovalAction action, byte[] statement, string armoredSignature, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(armoredSignature))
        {
            throw new CustodyException(CustodyStatus.InvalidArgument, "The SSH signature is empty: pass the armored output of `ssh-keygen -Y sign -n keycustody-approval`.");
        }

        RequestView view = await GetAsync(id, cancellationToken).ConfigureAwait(false);
        ApprovalRecord record;
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            SigningRequest request = _open.TryGetValue(view.Request.Id, out SigningRequest? open) ? open : view.Request;
            SigningRequestSnapshot before = request.ToSnapshot();
            VoteResult result;
            try
            {
                result = _approvals.Submit(request, _roster, action, statement, armoredSignature);
            }
            catch (CustodyException rejected)
            {
                await RecordRejectedVoteAsync(request, before, action, armoredSignature, rejected, cancellationToken).ConfigureAwait(false);
                throw;
            }

            record = result.Record;
            string type = action == ApprovalAction.Approve ? AuditEventTypes.SigningApproved : AuditEventTypes.SigningDenied;
            AuditEntry entry = Describe(AuditEntry.Create(type, record.At), request)
                .Add("officers", record.Officers)
                .Add("key_fingerprint", record.KeyFingerprint)
                .Add("statement_expires_at", record.StatementExpiresAt)
                .Add("signature_sha256", record.SignatureSha256)
                .Add("ssh_signature", record.Signature)
                .Add("live_approvals", request.LiveApprovals(record.At))
                .Add("approvals_required", request.ApprovalsRequired);
            RequestExtras extras = _extras.TryGetValue(request.Id, out RequestExtras? e) ? e : view.Extras;
            var stored = new StoredRequest(request.ToSnapshot(), (int)extras.Scheme, extras.Metadata, extras.Provenance, extras.ClientToken, null, null, null);
            try
            {
                await AppendAsync(entry, (c, t) =>
                {
                    GovernanceStore.WriteRequest(c, t, stored, signedEntry: false);
                    GovernanceStore.WriteApproval(c, t, request.Id, record);
                }, cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                _open[request.Id] = SigningRequest.FromSnapshot(before);
                throw;
            }

            DaemonLog.Request(_logger, request.Id, request.Key.Value,
                $"{(action == ApprovalAction.Approve ? "approved" : "denied")} by {record.Officer}, now {request.State.Name()}");
            if (result.Denied)
            {
                IReadOnlyList<PresenceEvent> events;
                lock (_fast)
                {
                    events = _presence.Remove(request.Id);
                }

                _open.Remove(request.Id);
                await ApplyPresenceEventsAsync(events, cancellationToken).ConfigureAwait(false);
            }
            else if (result.QuorumReached && request.State == SigningRequestState.AwaitingPresence)
            {
                IReadOnlyList<PresenceEvent> events;
                lock (_fast)
                {
                    events = _presence.Enqueue(request);
                }

                await ApplyPresenceEventsAsync(events, cancellationToken).ConfigureAwait(false);
            }
            else if (request.State == SigningRequestState.Approved)
            {
                await TrySignGovernedAsync(request, cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            _gate.Release();
        }

        Changed(view.Request.Id);
        return new VoteOutcome(await GetAsync(view.Request.Id, cancellationToken).ConfigureAwait(false), record);
    }

    private async Task RecordRejectedVoteAsync(
        SigningRequest request, SigningRequestSnapshot before, ApprovalAction action, string armoredSignature, CustodyException rejected,
        CancellationToken cancellationToken)
    {
        bool expiredNow = before.State != SigningRequestState.Expired && request.State == SigningRequestState.Expired;
        AuditEntry entry = Describe(AuditEntry.Create("signing.vote_rejected", _time.GetUtcNow()), request)
            .Add("action", action == ApprovalAction.Approve ? "approve" : "deny")
            .Add("status", rejected.Status)
            .Add("rejection", rejected.Message)
            .AddHex("signature_sha256", System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(armoredSignature.Trim())));
        if (expiredNow)
        {
            RequestExtras extras = _extras.TryGetValue(request.Id, out RequestExtras? e) ? e : new RequestExtras(SignatureScheme.EcdsaDer, null, null, null, null);
            var stored = new StoredRequest(request.ToSnapshot(), (int)extras.Scheme, extras.Metadata, extras.Provenance, extras.ClientToken, null, null, null);
            await AppendAsync(entry, (c, t) => GovernanceStore.WriteRequest(c, t, stored, signedEntry: false), cancellationToken).ConfigureAwait(false);
            await RemoveFromPresenceAsync(request, cancellationToken).ConfigureAwait(false);
            _open.Remove(request.Id);
            Changed(request.Id);
        }
        else
        {
            await AppendAsync(entry, null, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task ExpireAsync(SigningRequest request, CancellationToken cancellationToken)
    {
        await PersistTransitionAsync(request, AuditEventTypes.SigningExpired, null, cancellationToken).ConfigureAwait(false);
        await RemoveFromPresenceAsync(request, cancellationToken).ConfigureAwait(false);
        _open.Remove(request.Id);
        _extras.Remove(request.Id);
        Changed(request.Id);
    }

    private async Task RemoveFromPresenceAsync(SigningRequest request, CancellationToken cancellationToken)
    {
        IReadOnlyList<PresenceEvent> events;
        lock (_fast)
        {
            events = _presence.Remove(request.Id);
        }

        await ApplyPresenceEventsAsync(events, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Signs a governed request that reached Approved; a failure is recorded and retried by the sweeper.</summary>
    private async Task TrySignGovernedAsync(SigningRequest request, CancellationToken cancellationToken)
    {
        RequestExtras extras = _extras.TryGetValue(request.Id, out RequestExtras? e) ? e : new RequestExtras(SignatureScheme.EcdsaDer, null, null, null, null);
        try
        {
            await SignApprovedAsync(request, extras, null, governed: true, cancellationToken).ConfigureAwait(false);
            DaemonLog.Request(_logger, request.Id, request.Key.Value, "signed");
        }
        catch (CustodyException ex)
        {
            DaemonLog.Request(_logger, request.Id, request.Key.Value, $"not signed ({ex.Status}): {ex.Message}");
        }
    }
}
