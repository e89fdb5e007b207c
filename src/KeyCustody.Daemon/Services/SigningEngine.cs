// SPDX-License-Identifier: Apache-2.0
using System.Security.Cryptography;
using KeyCustody.Audit;
using KeyCustody.Core;
using KeyCustody.Core.Ports;
using KeyCustody.Governance;
using KeyCustody.Storage;
using Microsoft.Extensions.Logging;

namespace KeyCustody.Daemon.Services;

/// <summary>A signing key as the engine serves it: its governance record and the policy in force.</summary>
/// <param name="Record">The stored record.</param>
/// <param name="Policy">The current policy.</param>
internal sealed record ServedKey(GovernanceKeyRecord Record, KeyPolicy Policy);

/// <summary>What the API carries beside a request's governance state.</summary>
/// <param name="Scheme">The signature scheme (resolved: never 0).</param>
/// <param name="Metadata">Artifact metadata, protobuf bytes.</param>
/// <param name="Provenance">Provenance, protobuf bytes.</param>
/// <param name="ClientToken">The idempotency token.</param>
/// <param name="RequesterSha256">The requester's certificate fingerprint.</param>
internal sealed record RequestExtras(SignatureScheme Scheme, byte[]? Metadata, byte[]? Provenance, string? ClientToken, string? RequesterSha256);

/// <summary>A request as the API reports it.</summary>
/// <param name="Request">The governance state.</param>
/// <param name="Extras">Its API fields.</param>
/// <param name="Signature">The signature once signed.</param>
/// <param name="SignedIndex">The audit index of its signed entry.</param>
/// <param name="LastIndex">The audit index of its latest entry.</param>
internal sealed record RequestView(SigningRequest Request, RequestExtras Extras, byte[]? Signature, long? SignedIndex, long? LastIndex);

/// <summary>
/// The service layer of governed signing: authentication results in, policy checks (KeyCustody.Governance), state
/// changes persisted with their audit entries in one transaction (GovernanceStore + SqliteAuditLog), HSM signing
/// (ISigningKeyStore) only after every rule passed, and signatures released only once their audit entry is durable.
/// <para>
/// Concurrency: governed requests (approvals, presence, cancel, expiry) change under one async lock, because the
/// state machine and the presence coordinator are not thread-safe. One-shot signing of keys that need no quorum
/// takes only a short monitor for the rate-limit bookkeeping, so many such signatures run in parallel and share
/// the audit log's group commits.
/// </para>
/// </summary>
internal sealed partial class SigningEngine
{
    private readonly SqliteAuditLog _audit;
    private readonly GovernanceStore _store;
    private readonly ISigningKeyStore _hsm;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly ApprovalProcessor _approvals;
    private readonly PresenceCoordinator _presence;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly Lock _fast = new();
    private readonly Dictionary<KeyName, ServedKey> _keys;
    private readonly Dictionary<string, SigningRequest> _open = new(StringComparer.Ordinal);
    private readonly Dictionary<string, RequestExtras> _extras = new(StringComparer.Ordinal);
    private readonly Dictionary<KeyName, List<RequestHistoryEntry>> _history = [];
    private readonly Dictionary<KeyName, (long Count, DateTimeOffset? LastUsed)> _usage = [];
    private Roster _roster;

    private SigningEngine(SqliteAuditLog audit, GovernanceStore store, ISigningKeyStore hsm, TimeProvider time, ILogger logger,
        Roster roster, Dictionary<KeyName, ServedKey> keys)
    {
        _audit = audit;
        _store = store;
        _hsm = hsm;
        _time = time;
        _logger = logger;
        _roster = roster;
        _keys = keys;
        _approvals = new ApprovalProcessor(time);
        _presence = new PresenceCoordinator(time);
        foreach (ServedKey key in keys.Values)
        {
            _usage[key.Record.Name] = (key.Record.SignatureCount, key.Record.LastUsedAt);
        }
    }

    /// <summary>Raised (outside any lock) with a request id each time that request changes.</summary>
    public event Action<string>? RequestChanged;

    /// <summary>Raised when the LED should change.</summary>
    public event Action<LedState>? LedChanged;

    /// <summary>The roster in force.</summary>
    public Roster Roster => _roster;

    /// <summary>The served keys, by name.</summary>
    public IReadOnlyCollection<ServedKey> Keys => _keys.Values;

    /// <summary>The audit log.</summary>
    public SqliteAuditLog Audit => _audit;

    /// <summary>The next instant the presence coordinator has work, or null.</summary>
    public DateTimeOffset? NextPresenceDeadline
    {
        get
        {
            lock (_fast)
            {
                return _presence.NextDeadline;
            }
        }
    }

    /// <summary>
    /// Loads roster, keys, policies and open requests from the store, checks every active key is in the HSM, and
    /// puts requests that await presence back in the button queue (in the order their quorum was reached).
    /// </summary>
    public static async Task<SigningEngine> LoadAsync(
        SqliteAuditLog audit, GovernanceStore store, ISigningKeyStore hsm, TimeProvider time, ILogger logger, CancellationToken cancellationToken)
    {
        Roster roster = await store.LoadRosterAsync(cancellationToken).ConfigureAwait(false)
            ?? throw new CustodyException(CustodyStatus.NotProvisioned, "The appliance has no genesis: no roster, keys or policies are stored.");
        IReadOnlyList<StoredPolicy> policies = await store.LoadCurrentPoliciesAsync(cancellationToken).ConfigureAwait(false);
        var keys = new Dictionary<KeyName, ServedKey>();
        foreach (GovernanceKeyRecord record in await store.LoadKeysAsync(cancellationToken).ConfigureAwait(false))
        {
            StoredPolicy stored = policies.FirstOrDefault(p => p.Key == record.Name)
                ?? throw new CustodyException(CustodyStatus.NotProvisioned, $"Key '{record.Name}' has no stored policy.");
            KeyPolicy policy = KeyPolicy.Parse(stored.Document);
            if (record.Status == GovernanceKeyRecord.Active)
            {
                KeyInfo? info = await hsm.FindKeyAsync(record.Name, cancellationToken).ConfigureAwait(false);
                if (info is null)
                {
                    throw new CustodyException(CustodyStatus.NotProvisioned,
                        $"Key '{record.Name}' is active in the governance state but missing from the HSM.");
                }

                if (!info.SubjectPublicKeyInfo.Span.SequenceEqual(record.SubjectPublicKeyInfo))
                {
                    throw new CustodyException(CustodyStatus.DeviceFault,
                        $"The HSM's key '{record.Name}' is not the key the governance state recorded (public keys differ).");
                }
            }

            keys[record.Name] = new ServedKey(record, policy);
        }

        var engine = new SigningEngine(audit, store, hsm, time, logger, roster, keys);
        DateTimeOffset now = time.GetUtcNow();
        foreach (ServedKey key in keys.Values)
        {
            TimeSpan window = RateLimiter.LongestWindow(key.Policy.RateLimits);
            engine._history[key.Record.Name] = window > TimeSpan.Zero
                ? [.. await store.LoadHistoryAsync(key.Record.Name, now - window, cancellationToken).ConfigureAwait(false)]
                : [];
        }

        IReadOnlyList<StoredRequest> open = await store.LoadOpenRequestsAsync(cancellationToken).ConfigureAwait(false);
        foreach (StoredRequest stored in open)
        {
            SigningRequest request = SigningRequest.FromSnapshot(stored.Snapshot);
            engine._open[request.Id] = request;
            engine._extras[request.Id] = new RequestExtras((SignatureScheme)stored.Scheme, stored.Metadata, stored.Provenance, stored.ClientToken, null);
        }

        await engine._gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            foreach (SigningRequest request in engine._open.Values
                         .Where(r => r.State is SigningRequestState.AwaitingPresence or SigningRequestState.PresenceActive)
                         .OrderBy(r => r.QuorumReachedAt ?? r.CreatedAt).ToList())
            {
                IReadOnlyList<PresenceEvent> events;
                lock (engine._fast)
                {
                    events = engine._presence.Enqueue(request);
                }

                await engine.ApplyPresenceEventsAsync(events, cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            engine._gate.Release();
        }

        return engine;
    }

    /// <summary>The served key or NotFound; KeyNotActive unless active.</summary>
    public ServedKey RequireKey(string? name, bool active = true)
    {
        KeyName key = KeyName.Parse(name);
        if (!_keys.TryGetValue(key, out ServedKey? served))
        {
            throw new CustodyException(CustodyStatus.NotFound, $"There is no key named '{key}' on this appliance.");
        }

        if (active && served.Record.Status != GovernanceKeyRecord.Active)
        {
            throw new CustodyException(CustodyStatus.KeyNotActive, $"Key '{key}' is {served.Record.Status} and signs nothing.");
        }

        return served;
    }

    /// <summary>Signatures made and last use of a key (kept current in memory).</summary>
    public (long Count, DateTimeOffset? LastUsed) Usage(KeyName key)
    {
        lock (_fast)
        {
            return _usage.TryGetValue(key, out var usage) ? usage : (0, null);
        }
    }

    /// <summary>A request by id: open ones from memory, others from the store. NotFound when unknown.</summary>
    public async Task<RequestView> GetAsync(string? id, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(id) || !StatementText.IsValidId(id))
        {
            throw new CustodyException(CustodyStatus.InvalidArgument, $"'{id}' is not a request id.");
        }

        StoredRequest? stored = await _store.GetRequestAsync(id, cancellationToken).ConfigureAwait(false);
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_open.TryGetValue(id, out SigningRequest? open))
            {
                // Rebuild a copy so callers never hold the live state machine outside the lock.
                return new RequestView(SigningRequest.FromSnapshot(open.ToSnapshot()), _extras[id], stored?.Signature, stored?.SignedIndex, stored?.LastIndex);
            }
        }
        finally
        {
            _gate.Release();
        }

        if (stored is null)
        {
            throw new CustodyException(CustodyStatus.NotFound, $"There is no signing request '{id}'.");
        }

        return View(stored);
    }

    /// <summary>The requests that still await officers or the button, oldest first (copies).</summary>
    public async Task<IReadOnlyList<(SigningRequest Request, RequestExtras Extras)>> ListOpenAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            DateTimeOffset now = _time.GetUtcNow();
            return _open.Values
                .Where(r => !r.IsTerminal && r.State != SigningRequestState.Approved && r.ExpiresAt > now)
                .OrderBy(r => r.CreatedAt)
                .Select(r => (SigningRequest.FromSnapshot(r.ToSnapshot()), _extras[r.Id]))
                .ToList();
        }
        finally
        {
            _gate.Release();
        }
    }

    private static RequestView View(StoredRequest stored) =>
        new(SigningRequest.FromSnapshot(stored.Snapshot),
            new RequestExtras((SignatureScheme)stored.Scheme, stored.Metadata, stored.Provenance, stored.ClientToken, null),
            stored.Signature, stored.SignedIndex, stored.LastIndex);

    private static string NewRequestId() => "req-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(10));

    private void Changed(string requestId)
    {
        try
        {
            RequestChanged?.Invoke(requestId);
        }
        catch (Exception ex)
        {
            DaemonLog.BackgroundFailed(_logger, ex, "request change notification");
        }
    }

    private void UpdateLed()
    {
        LedState led;
        lock (_fast)
        {
            led = _presence.Led;
        }

        LedChanged?.Invoke(led);
    }
}
