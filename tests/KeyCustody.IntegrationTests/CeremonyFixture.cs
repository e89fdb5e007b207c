// SPDX-License-Identifier: Apache-2.0
using System.Text.Json;
using Google.Protobuf;
using KeyCustody.Grpc;
using KeyCustody.Grpc.Client;
using KeyCustody.IntegrationTests.Infrastructure;
using Pb = KeyCustody.Protocol.V1;

namespace KeyCustody.IntegrationTests;

/// <summary>
/// An appliance for ceremonies: three custodians (dave, erin, frank; default quorum 2), one officer, and low-risk
/// keys that ceremonies retire and revoke. Each test uses its own key so the order of the tests does not matter.
/// </summary>
public sealed class CeremonyFixture : DevApplianceFixture
{
    /// <summary>The SAN of the dev CI client certificate.</summary>
    public const string CiSan = "URI:spiffe://keycustody.dev/ci/ci-dev";

    /// <summary>The low-risk keys, one per test that changes a key.</summary>
    public static readonly string[] LowKeys = ["low-a", "low-b", "low-c", "low-d", "low-e", "rot-a", "rot-b"];

    /// <inheritdoc />
    protected override string? GenesisJson
    {
        get
        {
            string keys = string.Join(",\n", LowKeys.Select(k => $$"""
                { "name": "{{k}}", "algorithm": "ecdsa-p256", "policy": {
                    "riskTier": "low", "allowedCallers": [{ "san": "{{CiSan}}" }], "allowedDigests": ["sha256"] } }
                """));
            string guarded = $$"""
                "riskTier": "high", "allowedCallers": [{ "san": "{{CiSan}}" }], "allowedDigests": ["sha256"],
                "approvals": { "required": 1, "group": "release-officers" }
                """;
            return $$"""
            {
              "officers": [ { "name": "alice", "groups": ["release-officers"] } ],
              "custodians": ["dave", "erin", "frank"],
              "keys": [ {{keys}},
                { "name": "bg-a", "algorithm": "ecdsa-p256", "policy": {{{guarded}}} },
                { "name": "bg-b", "algorithm": "ecdsa-p256", "policy": {{{guarded}}} } ]
            }
            """;
        }
    }

    /// <summary>The private key file of a custodian.</summary>
    public string Custodian(string name) => PathOf("custodians", name);
}

/// <summary>Typed CeremonyService calls.</summary>
public static class CeremonyCalls
{
    private static CallOptions Options => CallOptions.WithTimeout(TimeSpan.FromSeconds(60));

    public static Task<Pb.Ceremony> ProposeAsync(this ApplianceClient client, Pb.CeremonyKind kind, string parametersJson, string comment = "") =>
        client.Channel.UnaryAsync("/keycustody.v1.CeremonyService/ProposeCeremony",
            new Pb.ProposeCeremonyRequest { Kind = kind, ParametersJson = parametersJson, Comment = comment }, Pb.Ceremony.Parser, Options);

    public static Task<Pb.Ceremony> EndorseAsync(this ApplianceClient client, string id, byte[] statement, string signature) =>
        client.Channel.UnaryAsync("/keycustody.v1.CeremonyService/EndorseCeremony",
            new Pb.EndorseCeremonyRequest { CeremonyId = id, Statement = ByteString.CopyFrom(statement), SshSignature = signature }, Pb.Ceremony.Parser, Options);

    public static Task<Pb.Ceremony> CeremonyAsync(this ApplianceClient client, string id) =>
        client.Channel.UnaryAsync("/keycustody.v1.CeremonyService/GetCeremony", new Pb.GetCeremonyRequest { CeremonyId = id }, Pb.Ceremony.Parser, Options);

    /// <summary>Signs the ceremony's statement with <c>ssh-keygen -Y sign -n keycustody-ceremony</c> and endorses it.</summary>
    public static async Task<Pb.Ceremony> EndorseWithAsync(this ApplianceClient client, Pb.Ceremony ceremony, string privateKey)
    {
        byte[] statement = ceremony.Statement.ToByteArray();
        string signature = await Peers.SshSignAsync(privateKey, statement, "keycustody-ceremony");
        return await client.EndorseAsync(ceremony.CeremonyId, statement, signature);
    }

    /// <summary>True when an audit entry of <paramref name="type"/> about <paramref name="match"/> exists.</summary>
    public static async Task<bool> HasEntryAsync(this ApplianceClient client, string type, Func<JsonElement, bool> match) =>
        (await client.AllEntriesAsync()).Any(e => e.GetProperty("type").GetString() == type && match(e));
}
