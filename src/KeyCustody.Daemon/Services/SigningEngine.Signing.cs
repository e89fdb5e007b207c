// SPDX-License-Identifier: Apache-2.0
using System.Security.Cryptography;
using KeyCustody.Audit;
using KeyCustody.Core;
using KeyCustody.Core.Ports;
using KeyCustody.Governance;
using KeyCustody.Storage;
using Microsoft.Data.Sqlite;

namespace KeyCustody.Daemon.Services;

internal sealed partial class SigningEngine
{
    /// <summary>
    /// Signs a request that passed every rule (state Approved): HSM signature (the store verifies it against the
    /// public key), then the <c>signing.signed</c> entry and the request row commit together; only after that commit
    /// does the signature exist anywhere but in this method. If the commit fails the signature is dropped and the
    /// request stays Approved (it is signed again later); if the HSM fails the request becomes Failed.
    /// Governed requests are signed under the governance lock; one-shot requests outside it.
    /// </summary>
    /// <returns>The signature and the audit index of the signed entry.</returns>
    private async Task<(byte[] Signature, long Index)> SignApprovedAsync(
        SigningRequest request, RequestExtras extras, IReadOnlyDictionary<string, string>? metadata, bool governed, CancellationToken cancellationToken)
    {
        // Governed requests live in _open and are signed under the governance lock; one-shot requests never enter
        // _open and run outside the lock, so they must not touch those dictionaries (governed = false).
        byte[] signature;
        try
        {
            signature = await _hsm.SignAsync(request.Key, new SignInput(request.Digest, request.DigestAlgorithm, extras.Scheme), cancellationToken)
                .ConfigureAwait(false);
        }
        catch (CustodyException failure) when (failure.Status is not CustodyStatus.Cancelled)
        {
            request.MarkFailed($"the HSM could not sign ({failure.Status}): {failure.Message}", _time.GetUtcNow());
            var failed = new StoredRequest(request.ToSnapshot(), (int)extras.Scheme, extras.Metadata, extras.Provenance, extras.ClientToken, null, null, null);
            AuditEntry entry = Describe(AuditEntry.Create(AuditEventTypes.SigningFailed, _time.GetUtcNow()), request)
                .Add("status", failure.Status)
                .Add("reason", failure.Message);
            try
            {
                await AppendAsync(entry, (c, t) => GovernanceStore.WriteRequest(c, t, failed, signedEntry: false), CancellationToken.None).ConfigureAwait(false);
            }
            catch (CustodyException auditFailure)
            {
                DaemonLog.AuditFailed(_logger, "signing.failed", auditFailure.Status, auditFailure.Message);
            }

            if (governed)
            {
                _open.Remove(request.Id);
                _extras.Remove(request.Id);
            }

            Changed(request.Id);
            throw;
        }

        SigningRequestSnapshot before = request.ToSnapshot();
        DateTimeOffset now = _time.GetUtcNow();
        request.MarkSigned(now);
        var stored = new StoredRequest(request.ToSnapshot(), (int)extras.Scheme, extras.Metadata, extras.Provenance, extras.ClientToken, signature, null, null);
        AuditEntry signed = SignedEntry(request, extras, signature, metadata);
        long index;
        try
        {
            index = await AppendAsync(signed, (c, t) =>
            {
                GovernanceStore.WriteRequest(c, t, stored, signedEntry: true);
                GovernanceStore.WriteKeyUse(c, t, request.Key, now);
            }, CancellationToken.None).ConfigureAwait(false);
        }
        catch
        {
            // Fail closed: no durable record, no signature. The request is Approved again and retried later.
            CryptographicOperations.ZeroMemory(signature);
            if (governed)
            {
                _open[request.Id] = SigningRequest.FromSnapshot(before);
            }

            throw;
        }

        lock (_fast)
        {
            (long count, _) = _usage.GetValueOrDefault(request.Key);
            _usage[request.Key] = (count + 1, now);
        }

        if (governed)
        {
            _open.Remove(request.Id);
            _extras.Remove(request.Id);
        }

        Changed(request.Id);
        return (signature, index);
    }

    /// <summary>Persists a request's new state with one audit entry of <paramref name="type"/>.</summary>
    private Task<long> PersistTransitionAsync(SigningRequest request, string type, Action<AuditEntry>? more, CancellationToken cancellationToken)
    {
        RequestExtras extras = _extras.TryGetValue(request.Id, out RequestExtras? e) ? e : new RequestExtras(SignatureScheme.EcdsaDer, null, null, null, null);
        var stored = new StoredRequest(request.ToSnapshot(), (int)extras.Scheme, extras.Metadata, extras.Provenance, extras.ClientToken, null, null, null);
        AuditEntry entry = Describe(AuditEntry.Create(type, _time.GetUtcNow()), request);
        more?.Invoke(entry);
        return AppendAsync(entry, (c, t) => GovernanceStore.WriteRequest(c, t, stored, signedEntry: false), cancellationToken);
    }

    /// <summary>Appends one entry (and its state change) and waits until both are durable.</summary>
    private async Task<long> AppendAsync(AuditEntry entry, Action<SqliteConnection, SqliteTransaction>? stateChange, CancellationToken cancellationToken)
    {
        try
        {
            AuditAppendResult result = await _audit.AppendAsync(entry.ToUtf8(), stateChange, cancellationToken).ConfigureAwait(false);
            return result.Index;
        }
        catch (CustodyException ex)
        {
            DaemonLog.AuditFailed(_logger, entry.Type, ex.Status, ex.Message);
            throw;
        }
        catch (SqliteException ex)
        {
            DaemonLog.AuditFailed(_logger, entry.Type, CustodyStatus.AuditUnavailable, $"SQLite error {ex.SqliteErrorCode}");
            throw new CustodyException(CustodyStatus.AuditUnavailable,
                $"The {entry.Type} record could not be stored (SQLite error {ex.SqliteErrorCode}); nothing changed.", ex);
        }
    }

    private static AuditEntry Describe(AuditEntry entry, SigningRequest request) => entry
        .Add("request_id", request.Id)
        .Add("key", request.Key)
        .Add("state", request.State.Name())
        .Add("reason", request.StateReason);

    private static AuditEntry RequestedEntry(SigningRequest request, RequestExtras extras, IReadOnlyDictionary<string, string>? metadata)
    {
        AuditEntry entry = AuditEntry.Create(AuditEventTypes.SigningRequested, request.CreatedAt)
            .Add("request_id", request.Id)
            .Add("key", request.Key)
            .Add("digest_algorithm", Algorithms.Name(request.DigestAlgorithm))
            .Add("digest", request.DigestHex)
            .Add("scheme", extras.Scheme.ToString())
            .AddObject("requester", r => r
                .Add("subject", request.Requester.Subject)
                .Add("sans", request.Requester.SubjectAlternativeNames)
                .Add("certificate_sha256", extras.RequesterSha256))
            .Add("policy_version", request.PolicyVersion)
            .Add("state", request.State.Name())
            .Add("approvals_required", request.ApprovalsRequired)
            .Add("approver_group", request.ApproverGroup)
            .Add("presence_required", request.PresenceRequired)
            .Add("expires_at", request.ExpiresAt)
            .Add("nonce", request.Nonce);
        return AddArtifact(entry, extras, metadata);
    }

    private static AuditEntry SignedEntry(SigningRequest request, RequestExtras extras, byte[] signature, IReadOnlyDictionary<string, string>? metadata)
    {
        AuditEntry entry = AuditEntry.Create(AuditEventTypes.SigningSigned, request.CompletedAt ?? request.CreatedAt)
            .Add("request_id", request.Id)
            .Add("key", request.Key)
            .Add("digest_algorithm", Algorithms.Name(request.DigestAlgorithm))
            .Add("digest", request.DigestHex)
            .Add("scheme", extras.Scheme.ToString())
            .AddBase64("signature", signature)
            .AddObject("requester", r => r
                .Add("subject", request.Requester.Subject)
                .Add("sans", request.Requester.SubjectAlternativeNames)
                .Add("certificate_sha256", extras.RequesterSha256))
            .Add("policy_version", request.PolicyVersion)
            .AddObjects("approvals", request.Votes, (a, v) => a
                .Add("action", v.Action == ApprovalAction.Approve ? "approve" : "deny")
                .Add("officers", v.Officers)
                .Add("key_fingerprint", v.KeyFingerprint)
                .Add("at", v.At)
                .Add("signature_sha256", v.SignatureSha256))
            .Add("presence_required", request.PresenceRequired);
        if (request.PresenceRequired)
        {
            entry.Add("presence_code", request.PresenceCode);
        }

        return request.ApprovalsRequired == 0 && !request.PresenceRequired ? AddArtifact(entry, extras, metadata) : entry;
    }

    private static AuditEntry AddArtifact(AuditEntry entry, RequestExtras extras, IReadOnlyDictionary<string, string>? metadata)
    {
        if (metadata is { Count: > 0 })
        {
            entry.AddObject("metadata", m =>
            {
                foreach ((string name, string value) in metadata)
                {
                    m.Add(name, value);
                }
            });
        }

        if (extras.Provenance is { Length: > 0 } provenance)
        {
            entry.AddHex("provenance_sha256", SHA256.HashData(provenance));
        }

        return entry;
    }
}
