// SPDX-License-Identifier: Apache-2.0
using System.Text.Json;
using KeyCustody.Grpc;
using KeyCustody.IntegrationTests.Infrastructure;
using KeyCustody.Testing;
using Pb = KeyCustody.Protocol.V1;

namespace KeyCustody.IntegrationTests;

/// <summary>change-policy, enrol-member and remove-member ceremonies end to end.</summary>
public sealed class CeremonyRosterTests(CeremonyFixture appliance) : IClassFixture<CeremonyFixture>
{
    private async Task<Pb.Ceremony> RunAsync(ApplianceClient client, Pb.CeremonyKind kind, string parameters, params string[] custodians)
    {
        Pb.Ceremony proposed = await client.ProposeAsync(kind, parameters);
        Pb.Ceremony last = proposed;
        foreach (string custodian in custodians.Length > 0 ? custodians : ["dave", "erin"])
        {
            last = await client.EndorseWithAsync(proposed, appliance.Custodian(custodian));
        }

        return last;
    }

    [Fact]
    public async Task ChangePolicy_Quorum_NextVersionInForce()
    {
        // Arrange
        using ApplianceClient client = appliance.Client();
        string policy = $$"""{"riskTier":"low","allowedCallers":[{"san":"{{CeremonyFixture.CiSan}}"}],"allowedDigests":["sha256","sha384"]}""";

        // Act
        Pb.Ceremony done = await RunAsync(client, Pb.CeremonyKind.ChangePolicy, $$"""{"key":"low-d","policy":{{policy}}}""");

        // Assert
        Assert.True(done.State == Pb.CeremonyState.Executed, done.StateReason);
        Pb.Key key = await client.KeyAsync("low-d");
        Assert.Equal(2, key.PolicyVersion);
        Assert.Contains("sha384", key.PolicyJson);
    }

    [Fact]
    public async Task EnrolThenRemoveCustodian_NewCustodianEndorsesThenIsRefused()
    {
        // Arrange
        using ApplianceClient client = appliance.Client();
        using var dir = new TempDirectory("kc-gina");
        (await ProcessRunner.RunAsync("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "gina", "-f", dir.File("gina"))).EnsureSuccess("ssh-keygen");
        string line = (await File.ReadAllTextAsync(dir.File("gina.pub"))).Trim();
        Pb.Ceremony enrolled = await RunAsync(client, Pb.CeremonyKind.EnrolMember, JsonSerializer.Serialize(new { role = "custodian", name = "gina", keys = new[] { line } }));

        // Act
        Pb.Ceremony probe = await client.ProposeAsync(Pb.CeremonyKind.RetireKey, """{"key":"low-e"}""");
        Pb.Ceremony endorsedByGina = await client.EndorseWithAsync(probe, dir.File("gina"));
        Pb.Ceremony removed = await RunAsync(client, Pb.CeremonyKind.RemoveMember, """{"role":"custodian","name":"gina"}""");
        Pb.Ceremony second = await client.ProposeAsync(Pb.CeremonyKind.RetireKey, """{"key":"low-e"}""");
        RpcException refused = await Peers.FailsAsync(() => client.EndorseWithAsync(second, dir.File("gina")));

        // Assert
        Assert.True(enrolled.State == Pb.CeremonyState.Executed, enrolled.StateReason);
        Assert.Equal("gina", Assert.Single(endorsedByGina.Endorsements).Custodian);
        Assert.True(removed.State == Pb.CeremonyState.Executed, removed.StateReason);
        Assert.Equal(StatusCode.PermissionDenied, refused.StatusCode);
    }

    [Fact]
    public async Task RemoveOfficer_PolicyWouldBreak_RefusedAndAudited()
    {
        // Arrange
        using ApplianceClient client = appliance.Client();

        // Act
        RpcException ex = await Peers.FailsAsync(() => client.ProposeAsync(Pb.CeremonyKind.RemoveMember, """{"role":"officer","name":"alice"}"""));

        // Assert
        Assert.Equal(StatusCode.FailedPrecondition, ex.StatusCode);
        Assert.Contains("could not be met", ex.Detail);
        Assert.True(await client.HasEntryAsync("ceremony.rejected", e => e.GetProperty("kind").GetString() == "remove-member"));
    }
}
