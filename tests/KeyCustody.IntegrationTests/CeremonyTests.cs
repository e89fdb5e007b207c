// SPDX-License-Identifier: Apache-2.0
using System.Text.Json;
using KeyCustody.Grpc;
using KeyCustody.IntegrationTests.Infrastructure;
using Pb = KeyCustody.Protocol.V1;

namespace KeyCustody.IntegrationTests;

/// <summary>Ceremony proposals and endorsements through the real API with real `ssh-keygen -Y sign` signatures; every refusal audited.</summary>
public sealed class CeremonyTests(CeremonyFixture appliance) : IClassFixture<CeremonyFixture>
{
    private static bool About(JsonElement entry, string id) =>
        entry.TryGetProperty("ceremony_id", out JsonElement c) && c.GetString() == id;

    private static bool Rejected(JsonElement entry, string status) =>
        entry.TryGetProperty("status", out JsonElement s) && s.GetString() == status;

    [Fact]
    public async Task Propose_SecondGenesis_AlreadyExistsAndAudited()
    {
        // Arrange
        using ApplianceClient client = appliance.Client();

        // Act
        RpcException ex = await Peers.FailsAsync(() => client.ProposeAsync(Pb.CeremonyKind.Genesis, "{}"));

        // Assert
        Assert.Equal(StatusCode.AlreadyExists, ex.StatusCode);
        Assert.Contains("second genesis is refused", ex.Detail);
        Assert.True(await client.HasEntryAsync("ceremony.rejected", e => e.GetProperty("kind").GetString() == "genesis" && Rejected(e, "AlreadyExists")));
    }

    [Fact]
    public async Task Propose_QuorumBelowTwoOrAboveN_InvalidArgumentAndAudited()
    {
        // Arrange
        using ApplianceClient client = appliance.Client();

        // Act
        RpcException low = await Peers.FailsAsync(() => client.ProposeAsync(Pb.CeremonyKind.ChangeQuorum, """{"custodians":1}"""));
        RpcException high = await Peers.FailsAsync(() => client.ProposeAsync(Pb.CeremonyKind.ChangeQuorum, """{"custodians":4}"""));

        // Assert
        Assert.Equal(StatusCode.InvalidArgument, low.StatusCode);
        Assert.Contains("below the minimum of 2", low.Detail);
        Assert.Equal(StatusCode.InvalidArgument, high.StatusCode);
        Assert.Contains("more than the 3 enrolled custodians", high.Detail);
        IReadOnlyList<JsonElement> entries = await client.AllEntriesAsync();
        Assert.Equal(2, entries.Count(e => e.GetProperty("type").GetString() == "ceremony.rejected"
            && e.GetProperty("kind").GetString() == "change-quorum" && Rejected(e, "InvalidArgument")));
    }

    [Fact]
    public async Task Endorse_OneOfTwo_StaysAwaitingAndKeySigns()
    {
        // Arrange
        using ApplianceClient client = appliance.Client();
        Pb.Ceremony proposed = await client.ProposeAsync(Pb.CeremonyKind.RetireKey, """{"key":"low-a"}""");

        // Act
        Pb.Ceremony after = await client.EndorseWithAsync(proposed, appliance.Custodian("dave"));

        // Assert
        Assert.Equal(Pb.CeremonyState.AwaitingEndorsements, after.State);
        Assert.Equal(2, after.EndorsementsRequired);
        Assert.Equal("dave", Assert.Single(after.Endorsements).Custodian);
        (_, Pb.Digest digest) = Peers.Artifact("still active " + Guid.NewGuid());
        Assert.False((await client.SignAsync(new Pb.SignRequest { Key = "low-a", Digest = digest })).Signature.IsEmpty);
        Assert.True(await client.HasEntryAsync("ceremony.endorsed", e => About(e, after.CeremonyId) && e.GetProperty("custodian").GetString() == "dave"));
    }

    [Fact]
    public async Task Endorse_SameCustodianTwice_AlreadyExistsAndAudited()
    {
        // Arrange
        using ApplianceClient client = appliance.Client();
        Pb.Ceremony proposed = await client.ProposeAsync(Pb.CeremonyKind.RetireKey, """{"key":"low-a"}""");
        await client.EndorseWithAsync(proposed, appliance.Custodian("erin"));

        // Act
        RpcException ex = await Peers.FailsAsync(() => client.EndorseWithAsync(proposed, appliance.Custodian("erin")));

        // Assert
        Assert.Equal(StatusCode.AlreadyExists, ex.StatusCode);
        Assert.Contains("erin has already endorsed", ex.Detail);
        Assert.Equal(Pb.CeremonyState.AwaitingEndorsements, (await client.CeremonyAsync(proposed.CeremonyId)).State);
        Assert.True(await client.HasEntryAsync("ceremony.rejected", e => About(e, proposed.CeremonyId) && Rejected(e, "AlreadyExists")));
    }

    [Fact]
    public async Task Endorse_Officer_PermissionDeniedAndAudited()
    {
        // Arrange
        using ApplianceClient client = appliance.Client();
        Pb.Ceremony proposed = await client.ProposeAsync(Pb.CeremonyKind.RetireKey, """{"key":"low-a"}""");

        // Act
        RpcException ex = await Peers.FailsAsync(() => client.EndorseWithAsync(proposed, appliance.PathOf("officers", "alice")));

        // Assert
        Assert.Equal(StatusCode.PermissionDenied, ex.StatusCode);
        Assert.Contains("not enrolled for any custodian", ex.Detail);
        Assert.True(await client.HasEntryAsync("ceremony.rejected", e => About(e, proposed.CeremonyId) && Rejected(e, "PermissionDenied")));
    }

    [Fact]
    public async Task Endorse_ApprovalNamespace_Unauthenticated()
    {
        // Arrange
        using ApplianceClient client = appliance.Client();
        Pb.Ceremony proposed = await client.ProposeAsync(Pb.CeremonyKind.RetireKey, """{"key":"low-a"}""");
        byte[] statement = proposed.Statement.ToByteArray();

        // Act
        RpcException ex = await Peers.FailsAsync(async () =>
            await client.EndorseAsync(proposed.CeremonyId, statement, await Peers.SshSignAsync(appliance.Custodian("dave"), statement, "keycustody-approval")));

        // Assert
        Assert.Equal(StatusCode.Unauthenticated, ex.StatusCode);
        Assert.True(await client.HasEntryAsync("ceremony.rejected", e => About(e, proposed.CeremonyId) && Rejected(e, "Unauthenticated")));
    }

    [Fact]
    public async Task Endorse_StatementOfAnotherCeremony_InvalidArgument()
    {
        // Arrange
        using ApplianceClient client = appliance.Client();
        Pb.Ceremony first = await client.ProposeAsync(Pb.CeremonyKind.RetireKey, """{"key":"low-a"}""");
        Pb.Ceremony second = await client.ProposeAsync(Pb.CeremonyKind.RetireKey, """{"key":"low-a"}""");
        byte[] statement = first.Statement.ToByteArray();
        string signature = await Peers.SshSignAsync(appliance.Custodian("dave"), statement, "keycustody-ceremony");

        // Act
        RpcException ex = await Peers.FailsAsync(() => client.EndorseAsync(second.CeremonyId, statement, signature));

        // Assert
        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
        Assert.Contains($"statement of ceremony {first.CeremonyId}", ex.Detail);
    }

    [Fact]
    public async Task Endorse_ExpiredProposal_ExpiredAndAudited()
    {
        // Arrange
        using ApplianceClient client = appliance.Client();
        Pb.Ceremony proposed = await client.ProposeAsync(Pb.CeremonyKind.RetireKey, """{"key":"low-a","proposalValidity":"10s"}""");
        await client.EndorseWithAsync(proposed, appliance.Custodian("dave"));
        await Peers.EventuallyAsync(() => client.CeremonyAsync(proposed.CeremonyId), c => c.State == Pb.CeremonyState.Expired,
            TimeSpan.FromSeconds(60), "the proposal to expire");

        // Act
        RpcException ex = await Peers.FailsAsync(() => client.EndorseWithAsync(proposed, appliance.Custodian("erin")));

        // Assert
        Assert.Equal(StatusCode.Aborted, ex.StatusCode);
        Assert.Contains("expired", ex.Detail);
        Assert.True(await client.HasEntryAsync("ceremony.rejected", e => About(e, proposed.CeremonyId) && e.GetProperty("stage").GetString() == "endorse" && Rejected(e, "Expired")));
        Assert.Equal(Pb.KeyStatus.Active, (await client.KeyAsync("low-a")).Status);
    }

    [Fact]
    public async Task Endorse_QuorumOfRetire_KeyRetiredAndSignsNoMore()
    {
        // Arrange
        using ApplianceClient client = appliance.Client();
        Pb.Ceremony proposed = await client.ProposeAsync(Pb.CeremonyKind.RetireKey, """{"key":"low-b"}""", "end of life");

        // Act
        await client.EndorseWithAsync(proposed, appliance.Custodian("dave"));
        Pb.Ceremony done = await client.EndorseWithAsync(proposed, appliance.Custodian("frank"));

        // Assert
        Assert.Equal(Pb.CeremonyState.Executed, done.State);
        Assert.Equal("retired", JsonDocument.Parse(done.ResultJson).RootElement.GetProperty("status").GetString());
        (_, Pb.Digest digest) = Peers.Artifact("retired " + Guid.NewGuid());
        RpcException ex = await Peers.FailsAsync(() => client.SignAsync(new Pb.SignRequest { Key = "low-b", Digest = digest }));
        Assert.Equal(StatusCode.FailedPrecondition, ex.StatusCode);
        Assert.Contains("retired", ex.Detail);
        Assert.True(await client.HasEntryAsync("ceremony.completed", e => About(e, done.CeremonyId)));
    }

    [Fact]
    public async Task Endorse_QuorumOfRevoke_StatementVerifiesWithOpensslAndEffectiveOnlyMovesEarlier()
    {
        // Arrange
        using ApplianceClient client = appliance.Client();
        string effective = DateTimeOffset.UtcNow.AddHours(-2).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture);
        string earlier = DateTimeOffset.UtcNow.AddHours(-3).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture);
        Pb.Ceremony proposed = await client.ProposeAsync(Pb.CeremonyKind.RevokeKey, $$"""{"key":"low-c","effective":"{{effective}}","reason":"laptop stolen"}""");

        // Act
        await client.EndorseWithAsync(proposed, appliance.Custodian("erin"));
        Pb.Ceremony done = await client.EndorseWithAsync(proposed, appliance.Custodian("frank"));

        // Assert
        Assert.Equal(Pb.CeremonyState.Executed, done.State);
        JsonElement result = JsonDocument.Parse(done.ResultJson).RootElement;
        byte[] statement = Convert.FromBase64String(result.GetProperty("statement").GetString()!);
        Assert.Contains($"effective: {effective}\n", System.Text.Encoding.UTF8.GetString(statement));
        Pb.GetAuditKeyResponse auditKey = await client.AuditKeyAsync();
        var openssl = await Peers.OpensslVerifyAsync(auditKey.PublicKeyPem, statement, Convert.FromBase64String(result.GetProperty("signature").GetString()!));
        Assert.True(openssl.ExitCode == 0, openssl.StandardOutput + openssl.StandardError);
        (_, Pb.Digest digest) = Peers.Artifact("revoked " + Guid.NewGuid());
        RpcException signing = await Peers.FailsAsync(() => client.SignAsync(new Pb.SignRequest { Key = "low-c", Digest = digest }));
        Assert.Equal(StatusCode.FailedPrecondition, signing.StatusCode);
        Pb.Key revoked = await client.KeyAsync("low-c");
        Assert.Equal(Pb.KeyStatus.Revoked, revoked.Status);
        Assert.Equal(effective, revoked.RevokedAt.ToDateTimeOffset().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture));
        RpcException later = await Peers.FailsAsync(() => client.ProposeAsync(Pb.CeremonyKind.RevokeKey, $$"""{"key":"low-c","effective":"{{effective}}"}"""));
        Assert.Equal(StatusCode.FailedPrecondition, later.StatusCode);
        Assert.Contains("may only move that time earlier", later.Detail);
        Pb.Ceremony moved = await client.ProposeAsync(Pb.CeremonyKind.RevokeKey, $$"""{"key":"low-c","effective":"{{earlier}}"}""");
        Assert.Equal(Pb.CeremonyState.AwaitingEndorsements, moved.State);
    }

    [Fact]
    public async Task Endorse_ChangeQuorumUpAndBack_ThirdEndorsementNeededInBetween()
    {
        // Arrange
        using ApplianceClient client = appliance.Client();
        Pb.Ceremony up = await client.ProposeAsync(Pb.CeremonyKind.ChangeQuorum, """{"custodians":3}""");
        await client.EndorseWithAsync(up, appliance.Custodian("dave"));
        Assert.Equal(Pb.CeremonyState.Executed, (await client.EndorseWithAsync(up, appliance.Custodian("erin"))).State);

        // Act
        Pb.Ceremony down = await client.ProposeAsync(Pb.CeremonyKind.ChangeQuorum, """{"custodians":2}""");
        await client.EndorseWithAsync(down, appliance.Custodian("dave"));
        Pb.Ceremony afterTwo = await client.EndorseWithAsync(down, appliance.Custodian("erin"));
        Pb.Ceremony afterThree = await client.EndorseWithAsync(down, appliance.Custodian("frank"));

        // Assert
        Assert.Equal(3, down.EndorsementsRequired);
        Assert.Equal(Pb.CeremonyState.AwaitingEndorsements, afterTwo.State);
        Assert.Equal(Pb.CeremonyState.Executed, afterThree.State);
        Assert.Equal(2, (await client.ProposeAsync(Pb.CeremonyKind.RetireKey, """{"key":"low-a"}""")).EndorsementsRequired);
    }
}
