// SPDX-License-Identifier: Apache-2.0
using System.Text.Json;
using KeyCustody.Protocol.V1;

namespace KeyCustody.Cli.Parsing;

/// <summary>
/// Reads from a key's published policy whether signing needs officer approvals or the button, so <c>sign</c> can pick
/// one <c>Sign</c> call or the governed request. Only a hint: the appliance decides, and <c>sign</c> falls back to the
/// governed path when a one-shot call is refused for missing approvals.
/// </summary>
public static class KeyPolicyHints
{
    /// <summary>True when approvals or presence are needed, false when neither is, null when the policy does not say.</summary>
    public static bool? NeedsGovernance(Key key)
    {
        bool? fromPolicy = FromPolicyJson(key.PolicyJson);
        if (fromPolicy is not null)
        {
            return fromPolicy;
        }

        return key.RiskTier.ToLowerInvariant() switch
        {
            "low" => false,
            "high" => true,
            _ => null,
        };
    }

    private static bool? FromPolicyJson(string policyJson)
    {
        if (string.IsNullOrWhiteSpace(policyJson))
        {
            return null;
        }

        try
        {
            using var document = JsonDocument.Parse(policyJson);
            int? approvals = null;
            bool? presence = null;
            Visit(document.RootElement, ref approvals, ref presence, depth: 0);
            if (approvals > 0 || presence == true)
            {
                return true;
            }

            return approvals == 0 && presence == false ? false : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    // The quorum may sit at the top level or in a nested "approvals"/"quorum" object; names are compared without
    // case, '-' or '_' so "approvals_required" and "approvalsRequired" both count.
    private static void Visit(JsonElement element, ref int? approvals, ref bool? presence, int depth)
    {
        if (element.ValueKind != JsonValueKind.Object || depth > 3)
        {
            return;
        }

        foreach (JsonProperty property in element.EnumerateObject())
        {
            string name = property.Name.Replace("_", string.Empty, StringComparison.Ordinal).Replace("-", string.Empty, StringComparison.Ordinal).ToLowerInvariant();
            JsonElement value = property.Value;
            if (name is "approvalsrequired" or "requiredapprovals" or "m" && value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out int m))
            {
                approvals = Math.Max(approvals ?? 0, m);
            }
            else if (name is "presencerequired" or "presence" && value.ValueKind is JsonValueKind.True or JsonValueKind.False)
            {
                presence = (presence ?? false) || value.GetBoolean();
            }
            else if (value.ValueKind == JsonValueKind.Object)
            {
                Visit(value, ref approvals, ref presence, depth + 1);
            }
        }
    }
}
