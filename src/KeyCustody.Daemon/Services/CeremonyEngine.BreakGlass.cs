// SPDX-License-Identifier: Apache-2.0
using System.Text.Json;
using System.Text.Json.Nodes;
using KeyCustody.Core;
using KeyCustody.Governance;
using KeyCustody.Governance.Ceremonies;
using KeyCustody.Storage;

namespace KeyCustody.Daemon.Services;

// break-glass (an emergency grant) and break-glass-review.
internal sealed partial class CeremonyEngine
{
    private void ValidateBreakGlass(JsonObject p)
    {
        KeyName key = Key(p);
        RequireStatus(key, GovernanceKeyRecord.Active);
        if (_signing.GrantOf(key) is { IsReviewed: false } open)
        {
            throw new CustodyException(CustodyStatus.WrongState,
                $"Key '{key}' has an unreviewed break-glass grant ({open.CeremonyId}); review it with a break-glass-review ceremony first.");
        }

        BreakGlassGrant.Create(key.Value, "cer-check", _time.GetUtcNow(), Int(p, "signatures"), Duration(p, "duration"), Duration(p, "reviewWithin"));
    }

    private void ValidateReview(JsonObject p)
    {
        KeyName key = Key(p);
        string grantId = p["grant"] is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : string.Empty;
        BreakGlassGrant? grant = _signing.GrantOf(key);
        if (grant is null || grant.CeremonyId != grantId)
        {
            throw new CustodyException(CustodyStatus.NotFound, $"$.grant: key '{key}' has no break-glass grant '{grantId}'.");
        }

        if (grant.IsReviewed)
        {
            throw new CustodyException(CustodyStatus.AlreadyExists, $"Break-glass grant {grantId} was already reviewed by ceremony {grant.ReviewedBy}.");
        }
    }

    private Execution BreakGlass(CeremonyProposal proposal, JsonObject p, DateTimeOffset now)
    {
        KeyName key = Key(p);
        BreakGlassGrant grant = BreakGlassGrant.Create(key.Value, proposal.Id, now, Int(p, "signatures"), Duration(p, "duration"), Duration(p, "reviewWithin"));
        return GrantExecution(grant);
    }

    private Execution Review(CeremonyProposal proposal, JsonObject p)
    {
        BreakGlassGrant grant = _signing.GrantOf(Key(p))! with { ReviewedBy = proposal.Id };
        return GrantExecution(grant);
    }

    private Execution GrantExecution(BreakGlassGrant grant) => new(
        (JsonObject)JsonNode.Parse(grant.ToJson())!,
        (c, t) => GovernanceStore.WriteMeta(c, t, SigningEngine.BreakGlassMetaPrefix + grant.Key, grant.ToJson()),
        () => _signing.PublishGrant(grant));

    private static TimeSpan Duration(JsonObject p, string field)
    {
        string? text = p[field] is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : null;
        return DurationText.TryParse(text, out TimeSpan duration)
            ? duration
            : throw new CustodyException(CustodyStatus.InvalidArgument, $"$.{field}: a duration such as \"1h\" is required.");
    }
}
