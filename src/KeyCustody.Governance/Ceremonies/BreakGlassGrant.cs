// SPDX-License-Identifier: Apache-2.0
using System.Text.Json;
using KeyCustody.Core;

namespace KeyCustody.Governance.Ceremonies;

/// <summary>
/// An emergency signing grant for one key: while it lasts (until <see cref="ExpiresAt"/>, at most
/// <see cref="MaxSignatures"/> signatures) the key signs without its officer quorum, each signature flagged as
/// break-glass in its audit entry. Custodians must review it (a break-glass-review ceremony) before
/// <see cref="ReviewBy"/>; an unreviewed grant past that time freezes the key.
/// </summary>
/// <param name="Key">The key.</param>
/// <param name="CeremonyId">The break-glass ceremony that granted it.</param>
/// <param name="GrantedAt">When.</param>
/// <param name="ExpiresAt">When it stops allowing signatures.</param>
/// <param name="MaxSignatures">How many signatures it allows.</param>
/// <param name="Used">Signatures made under it so far.</param>
/// <param name="ReviewBy">When the review is due.</param>
/// <param name="ReviewedBy">The review ceremony, once reviewed.</param>
public sealed record BreakGlassGrant(string Key, string CeremonyId, DateTimeOffset GrantedAt, DateTimeOffset ExpiresAt, int MaxSignatures, int Used,
    DateTimeOffset ReviewBy, string? ReviewedBy)
{
    /// <summary>Longest grant.</summary>
    public static readonly TimeSpan MaxDuration = TimeSpan.FromHours(24);

    /// <summary>Latest review deadline.</summary>
    public static readonly TimeSpan MaxReviewWithin = TimeSpan.FromDays(30);

    /// <summary>Most signatures in one grant.</summary>
    public const int MaxCount = 100;

    private static readonly JsonSerializerOptions s_json = new() { PropertyNamingPolicy = JsonNamingPolicy.CamelCase };

    /// <summary>True once custodians reviewed it.</summary>
    public bool IsReviewed => ReviewedBy is not null;

    /// <summary>True when a signature may be made under it now.</summary>
    public bool CanSign(DateTimeOffset now) => !IsReviewed && now < ExpiresAt && Used < MaxSignatures;

    /// <summary>True when the review is overdue: the key must freeze.</summary>
    public bool ReviewOverdue(DateTimeOffset now) => !IsReviewed && now >= ReviewBy;

    /// <summary>Validates the ceremony's limits and creates the grant; InvalidArgument naming the field.</summary>
    public static BreakGlassGrant Create(string key, string ceremonyId, DateTimeOffset now, int signatures, TimeSpan duration, TimeSpan reviewWithin)
    {
        if (signatures is < 1 or > MaxCount)
        {
            throw new CustodyException(CustodyStatus.InvalidArgument, $"$.signatures: a break-glass grant allows 1 to {MaxCount} signatures.");
        }

        if (duration <= TimeSpan.Zero || duration > MaxDuration)
        {
            throw new CustodyException(CustodyStatus.InvalidArgument, "$.duration: a break-glass grant lasts more than 0s and at most 24h.");
        }

        if (reviewWithin < duration || reviewWithin > MaxReviewWithin)
        {
            throw new CustodyException(CustodyStatus.InvalidArgument, "$.reviewWithin: the review is due no earlier than the grant's end and within 30d.");
        }

        DateTimeOffset at = StatementText.TruncateToSeconds(now);
        return new BreakGlassGrant(key, ceremonyId, at, at + duration, signatures, 0, at + reviewWithin, null);
    }

    /// <summary>Counts one signature; Expired, RateLimited or WrongState (reviewed) when the grant no longer allows it.</summary>
    public BreakGlassGrant Consume(DateTimeOffset now)
    {
        if (IsReviewed)
        {
            throw new CustodyException(CustodyStatus.WrongState, $"The break-glass grant {CeremonyId} for key '{Key}' was reviewed and has ended.");
        }

        if (now >= ExpiresAt)
        {
            throw new CustodyException(CustodyStatus.Expired, $"The break-glass grant {CeremonyId} for key '{Key}' ended at {StatementText.FormatTimestamp(ExpiresAt)}.");
        }

        if (Used >= MaxSignatures)
        {
            throw new CustodyException(CustodyStatus.RateLimited, $"The break-glass grant {CeremonyId} for key '{Key}' allowed {MaxSignatures} signature(s), all used.");
        }

        return this with { Used = Used + 1 };
    }

    /// <summary>Serialises for storage.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, s_json);

    /// <summary>Reads a stored grant.</summary>
    public static BreakGlassGrant FromJson(string json) =>
        JsonSerializer.Deserialize<BreakGlassGrant>(json, s_json) ?? throw new CustodyException(CustodyStatus.AuditCorrupt, "A stored break-glass grant is null.");
}
