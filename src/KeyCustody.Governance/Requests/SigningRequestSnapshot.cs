// SPDX-License-Identifier: Apache-2.0
using System.Text.Json;
using System.Text.Json.Serialization;
using KeyCustody.Core;

namespace KeyCustody.Governance;

/// <summary>
/// Every field of a <see cref="SigningRequest"/> as plain values, for the daemon's store.
/// <see cref="ToJson"/>/<see cref="FromJson"/> give a stable JSON form; <see cref="SigningRequest.FromSnapshot"/>
/// checks consistency when loading.
/// </summary>
public sealed record SigningRequestSnapshot
{
    private static readonly JsonSerializerOptions s_json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase, allowIntegerValues: false) },
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    };

    /// <summary>The request id.</summary>
    public string Id { get; init; } = string.Empty;

    /// <summary>The key name.</summary>
    public string Key { get; init; } = string.Empty;

    /// <summary>The digest algorithm.</summary>
    public DigestAlgorithm DigestAlgorithm { get; init; }

    /// <summary>The digest, lower-case hex.</summary>
    public string Digest { get; init; } = string.Empty;

    /// <summary>The requester's certificate subject.</summary>
    public string RequesterSubject { get; init; } = string.Empty;

    /// <summary>The requester's subject alternative names.</summary>
    public IReadOnlyList<string> RequesterSans { get; init; } = [];

    /// <summary>The governing policy version.</summary>
    public long PolicyVersion { get; init; }

    /// <summary>M.</summary>
    public int ApprovalsRequired { get; init; }

    /// <summary>G.</summary>
    public string? ApproverGroup { get; init; }

    /// <summary>Approval validity.</summary>
    public TimeSpan ApprovalValidity { get; init; }

    /// <summary>Denials that end the request.</summary>
    public int DenialsToReject { get; init; } = 1;

    /// <summary>Presence needed.</summary>
    public bool PresenceRequired { get; init; }

    /// <summary>Presence window.</summary>
    public TimeSpan PresenceWindow { get; init; }

    /// <summary>Server nonce.</summary>
    public string Nonce { get; init; } = string.Empty;

    /// <summary>Submission time.</summary>
    public DateTimeOffset CreatedAt { get; init; }

    /// <summary>Expiry.</summary>
    public DateTimeOffset ExpiresAt { get; init; }

    /// <summary>State.</summary>
    public SigningRequestState State { get; init; }

    /// <summary>Reason for a terminal state.</summary>
    public string? StateReason { get; init; }

    /// <summary>When quorum was reached.</summary>
    public DateTimeOffset? QuorumReachedAt { get; init; }

    /// <summary>Presence deadline while PresenceActive.</summary>
    public DateTimeOffset? PresenceDeadline { get; init; }

    /// <summary>When Approved or terminal.</summary>
    public DateTimeOffset? CompletedAt { get; init; }

    /// <summary>Accepted votes.</summary>
    public IReadOnlyList<ApprovalRecord> Votes { get; init; } = [];

    /// <summary>Serialises the snapshot as JSON (camelCase, enums as names).</summary>
    public string ToJson() => JsonSerializer.Serialize(this, s_json);

    /// <summary>Reads a snapshot written by <see cref="ToJson"/>; throws InvalidArgument when it cannot.</summary>
    public static SigningRequestSnapshot FromJson(string json)
    {
        try
        {
            return JsonSerializer.Deserialize<SigningRequestSnapshot>(json, s_json)
                ?? throw new CustodyException(CustodyStatus.InvalidArgument, "A stored signing request is empty.");
        }
        catch (JsonException e)
        {
            throw new CustodyException(CustodyStatus.InvalidArgument, $"A stored signing request cannot be read: {e.Message}", e);
        }
    }

    /// <inheritdoc />
    public bool Equals(SigningRequestSnapshot? other) => other is not null && ToJson() == other.ToJson();

    /// <inheritdoc />
    public override int GetHashCode() => StringComparer.Ordinal.GetHashCode(Id);

    internal string? Validate(out byte[]? digest, out CallerIdentity? requester, out KeyName key)
    {
        digest = null;
        requester = null;
        key = default;
        if (!StatementText.IsValidId(Id))
        {
            return "the id must be 1-128 characters of A-Z, a-z, 0-9, '.', '_', ':', '-'";
        }

        if (!KeyName.TryParse(Key, out key))
        {
            return "the key name is not valid";
        }

        if (!Enum.IsDefined(DigestAlgorithm))
        {
            return "the digest algorithm is unknown";
        }

        try
        {
            digest = Convert.FromHexString(Digest);
        }
        catch (FormatException)
        {
            return "the digest is not hex";
        }

        if (digest.Length != Algorithms.DigestLength(DigestAlgorithm))
        {
            return "the digest length does not match its algorithm";
        }

        if (!CallerIdentity.IsValidText(RequesterSubject) || RequesterSans.Any(s => !CallerIdentity.IsValidText(s)))
        {
            return "the requester identity is not valid";
        }

        requester = new CallerIdentity(RequesterSubject, RequesterSans);
        if (PolicyVersion < 1 || ApprovalsRequired is < 0 or > KeyPolicy.MaxApprovals || DenialsToReject < 1)
        {
            return "the quorum settings are out of range";
        }

        if (ApprovalsRequired > 0 && !RosterNames.IsValid(ApproverGroup))
        {
            return "approvals are required but the approver group is not valid";
        }

        if (ApprovalValidity <= TimeSpan.Zero || PresenceWindow <= TimeSpan.Zero || ExpiresAt <= CreatedAt)
        {
            return "the durations are not positive";
        }

        if (!StatementText.IsValidNonce(Nonce))
        {
            return "the nonce is not valid";
        }

        if (!Enum.IsDefined(State))
        {
            return "the state is unknown";
        }

        if ((State == SigningRequestState.PresenceActive) != PresenceDeadline.HasValue)
        {
            return "a presence deadline exists exactly while the request owns the button";
        }

        if (State is SigningRequestState.AwaitingPresence or SigningRequestState.PresenceActive && !PresenceRequired)
        {
            return "the request awaits presence although its policy needs none";
        }

        if (Votes.Any(v => v.Officers.Count == 0 || string.IsNullOrEmpty(v.SignatureSha256)))
        {
            return "a vote has no officer or no signature hash";
        }

        return null;
    }
}
