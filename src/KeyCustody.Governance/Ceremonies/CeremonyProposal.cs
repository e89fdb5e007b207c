// SPDX-License-Identifier: Apache-2.0
using System.Text.Json;
using System.Text.Json.Serialization;
using KeyCustody.Core;

namespace KeyCustody.Governance.Ceremonies;

/// <summary>
/// A ceremony proposal and its state machine: AwaitingEndorsements → (AwaitingPresence →) Executed, or Expired
/// when the quorum is not reached in time, or Failed when executing failed. The statement custodians sign is
/// fixed at proposal time (<see cref="Statement"/>). Not thread-safe; the daemon changes it under one lock.
/// </summary>
public sealed class CeremonyProposal
{
    private static readonly JsonSerializerOptions s_json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
    };

    private readonly List<CeremonyEndorsement> _endorsements;

    /// <summary>Creates a proposal awaiting endorsements.</summary>
    public CeremonyProposal(string id, CeremonyKind kind, string parametersJson, string nonce, DateTimeOffset createdAt,
        DateTimeOffset expiresAt, int endorsementsRequired, bool presenceRequired, string? comment = null)
        : this(new CeremonyStatement(id, CeremonyKinds.Name(kind), parametersJson, nonce, expiresAt), kind, createdAt,
            endorsementsRequired, presenceRequired, comment, [], CeremonyState.AwaitingEndorsements, null, null)
    {
        if (endorsementsRequired < CustodianQuorum.Minimum)
        {
            throw new ArgumentOutOfRangeException(nameof(endorsementsRequired), endorsementsRequired, "a ceremony needs at least two endorsements");
        }

        if (expiresAt <= createdAt)
        {
            throw new ArgumentException("The proposal must expire after it was created.", nameof(expiresAt));
        }
    }

    private CeremonyProposal(CeremonyStatement statement, CeremonyKind kind, DateTimeOffset createdAt, int required, bool presence,
        string? comment, List<CeremonyEndorsement> endorsements, CeremonyState state, string? reason, string? result)
    {
        Statement = statement;
        Kind = kind;
        CreatedAt = StatementText.TruncateToSeconds(createdAt);
        EndorsementsRequired = required;
        PresenceRequired = presence;
        Comment = comment;
        _endorsements = endorsements;
        State = state;
        StateReason = reason;
        ResultJson = result;
    }

    /// <summary>The ceremony id.</summary>
    public string Id => Statement.CeremonyId;

    /// <summary>The kind.</summary>
    public CeremonyKind Kind { get; }

    /// <summary>The statement custodians sign, byte for byte.</summary>
    public CeremonyStatement Statement { get; }

    /// <summary>The parameters (canonical JSON).</summary>
    public string ParametersJson => Statement.ParametersJson;

    /// <summary>When it was proposed.</summary>
    public DateTimeOffset CreatedAt { get; }

    /// <summary>When endorsements stop being accepted.</summary>
    public DateTimeOffset ExpiresAt => Statement.ExpiresAt;

    /// <summary>M: distinct custodians needed.</summary>
    public int EndorsementsRequired { get; }

    /// <summary>True when the button must confirm after quorum.</summary>
    public bool PresenceRequired { get; }

    /// <summary>The proposer's free-text comment.</summary>
    public string? Comment { get; }

    /// <summary>The accepted endorsements, in order.</summary>
    public IReadOnlyList<CeremonyEndorsement> Endorsements => _endorsements;

    /// <summary>The state.</summary>
    public CeremonyState State { get; private set; }

    /// <summary>Why it is in its state (for Expired and Failed).</summary>
    public string? StateReason { get; private set; }

    /// <summary>The kind-specific result once executed (JSON).</summary>
    public string? ResultJson { get; private set; }

    /// <summary>True once it can change no more.</summary>
    public bool IsTerminal => State is CeremonyState.Executed or CeremonyState.Expired or CeremonyState.Failed;

    /// <summary>True when the quorum is complete.</summary>
    public bool QuorumReached => _endorsements.Count >= EndorsementsRequired;

    /// <summary>Moves to Expired (and throws Expired) when <paramref name="now"/> is past the expiry and the ceremony has not executed.</summary>
    public void ThrowIfExpired(DateTimeOffset now)
    {
        if (State is CeremonyState.AwaitingEndorsements or CeremonyState.AwaitingPresence && now >= ExpiresAt)
        {
            State = CeremonyState.Expired;
            StateReason = $"{_endorsements.Count} of {EndorsementsRequired} endorsements before the expiry at {StatementText.FormatTimestamp(ExpiresAt)}";
        }

        if (State == CeremonyState.Expired)
        {
            throw new CustodyException(CustodyStatus.Expired,
                $"Ceremony {Id} expired at {StatementText.FormatTimestamp(ExpiresAt)} with {_endorsements.Count} of {EndorsementsRequired} endorsements; propose it again.");
        }
    }

    /// <summary>Records an accepted endorsement (the processor checked it). Quorum moves to AwaitingPresence when the kind asks for it.</summary>
    internal void AddEndorsement(CeremonyEndorsement endorsement)
    {
        if (State != CeremonyState.AwaitingEndorsements)
        {
            throw new CustodyException(CustodyStatus.WrongState, $"Ceremony {Id} is {Name(State)} and takes no more endorsements.");
        }

        _endorsements.Add(endorsement);
        if (QuorumReached && PresenceRequired)
        {
            State = CeremonyState.AwaitingPresence;
        }
    }

    /// <summary>Marks the ceremony executed with its result.</summary>
    public void MarkExecuted(string resultJson)
    {
        if (IsTerminal || !QuorumReached)
        {
            throw new CustodyException(CustodyStatus.WrongState, $"Ceremony {Id} is {Name(State)} and cannot execute.");
        }

        State = CeremonyState.Executed;
        ResultJson = resultJson;
        StateReason = null;
    }

    /// <summary>Marks the ceremony failed (nothing changed) with a reason a custodian can act on.</summary>
    public void MarkFailed(string reason)
    {
        State = CeremonyState.Failed;
        StateReason = reason;
    }

    /// <summary>The state's lower-case name (<c>awaiting_endorsements</c>, …).</summary>
    public static string Name(CeremonyState state) => JsonNamingPolicy.SnakeCaseLower.ConvertName(state.ToString());

    /// <summary>Serialises every field for storage.</summary>
    public string ToJson() => JsonSerializer.Serialize(new Snapshot(
        Id, CeremonyKinds.Name(Kind), ParametersJson, Statement.Nonce, CreatedAt, ExpiresAt, EndorsementsRequired, PresenceRequired,
        Comment, [.. _endorsements], State, StateReason, ResultJson), s_json);

    /// <summary>Rebuilds a proposal stored with <see cref="ToJson"/>.</summary>
    public static CeremonyProposal FromJson(string json)
    {
        Snapshot s = JsonSerializer.Deserialize<Snapshot>(json, s_json)
            ?? throw new CustodyException(CustodyStatus.AuditCorrupt, "A stored ceremony is null.");
        if (!CeremonyKinds.TryParse(s.Kind, out CeremonyKind? kind))
        {
            throw new CustodyException(CustodyStatus.AuditCorrupt, $"Stored ceremony {s.Id} has an unknown kind '{s.Kind}'.");
        }

        return new CeremonyProposal(new CeremonyStatement(s.Id, s.Kind, s.Parameters, s.Nonce, s.ExpiresAt), kind.Value, s.CreatedAt,
            s.EndorsementsRequired, s.PresenceRequired, s.Comment, [.. s.Endorsements], s.State, s.StateReason, s.Result);
    }

    private sealed record Snapshot(
        string Id, string Kind, string Parameters, string Nonce, DateTimeOffset CreatedAt, DateTimeOffset ExpiresAt, int EndorsementsRequired,
        bool PresenceRequired, string? Comment, CeremonyEndorsement[] Endorsements, CeremonyState State, string? StateReason, string? Result);
}
