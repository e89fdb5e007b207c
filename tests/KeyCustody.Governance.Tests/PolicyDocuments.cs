// SPDX-License-Identifier: Apache-2.0
using System.Text.Json.Nodes;

namespace KeyCustody.Governance.Tests;

/// <summary>Policy documents for tests: a valid high-risk baseline that each test bends one way.</summary>
internal static class PolicyDocuments
{
    public const string HighRisk = """
        {
          "version": 3,
          "key": "release",
          "riskTier": "high",
          "allowedCallers": [
            { "subject": "CN=ci-*,O=Example" },
            { "san": "spiffe://example.org/ci/*" }
          ],
          "allowedDigests": ["sha512", "sha256"],
          "approvals": { "required": 2, "group": "release-officers", "validity": "1h", "denialsToReject": 1 },
          "presence": { "required": true, "window": "2m" },
          "requestExpiry": "24h",
          "timeWindows": [
            { "days": ["mon", "tue", "wed", "thu", "fri"], "from": "09:00", "to": "17:00", "timeZone": "Europe/Berlin" }
          ],
          "rateLimits": [
            { "scope": "caller", "count": 10, "window": "1h" },
            { "scope": "key", "count": 50, "window": "1d" }
          ],
          "maxPending": 5
        }
        """;

    public const string LowRiskMinimal = """
        { "version": 1, "key": "nightly", "riskTier": "low", "allowedCallers": [ { "subject": "CN=nightly" } ], "allowedDigests": ["sha256"] }
        """;

    public static string With(Action<JsonObject> change, string baseline = HighRisk)
    {
        JsonObject root = JsonNode.Parse(baseline)!.AsObject();
        change(root);
        return root.ToJsonString();
    }

    /// <summary>A high-risk policy without time windows (usable at any test time) and with overrides.</summary>
    public static KeyPolicy Parse(int approvals = 2, bool presence = true, string validity = "1h", string expiry = "24h",
        int denials = 1, string window = "2m", int maxPending = 5) =>
        KeyPolicy.Parse(With(p =>
        {
            p.Remove("timeWindows");
            p["riskTier"] = approvals > 0 ? "high" : "low";
            p["approvals"] = approvals > 0
                ? new JsonObject { ["required"] = approvals, ["group"] = "release-officers", ["validity"] = validity, ["denialsToReject"] = denials }
                : new JsonObject { ["required"] = 0 };
            p["presence"] = new JsonObject { ["required"] = presence, ["window"] = window };
            p["requestExpiry"] = expiry;
            p["maxPending"] = maxPending;
        }));
}
