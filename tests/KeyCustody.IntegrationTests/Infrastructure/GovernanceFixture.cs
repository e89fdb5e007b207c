// SPDX-License-Identifier: Apache-2.0
namespace KeyCustody.IntegrationTests.Infrastructure;

/// <summary>
/// An appliance whose genesis exercises every governance rule: officers inside and outside the release group, one
/// who owns the CI identity, one enrolled with another's key; keys with quorum only, rate limits, a closed time
/// window, a single digest algorithm, a pending maximum, and short expiries.
/// </summary>
public sealed class GovernanceFixture : DevApplianceFixture
{
    /// <summary>The SAN of the dev CI client certificate.</summary>
    public const string CiSan = "URI:spiffe://keycustody.dev/ci/ci-dev";

    /// <inheritdoc />
    protected override string? GenesisJson
    {
        get
        {
            // A whole day that is neither yesterday, today nor tomorrow in UTC: the window is closed for days.
            string closedDay = new[] { "sun", "mon", "tue", "wed", "thu", "fri", "sat" }[((int)DateTime.UtcNow.DayOfWeek + 3) % 7];
            string callers = $$"""[{ "san": "{{CiSan}}" }]""";
            return $$"""
            {
              "officers": [
                { "name": "alice", "groups": ["release-officers"] },
                { "name": "bob", "groups": ["release-officers"] },
                { "name": "carol", "groups": ["release-officers"] },
                { "name": "mallory", "groups": ["release-officers"], "identities": ["{{CiSan}}"] },
                { "name": "oscar", "groups": ["other-officers"] },
                { "name": "alice-alias", "groups": ["release-officers"], "keyOf": "alice" }
              ],
              "custodians": ["dave", "erin"],
              "keys": [
                { "name": "quorum-key", "algorithm": "ecdsa-p256", "policy": {
                    "riskTier": "high", "allowedCallers": {{callers}}, "allowedDigests": ["sha256"],
                    "approvals": { "required": 2, "group": "release-officers" } } },
                { "name": "presence-key", "algorithm": "ecdsa-p256", "policy": {
                    "riskTier": "high", "allowedCallers": {{callers}}, "allowedDigests": ["sha256"],
                    "approvals": { "required": 1, "group": "release-officers" }, "presence": { "required": true, "window": "60s" } } },
                { "name": "limited-key", "algorithm": "ecdsa-p256", "policy": {
                    "riskTier": "low", "allowedCallers": {{callers}}, "allowedDigests": ["sha256"],
                    "rateLimits": [{ "scope": "caller", "count": 2, "window": "1h" }] } },
                { "name": "closed-key", "algorithm": "ecdsa-p256", "policy": {
                    "riskTier": "low", "allowedCallers": {{callers}}, "allowedDigests": ["sha256"],
                    "timeWindows": [{ "days": ["{{closedDay}}"], "from": "00:00", "to": "24:00", "timeZone": "UTC" }] } },
                { "name": "one-pending-key", "algorithm": "ecdsa-p256", "policy": {
                    "riskTier": "high", "allowedCallers": {{callers}}, "allowedDigests": ["sha256"], "maxPending": 1,
                    "approvals": { "required": 1, "group": "release-officers" } } },
                { "name": "brief-key", "algorithm": "ecdsa-p256", "policy": {
                    "riskTier": "high", "allowedCallers": {{callers}}, "allowedDigests": ["sha256"], "requestExpiry": "1m",
                    "approvals": { "required": 1, "group": "release-officers", "validity": "1m" } } },
                { "name": "short-approval-key", "algorithm": "ecdsa-p256", "policy": {
                    "riskTier": "high", "allowedCallers": {{callers}}, "allowedDigests": ["sha256"], "requestExpiry": "1h",
                    "approvals": { "required": 1, "group": "release-officers", "validity": "1m" } } }
              ]
            }
            """;
        }
    }
}
