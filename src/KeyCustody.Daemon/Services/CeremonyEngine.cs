// SPDX-License-Identifier: Apache-2.0
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using KeyCustody.Audit;
using KeyCustody.Core;
using KeyCustody.Core.Ports;
using KeyCustody.Governance;
using KeyCustody.Governance.Ceremonies;
using KeyCustody.Storage;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;

namespace KeyCustody.Daemon.Services;

/// <summary>
/// The service layer of custodian ceremonies: proposals with a canonical statement, endorsements verified by
/// <see cref="EndorsementProcessor"/>, and execution once M distinct custodians endorsed. Every proposal, endorsement,
/// refusal and execution is an audit entry committed in the same transaction as the state it changes. Ceremonies
/// are rare, so one async lock serialises them all; proposals are read from the store, never cached.
/// </summary>
internal sealed partial class CeremonyEngine
{
    /// <summary>The gov_meta name of the custodian quorum M.</summary>
    public const string QuorumMeta = "custodian_quorum";

    private static readonly TimeSpan s_defaultValidity = TimeSpan.FromHours(24);
    private static readonly TimeSpan s_minValidity = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan s_maxValidity = TimeSpan.FromDays(7);

    private readonly SigningEngine _signing;
    private readonly CeremonyStore _store;
    private readonly GovernanceStore _governance;
    private readonly IAuditSigner? _auditSigner;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly EndorsementProcessor _processor;
    private readonly SemaphoreSlim _gate = new(1, 1);

    /// <summary>Creates the engine over the running signing engine's log and key store.</summary>
    public CeremonyEngine(SigningEngine signing, IAuditSigner? auditSigner, TimeProvider time, ILogger logger)
    {
        _signing = signing;
        _store = new CeremonyStore(signing.Audit.OpenReadConnection);
        _governance = new GovernanceStore(signing.Audit.OpenReadConnection);
        _auditSigner = auditSigner;
        _time = time;
        _logger = logger;
        _processor = new EndorsementProcessor(time);
    }

    /// <summary>The custodian quorum M in force.</summary>
    public async Task<int> QuorumAsync(CancellationToken cancellationToken)
    {
        string? stored = await _store.GetMetaAsync(QuorumMeta, cancellationToken).ConfigureAwait(false);
        return stored is not null ? int.Parse(stored, CultureInfo.InvariantCulture) : CustodianQuorum.Default(_signing.Roster.Custodians.Count);
    }

    /// <summary>A proposal by id; NotFound when unknown. An open proposal past its expiry is reported (and recorded) as Expired.</summary>
    public async Task<CeremonyProposal> GetAsync(string? id, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await SweepRetiringAsync(cancellationToken).ConfigureAwait(false);
            CeremonyProposal proposal = await LoadAsync(id, cancellationToken).ConfigureAwait(false);
            try
            {
                proposal.ThrowIfExpired(_time.GetUtcNow());
            }
            catch (CustodyException) when (proposal.State == CeremonyState.Expired)
            {
                await RecordExpiryAsync(proposal, cancellationToken).ConfigureAwait(false);
            }

            return proposal;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// Creates a proposal after validating its parameters against the current state. Refusals (a second genesis, a
    /// quorum out of range, bad parameters) are audited as <c>ceremony.rejected</c> and thrown.
    /// </summary>
    public async Task<CeremonyProposal> ProposeAsync(CeremonyKind kind, string? parametersJson, string? comment, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await SweepRetiringAsync(cancellationToken).ConfigureAwait(false);
            DateTimeOffset now = _time.GetUtcNow();
            string parameters = string.IsNullOrWhiteSpace(parametersJson) ? "{}" : parametersJson;
            CeremonyProposal proposal;
            try
            {
                if (!Enum.IsDefined(kind))
                {
                    throw new CustodyException(CustodyStatus.InvalidArgument, "The ceremony kind is missing or unknown.");
                }

                if (!CanonicalJson.TryCanonicalize(parameters, out string? canonical, out string? jsonError) || JsonNode.Parse(canonical) is not JsonObject document)
                {
                    throw new CustodyException(CustodyStatus.InvalidArgument, $"The ceremony parameters must be a JSON object: {jsonError ?? "not an object"}.");
                }

                parameters = canonical;
                int quorum = await QuorumAsync(cancellationToken).ConfigureAwait(false);
                int custodians = _signing.Roster.Custodians.Count;
                if (quorum < CustodianQuorum.Minimum)
                {
                    throw new CustodyException(CustodyStatus.NotProvisioned,
                        $"The appliance has {custodians} custodian(s); ceremonies need a quorum of at least {CustodianQuorum.Minimum} custodians.");
                }

                TimeSpan validity = s_defaultValidity;
                if (document["proposalValidity"] is { } validityNode)
                {
                    if (!DurationText.TryParse(validityNode.GetValueKind() == System.Text.Json.JsonValueKind.String ? validityNode.GetValue<string>() : null, out validity)
                        || validity < s_minValidity || validity > s_maxValidity)
                    {
                        throw new CustodyException(CustodyStatus.InvalidArgument, "$.proposalValidity: must be a duration from 10s to 7d, e.g. \"1h\".");
                    }
                }

                await ValidateAsync(kind, document, cancellationToken).ConfigureAwait(false);
                string id = "cer-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(10));
                proposal = new CeremonyProposal(id, kind, parameters, StatementText.NewNonce(), now, now + validity, quorum, presenceRequired: false,
                    string.IsNullOrWhiteSpace(comment) ? null : comment.Trim());
            }
            catch (CustodyException refused)
            {
                await AppendAsync(AuditEntry.Create(AuditEventTypes.CeremonyRejected, now)
                    .Add("stage", "propose")
                    .Add("kind", Enum.IsDefined(kind) ? CeremonyKinds.Name(kind) : kind.ToString())
                    .AddHex("parameters_sha256", SHA256.HashData(Encoding.UTF8.GetBytes(parameters)))
                    .Add("status", refused.Status)
                    .Add("rejection", refused.Message), null, cancellationToken).ConfigureAwait(false);
                throw;
            }

            await AppendAsync(Describe(AuditEntry.Create(AuditEventTypes.CeremonyProposed, now), proposal)
                .Add("parameters", proposal.ParametersJson)
                .Add("statement", proposal.Statement.ToText())
                .Add("comment", proposal.Comment), (c, t) => CeremonyStore.WriteCeremony(c, t, proposal), cancellationToken).ConfigureAwait(false);
            DaemonLog.Ceremony(_logger, proposal.Id, CeremonyKinds.Name(kind), "proposed");
            return proposal;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// Verifies and records a custodian's endorsement; the quorum-completing endorsement executes the ceremony.
    /// Rejected endorsements are audited as <c>ceremony.rejected</c> and thrown.
    /// </summary>
    public async Task<CeremonyProposal> EndorseAsync(string? id, byte[] statement, string? armoredSignature, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await SweepRetiringAsync(cancellationToken).ConfigureAwait(false);
            CeremonyProposal proposal = await LoadAsync(id, cancellationToken).ConfigureAwait(false);
            CeremonyState before = proposal.State;
            CeremonyEndorsement endorsement;
            try
            {
                endorsement = _processor.Endorse(proposal, _signing.Roster, statement, armoredSignature ?? string.Empty);
            }
            catch (CustodyException rejected)
            {
                AuditEntry entry = Describe(AuditEntry.Create(AuditEventTypes.CeremonyRejected, _time.GetUtcNow()), proposal)
                    .Add("stage", "endorse")
                    .Add("status", rejected.Status)
                    .Add("rejection", rejected.Message)
                    .AddHex("signature_sha256", SHA256.HashData(Encoding.UTF8.GetBytes((armoredSignature ?? string.Empty).Trim())));
                bool expiredNow = before != CeremonyState.Expired && proposal.State == CeremonyState.Expired;
                await AppendAsync(entry, expiredNow ? (c, t) => CeremonyStore.WriteCeremony(c, t, proposal) : null, cancellationToken).ConfigureAwait(false);
                throw;
            }

            await AppendAsync(Describe(AuditEntry.Create(AuditEventTypes.CeremonyEndorsed, endorsement.At), proposal)
                .Add("custodian", endorsement.Custodian)
                .Add("key_fingerprint", endorsement.KeyFingerprint)
                .Add("signature_sha256", endorsement.SignatureSha256)
                .Add("ssh_signature", endorsement.Signature)
                .Add("endorsements", proposal.Endorsements.Count), (c, t) => CeremonyStore.WriteCeremony(c, t, proposal), cancellationToken)
                .ConfigureAwait(false);
            DaemonLog.Ceremony(_logger, proposal.Id, CeremonyKinds.Name(proposal.Kind), $"endorsed by {endorsement.Custodian}");
            if (proposal.QuorumReached && proposal.State == CeremonyState.AwaitingEndorsements)
            {
                await ExecuteAsync(proposal, cancellationToken).ConfigureAwait(false);
            }

            return proposal;
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task ExecuteAsync(CeremonyProposal proposal, CancellationToken cancellationToken)
    {
        var document = (JsonObject)JsonNode.Parse(proposal.ParametersJson)!;
        Execution execution;
        try
        {
            // Checked again: the state may have changed since the proposal (another ceremony ran meanwhile).
            await ValidateAsync(proposal.Kind, document, cancellationToken).ConfigureAwait(false);
            execution = await PrepareAsync(proposal, document, cancellationToken).ConfigureAwait(false);
        }
        catch (CustodyException failed)
        {
            proposal.MarkFailed($"{failed.Status}: {failed.Message}");
            await AppendAsync(Describe(AuditEntry.Create(AuditEventTypes.CeremonyRejected, _time.GetUtcNow()), proposal)
                .Add("stage", "execute")
                .Add("status", failed.Status)
                .Add("rejection", failed.Message), (c, t) => CeremonyStore.WriteCeremony(c, t, proposal), cancellationToken).ConfigureAwait(false);
            DaemonLog.Ceremony(_logger, proposal.Id, CeremonyKinds.Name(proposal.Kind), $"failed ({failed.Status})");
            return;
        }

        proposal.MarkExecuted(execution.Result.ToJsonString());
        AuditEntry completed = Describe(AuditEntry.Create(AuditEventTypes.CeremonyCompleted, _time.GetUtcNow()), proposal)
            .Add("parameters", proposal.ParametersJson)
            .Add("result", proposal.ResultJson)
            .AddObjects("endorsements", proposal.Endorsements, (e, endorsement) => e
                .Add("custodian", endorsement.Custodian)
                .Add("key_fingerprint", endorsement.KeyFingerprint)
                .Add("signature_sha256", endorsement.SignatureSha256));
        await AppendAsync(completed, (c, t) =>
        {
            execution.Apply(c, t);
            CeremonyStore.WriteCeremony(c, t, proposal);
        }, cancellationToken).ConfigureAwait(false);
        execution.Publish?.Invoke();
        DaemonLog.Ceremony(_logger, proposal.Id, CeremonyKinds.Name(proposal.Kind), "executed");
    }

    private async Task RecordExpiryAsync(CeremonyProposal proposal, CancellationToken cancellationToken)
    {
        CeremonyProposal? stored = await _store.GetAsync(proposal.Id, cancellationToken).ConfigureAwait(false);
        if (stored is not null && stored.State != CeremonyState.Expired)
        {
            await AppendAsync(Describe(AuditEntry.Create(AuditEventTypes.CeremonyRejected, _time.GetUtcNow()), proposal)
                .Add("stage", "expire")
                .Add("status", CustodyStatus.Expired)
                .Add("rejection", proposal.StateReason), (c, t) => CeremonyStore.WriteCeremony(c, t, proposal), cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task<CeremonyProposal> LoadAsync(string? id, CancellationToken cancellationToken)
    {
        if (!StatementText.IsValidId(id))
        {
            throw new CustodyException(CustodyStatus.InvalidArgument, $"'{id}' is not a ceremony id.");
        }

        return await _store.GetAsync(id!, cancellationToken).ConfigureAwait(false)
            ?? throw new CustodyException(CustodyStatus.NotFound, $"There is no ceremony '{id}'.");
    }

    private static AuditEntry Describe(AuditEntry entry, CeremonyProposal proposal) => entry
        .Add("ceremony_id", proposal.Id)
        .Add("kind", CeremonyKinds.Name(proposal.Kind))
        .Add("state", CeremonyProposal.Name(proposal.State))
        .Add("endorsements_required", proposal.EndorsementsRequired)
        .Add("expires_at", proposal.ExpiresAt);

    private async Task AppendAsync(AuditEntry entry, Action<SqliteConnection, SqliteTransaction>? stateChange, CancellationToken cancellationToken)
    {
        try
        {
            await _signing.Audit.AppendAsync(entry.ToUtf8(), stateChange, cancellationToken).ConfigureAwait(false);
        }
        catch (CustodyException ex)
        {
            DaemonLog.AuditFailed(_logger, entry.Type, ex.Status, ex.Message);
            throw;
        }
        catch (SqliteException ex)
        {
            DaemonLog.AuditFailed(_logger, entry.Type, CustodyStatus.AuditUnavailable, $"SQLite error {ex.SqliteErrorCode}");
            throw new CustodyException(CustodyStatus.AuditUnavailable, $"The {entry.Type} record could not be stored (SQLite error {ex.SqliteErrorCode}); nothing changed.", ex);
        }
    }

    /// <summary>What executing a ceremony does: store changes (in the audit transaction), then the in-memory publication.</summary>
    /// <param name="Result">The result JSON returned to custodians and logged.</param>
    /// <param name="Apply">Store changes, run inside the completing entry's transaction.</param>
    /// <param name="Publish">Runs after the commit (served keys, roster).</param>
    private sealed record Execution(JsonObject Result, Action<SqliteConnection, SqliteTransaction> Apply, Action? Publish);
}
