// SPDX-License-Identifier: Apache-2.0
using System.Text.Json;
using KeyCustody.Grpc;
using KeyCustody.IntegrationTests.Infrastructure;
using Pb = KeyCustody.Protocol.V1;

namespace KeyCustody.IntegrationTests;

/// <summary>Break-glass grants: custodian quorum, count limit, flagged receipts, review, and the freeze when no review comes.</summary>
public sealed class CeremonyBreakGlassTests(CeremonyFixture appliance) : IClassFixture<CeremonyFixture>
{
    private async Task<Pb.Ceremony> RunAsync(ApplianceClient client, Pb.CeremonyKind kind, string parameters)
    {
        Pb.Ceremony proposed = await client.ProposeAsync(kind, parameters);
        await client.EndorseWithAsync(proposed, appliance.Custodian("erin"));
        Pb.Ceremony done = await client.EndorseWithAsync(proposed, appliance.Custodian("frank"));
        Assert.True(done.State == Pb.CeremonyState.Executed, done.StateReason);
        return done;
    }

    private static Task<Pb.SignResponse> SignAsync(ApplianceClient client, string key)
    {
        (_, Pb.Digest digest) = Peers.Artifact(key + " " + Guid.NewGuid());
        return client.SignAsync(new Pb.SignRequest { Key = key, Digest = digest });
    }

    [Fact]
    public async Task BreakGlass_TwoSignatureGrant_SignsTwiceFlaggedThenRefusedAndReviewEndsIt()
    {
        // Arrange
        using ApplianceClient client = appliance.Client();
        RpcException before = await Peers.FailsAsync(() => SignAsync(client, "bg-a"));
        Pb.Ceremony grant = await RunAsync(client, Pb.CeremonyKind.BreakGlass, """{"key":"bg-a","signatures":2,"duration":"1h","reviewWithin":"2h"}""");

        // Act
        Pb.SignResponse first = await SignAsync(client, "bg-a");
        Pb.SignResponse second = await SignAsync(client, "bg-a");
        RpcException third = await Peers.FailsAsync(() => SignAsync(client, "bg-a"));
        Pb.Ceremony review = await RunAsync(client, Pb.CeremonyKind.BreakGlassReview, $$"""{"key":"bg-a","grant":"{{grant.CeremonyId}}"}""");

        // Assert
        Assert.Equal(StatusCode.FailedPrecondition, before.StatusCode);
        foreach ((Pb.SignResponse response, int n) in new[] { (first, 1), (second, 2) })
        {
            JsonElement entry = JsonDocument.Parse(response.Receipt.Entry.ToByteArray()).RootElement;
            Assert.True(entry.GetProperty("break_glass").GetBoolean());
            Assert.Equal(grant.CeremonyId, entry.GetProperty("break_glass_ceremony").GetString());
            Assert.Equal(n, entry.GetProperty("break_glass_signature").GetInt32());
            Assert.True((await client.GetAsync(response.RequestId)).BreakGlass);
        }

        Assert.Equal(StatusCode.FailedPrecondition, third.StatusCode);
        Assert.Contains("approval", third.Detail, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(review.CeremonyId, JsonDocument.Parse(review.ResultJson).RootElement.GetProperty("reviewedBy").GetString());
        Assert.Equal(Pb.KeyStatus.Active, (await client.KeyAsync("bg-a")).Status);
    }

    [Fact]
    public async Task BreakGlass_NotReviewedInTime_KeyFreezes()
    {
        // Arrange
        using ApplianceClient client = appliance.Client();
        Pb.Ceremony grant = await RunAsync(client, Pb.CeremonyKind.BreakGlass, """{"key":"bg-b","signatures":1,"duration":"2s","reviewWithin":"3s"}""");

        // Act
        Pb.Key frozen = await Peers.EventuallyAsync(() => client.KeyAsync("bg-b"), k => k.Status == Pb.KeyStatus.Frozen,
            TimeSpan.FromSeconds(60), "the key to freeze");

        // Assert
        Assert.Equal(Pb.KeyStatus.Frozen, frozen.Status);
        RpcException signing = await Peers.FailsAsync(() => SignAsync(client, "bg-b"));
        Assert.Equal(StatusCode.FailedPrecondition, signing.StatusCode);
        Assert.True(await client.HasEntryAsync("key.state_changed", e => e.GetProperty("key").GetString() == "bg-b"
            && e.GetProperty("status").GetString() == "frozen" && e.GetProperty("reason").GetString()!.Contains(grant.CeremonyId)));
    }

    [Fact]
    public async Task BreakGlass_TooManySignatures_InvalidArgumentAndAudited()
    {
        // Arrange
        using ApplianceClient client = appliance.Client();

        // Act
        RpcException ex = await Peers.FailsAsync(() => client.ProposeAsync(Pb.CeremonyKind.BreakGlass, """{"key":"bg-a","signatures":1000,"duration":"1h","reviewWithin":"2h"}"""));

        // Assert
        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
        Assert.Contains("$.signatures", ex.Detail);
        Assert.True(await client.HasEntryAsync("ceremony.rejected", e => e.GetProperty("kind").GetString() == "break-glass"));
    }
}
