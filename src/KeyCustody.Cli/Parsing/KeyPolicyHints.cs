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

    // The policy document (KeyCustody.Governance.KeyPolicy): "approvals": { "required": M, … } and
    // "presence": { "required": bool, … }, both optional with defaults 0 and false.
    private static bool? FromPolicyJson(string policyJson)
    {
        if (string.IsNullOrWhiteSpace(policyJson))
        {
            return null;
        }

        try
        {
            using var document = JsonDocument.Parse(policyJson);
            JsonElement root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("key", out _))
            {
                return null;
            }

            int approvals = root.TryGetProperty("approvals", out JsonElement a) && a.ValueKind == JsonValueKind.Object
                && a.TryGetProperty("required", out JsonElement m) && m.ValueKind == JsonValueKind.Number && m.TryGetInt32(out int required)
                ? required
                : 0;
            bool presence = root.TryGetProperty("presence", out JsonElement p) && p.ValueKind == JsonValueKind.Object
                && p.TryGetProperty("required", out JsonElement r) && r.ValueKind == JsonValueKind.True;
            return approvals > 0 || presence;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
