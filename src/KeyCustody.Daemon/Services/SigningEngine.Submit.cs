// SPDX-License-Identifier: Apache-2.0
using KeyCustody.Audit;
using KeyCustody.Core;
using KeyCustody.Core.Ports;
using KeyCustody.Governance;
using KeyCustody.Storage;

namespace KeyCustody.Daemon.Services;

/// <summary>A new request as a caller submits it.</summary>
/// <param name="Caller">The authenticated CI identity.</param>
/// <param name="CallerSha256">Its certificate fingerprint (audit only).</param>
/// <param name="Key">The key name.</param>
/// <param name="DigestAlgorithm">The digest algorithm.</param>
/// <param name="Digest">The digest bytes.</param>
/// <param name="Scheme">The requested scheme (0 = the key's default).</param>
/// <param name="Metadata">Artifact metadata (protobuf bytes) or null.</param>
/// <param name="Provenance">Provenance (protobuf bytes) or null.</param>
/// <param name="MetadataSummary">Metadata fields for the audit entry.</param>
/// <param name="ClientToken">Idempotency token or null.</param>
internal sealed record Submission(
    CallerIdentity Caller,
    string CallerSha256,
    string Key,
    DigestAlgorithm DigestAlgorithm,
    byte[] Digest,
    SignatureScheme Scheme,
    byte[]? Metadata,
    byte[]? Provenance,
    IReadOnlyDictionary<string, string> MetadataSummary,
    string? ClientToken);

/// <summary>A signature released to its caller with its receipt.</summary>
/// <param name="Request">The signed request.</param>
/// <param name="Scheme">The scheme used.</param>
/// <param name="Signature">The verified signature.</param>
/// <param name="Receipt">The audit receipt of the signed entry.</param>
internal sealed record SignOutcome(SigningRequest Request, SignatureScheme Scheme, byte[] Signature, AuditReceipt Receipt);

internal sealed partial class SigningEngine
{
    /// <summary>
    /// One-shot signing for a key whose policy needs neither approvals nor presence: policy checks, HSM signature
    /// (verified by the store), then the <c>signing.signed</c> entry with the request row in one durable commit, and
    /// only then the signature and its receipt.
    /// </summary>
    public async Task<SignOutcome> SignNowAsync(Submission submission, CancellationToken cancellationToken)
    {
        ServedKey key = RequireKey(submission.Key);
        if (!key.Policy.AllowsImmediateSigning)
        {
            throw new CustodyException(CustodyStatus.ApprovalsMissing,
                $"Key '{key.Record.Name}' needs {Needs(key.Policy)} (policy v{key.Policy.Version}); submit it with SubmitSigningRequest and wait for it.");
        }

        SignatureScheme scheme = ResolveScheme(key, submission.Scheme);
        SigningRequest request = await CreateRequestAsync(key, submission, pendingOnly: false, cancellationToken).ConfigureAwait(false);
        var extras = new RequestExtras(scheme, submission.Metadata, submission.Provenance, submission.ClientToken, submission.CallerSha256);
        (byte[] signature, long index) = await SignApprovedAsync(request, extras, submission.MetadataSummary, governed: false, cancellationToken).ConfigureAwait(false);
        AuditReceipt receipt = await _audit.GetReceiptAsync(index, cancellationToken).ConfigureAwait(false);
        return new SignOutcome(request, scheme, signature, receipt);
    }

    /// <summary>
    /// Creates a signing request after the policy checks and records it (request row + <c>signing.requested</c>
    /// entry in one commit). A request whose key needs no quorum and no presence is signed at once.
    /// </summary>
    public async Task<RequestView> SubmitAsync(Submission submission, CancellationToken cancellationToken)
    {
        ServedKey key = RequireKey(submission.Key);
        SignatureScheme scheme = ResolveScheme(key, submission.Scheme);
        var extras = new RequestExtras(scheme, submission.Metadata, submission.Provenance, submission.ClientToken, submission.CallerSha256);
        if (submission.ClientToken is { Length: > 0 } token
            && await _store.FindByClientTokenAsync(submission.Caller.Subject, token, cancellationToken).ConfigureAwait(false) is { } earlier)
        {
            if (earlier.Snapshot.Key != key.Record.Name.Value || !Convert.FromHexString(earlier.Snapshot.Digest).AsSpan().SequenceEqual(submission.Digest))
            {
                throw new CustodyException(CustodyStatus.AlreadyExists,
                    $"Client token '{token}' was already used for request {earlier.Snapshot.Id} with a different key or digest.");
            }

            return await GetAsync(earlier.Snapshot.Id, cancellationToken).ConfigureAwait(false);
        }

        if (key.Policy.AllowsImmediateSigning)
        {
            SigningRequest immediate = await CreateRequestAsync(key, submission, pendingOnly: false, cancellationToken).ConfigureAwait(false);
            await SignApprovedAsync(immediate, extras, submission.MetadataSummary, governed: false, cancellationToken).ConfigureAwait(false);
            return await GetAsync(immediate.Id, cancellationToken).ConfigureAwait(false);
        }

        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        SigningRequest request;
        try
        {
            request = await CreateRequestAsync(key, submission, pendingOnly: true, cancellationToken).ConfigureAwait(false);
            AuditEntry entry = RequestedEntry(request, extras, submission.MetadataSummary);
            var stored = new StoredRequest(request.ToSnapshot(), (int)scheme, submission.Metadata, submission.Provenance, submission.ClientToken, null, null, null);
            await AppendAsync(entry, (c, t) => GovernanceStore.WriteRequest(c, t, stored, signedEntry: false), cancellationToken).ConfigureAwait(false);
            _open[request.Id] = request;
            _extras[request.Id] = extras;
            DaemonLog.Request(_logger, request.Id, request.Key.Value, $"submitted by {request.Requester.Subject}, {request.State.Name()}");
            if (request.State == SigningRequestState.AwaitingPresence)
            {
                IReadOnlyList<PresenceEvent> events;
                lock (_fast)
                {
                    events = _presence.Enqueue(request);
                }

                await ApplyPresenceEventsAsync(events, cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            _gate.Release();
        }

        Changed(request.Id);
        return await GetAsync(request.Id, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Cancels a pending request; only the identity that submitted it may.</summary>
    public async Task<RequestView> CancelAsync(CallerIdentity caller, string? id, string? reason, CancellationToken cancellationToken)
    {
        RequestView view = await GetAsync(id, cancellationToken).ConfigureAwait(false);
        if (view.Request.Requester.Subject != caller.Subject)
        {
            throw new CustodyException(CustodyStatus.PermissionDenied,
                $"Only the requester ('{view.Request.Requester.Subject}') may cancel request {view.Request.Id}.");
        }

        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (!_open.TryGetValue(view.Request.Id, out SigningRequest? request))
            {
                throw new CustodyException(CustodyStatus.WrongState,
                    $"Request {view.Request.Id} is {view.Request.State.Name()} and can no longer be cancelled.");
            }

            SigningRequestSnapshot before = request.ToSnapshot();
            try
            {
                request.Cancel(string.IsNullOrWhiteSpace(reason) ? $"cancelled by {caller.Subject}" : $"cancelled by {caller.Subject}: {reason}", _time.GetUtcNow());
            }
            catch (CustodyException) when (request.State == SigningRequestState.Expired)
            {
                await PersistTransitionAsync(request, AuditEventTypes.SigningExpired, null, cancellationToken).ConfigureAwait(false);
                throw;
            }

            try
            {
                await PersistTransitionAsync(request, "signing.cancelled", null, cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                _open[request.Id] = SigningRequest.FromSnapshot(before);
                throw;
            }

            IReadOnlyList<PresenceEvent> events;
            lock (_fast)
            {
                events = _presence.Remove(request.Id);
            }

            await ApplyPresenceEventsAsync(events, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }

        Changed(view.Request.Id);
        return await GetAsync(view.Request.Id, cancellationToken).ConfigureAwait(false);
    }

    // The policy checks of architecture step 1; every refusal is an audit entry.
    private async Task<SigningRequest> CreateRequestAsync(ServedKey key, Submission submission, bool pendingOnly, CancellationToken cancellationToken)
    {
        DateTimeOffset now = _time.GetUtcNow();
        KeyName name = key.Record.Name;
        try
        {
            lock (_fast)
            {
                List<RequestHistoryEntry> history = _history[name];
                TimeSpan window = RateLimiter.LongestWindow(key.Policy.RateLimits);
                history.RemoveAll(h => h.SubmittedAt <= now - window);
                int pending = pendingOnly ? _open.Values.Count(r => r.Key == name && r.IsPending) : 0;
                SubmissionPolicy.Enforce(key.Policy, new SubmissionContext(
                    submission.Caller, name, submission.DigestAlgorithm, submission.Digest, now, history, pending));
                SigningRequest request = SigningRequest.Create(
                    NewRequestId(), key.Policy, submission.Caller, submission.DigestAlgorithm, submission.Digest, StatementText.NewNonce(), now);
                if (window > TimeSpan.Zero)
                {
                    // Reserved now, so parallel submissions cannot all squeeze under the limit.
                    history.Add(new RequestHistoryEntry(now, submission.Caller.Subject));
                }

                return request;
            }
        }
        catch (CustodyException refused)
        {
            AuditEntry entry = AuditEntry.Create(AuditEventTypes.AccessDenied, now)
                .Add("operation", "submit")
                .Add("key", name)
                .Add("caller", submission.Caller.Subject)
                .Add("caller_sha256", submission.CallerSha256)
                .Add("digest_algorithm", Algorithms.Name(submission.DigestAlgorithm))
                .AddHex("digest", submission.Digest)
                .Add("status", refused.Status)
                .Add("reason", refused.Message);
            await AppendAsync(entry, null, cancellationToken).ConfigureAwait(false);
            throw;
        }
    }

    private static SignatureScheme ResolveScheme(ServedKey key, SignatureScheme requested)
    {
        KeyAlgorithm algorithm = key.Record.Algorithm;
        bool ecdsa = algorithm is KeyAlgorithm.EcdsaP256 or KeyAlgorithm.EcdsaP384;
        bool rsa = algorithm is KeyAlgorithm.Rsa3072 or KeyAlgorithm.Rsa4096;
        SignatureScheme scheme = requested != 0 ? requested
            : ecdsa ? SignatureScheme.EcdsaDer
            : rsa ? SignatureScheme.RsaPkcs1
            : SignatureScheme.Ed25519;
        bool fits = scheme switch
        {
            SignatureScheme.EcdsaDer or SignatureScheme.EcdsaRaw => ecdsa,
            SignatureScheme.RsaPkcs1 or SignatureScheme.RsaPss => rsa,
            SignatureScheme.Ed25519 => algorithm == KeyAlgorithm.Ed25519,
            _ => false,
        };
        return fits ? scheme : throw new CustodyException(CustodyStatus.InvalidArgument,
            $"Key '{key.Record.Name}' is {Algorithms.Name(algorithm)} and cannot make {scheme} signatures.");
    }

    private static string Needs(KeyPolicy policy) =>
        policy.Approvals.Required > 0
            ? $"{policy.Approvals.Required} approval(s) from group \"{policy.Approvals.Group}\"{(policy.Presence.Required ? " and a button press" : string.Empty)}"
            : "a button press";
}
