// SPDX-License-Identifier: Apache-2.0
using System.Text.Json;
using Google.Protobuf;
using KeyCustody.Gpio;
using KeyCustody.Grpc;
using KeyCustody.IntegrationTests.Infrastructure;
using Pb = KeyCustody.Protocol.V1;

namespace KeyCustody.IntegrationTests;

/// <summary>Submission policy through the real API: rate limits, time windows, digests, pending maximum, cancel, presence.</summary>
public sealed class PolicyTests(GovernanceFixture appliance) : IClassFixture<GovernanceFixture>
{
    [Fact]
    public async Task Sign_OverTheRateLimit_ResourceExhaustedAndAudited()
    {
        // Arrange
        using ApplianceClient client = appliance.Client();
        for (int i = 0; i < 2; i++)
        {
            await client.SignAsync(new Pb.SignRequest { Key = "limited-key", Digest = Peers.Artifact($"limited {i}").Digest });
        }

        (_, Pb.Digest third) = Peers.Artifact("limited 3");

        // Act
        RpcException ex = await Peers.FailsAsync(() => client.SignAsync(new Pb.SignRequest { Key = "limited-key", Digest = third }));

        // Assert
        Assert.Equal(StatusCode.ResourceExhausted, ex.StatusCode);
        Assert.Equal("RateLimited", ex.Trailers.GetValue("keycustody-status"));
        IReadOnlyList<JsonElement> entries = await client.AllEntriesAsync();
        Assert.Contains(entries, e => e.GetProperty("type").GetString() == "access.denied"
            && e.GetProperty("status").GetString() == "RateLimited"
            && e.GetProperty("digest").GetString() == Convert.ToHexStringLower(third.Value.ToByteArray()));
    }

    [Fact]
    public async Task Sign_OutsideTheTimeWindow_PermissionDenied()
    {
        // Arrange
        using ApplianceClient client = appliance.Client();

        // Act
        RpcException ex = await Peers.FailsAsync(() => client.SignAsync(new Pb.SignRequest { Key = "closed-key", Digest = Peers.Artifact("closed").Digest }));

        // Assert
        Assert.Equal(StatusCode.PermissionDenied, ex.StatusCode);
        Assert.Contains("may only be used during", ex.Detail);
    }

    [Fact]
    public async Task Sign_DigestAlgorithmNotAllowed_PermissionDenied()
    {
        // Arrange
        using ApplianceClient client = appliance.Client();
        var digest = new Pb.Digest { Algorithm = Pb.DigestAlgorithm.Sha512, Value = ByteString.CopyFrom(new byte[64]) };

        // Act
        RpcException ex = await Peers.FailsAsync(() => client.SignAsync(new Pb.SignRequest { Key = "limited-key", Digest = digest }));

        // Assert
        Assert.Equal(StatusCode.PermissionDenied, ex.StatusCode);
        Assert.Contains("sha512", ex.Detail);
    }

    [Fact]
    public async Task Sign_DigestOfWrongLength_InvalidArgument()
    {
        // Arrange
        using ApplianceClient client = appliance.Client();
        var digest = new Pb.Digest { Algorithm = Pb.DigestAlgorithm.Sha256, Value = ByteString.CopyFrom(new byte[20]) };

        // Act
        RpcException ex = await Peers.FailsAsync(() => client.SignAsync(new Pb.SignRequest { Key = "limited-key", Digest = digest }));

        // Assert
        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
    }

    [Fact]
    public async Task Submit_BeyondMaxPending_ResourceExhausted()
    {
        // Arrange
        using ApplianceClient client = appliance.Client();
        await client.SubmitAsync(new Pb.SubmitSigningRequestRequest { Key = "one-pending-key", Digest = Peers.Artifact("pending 1").Digest });

        // Act
        RpcException ex = await Peers.FailsAsync(() =>
            client.SubmitAsync(new Pb.SubmitSigningRequestRequest { Key = "one-pending-key", Digest = Peers.Artifact("pending 2").Digest }));

        // Assert
        Assert.Equal(StatusCode.ResourceExhausted, ex.StatusCode);
        Assert.Contains("pending", ex.Detail);
    }

    [Fact]
    public async Task Cancel_ByRequester_CancelledAndByOthersDenied()
    {
        // Arrange
        using ApplianceClient client = appliance.Client();
        using ApplianceClient other = appliance.Client("ci-other");
        Pb.SigningRequest request = await client.SubmitAsync(new Pb.SubmitSigningRequestRequest { Key = "quorum-key", Digest = Peers.Artifact("cancel me").Digest });

        // Act
        RpcException foreign = await Peers.FailsAsync(() => other.CancelAsync(request.RequestId));
        Pb.SigningRequest cancelled = await client.CancelAsync(request.RequestId);

        // Assert
        Assert.Equal(StatusCode.PermissionDenied, foreign.StatusCode);
        Assert.Equal(Pb.SigningRequestState.Cancelled, cancelled.State);
        Assert.DoesNotContain((await client.PendingAsync()).Requests, p => p.Request.RequestId == request.RequestId);
    }

    [Fact]
    public async Task Submit_SameClientToken_ReturnsTheSameRequest()
    {
        // Arrange
        using ApplianceClient client = appliance.Client();
        var submit = new Pb.SubmitSigningRequestRequest { Key = "quorum-key", Digest = Peers.Artifact("idempotent").Digest, ClientToken = "pipeline-42-step-7" };

        // Act
        Pb.SigningRequest first = await client.SubmitAsync(submit);
        Pb.SigningRequest again = await client.SubmitAsync(submit);

        // Assert
        Assert.Equal(first.RequestId, again.RequestId);
    }

    [Fact]
    public async Task Press_WithNothingAwaiting_IsIgnored()
    {
        // Arrange
        using ApplianceClient client = appliance.Client();
        Pb.SigningRequest request = await client.SubmitAsync(new Pb.SubmitSigningRequestRequest { Key = "presence-key", Digest = Peers.Artifact("press later").Digest });

        // Act: a press before quorum does nothing; after quorum the next press confirms.
        await SimulatedButtonClient.PressAsync(appliance.PathOf("run", "button.sock"), SimulatedButtonClient.ShortPress);
        Pb.SigningRequest untouched = await client.GetAsync(request.RequestId);
        byte[] statement = (await client.StatementAsync(request.RequestId)).Statement.ToByteArray();
        await client.ApproveAsync(request.RequestId, statement, await Peers.SshSignAsync(appliance.PathOf("officers", "carol"), statement));
        Pb.PendingRequest? owner = await Peers.EventuallyAsync(
            async () => (await client.PendingAsync()).Requests.FirstOrDefault(p => p.Request.RequestId == request.RequestId),
            p => p is { OwnsButton: true }, TimeSpan.FromSeconds(30), "taking the button");
        await SimulatedButtonClient.PressAsync(appliance.PathOf("run", "button.sock"), SimulatedButtonClient.ShortPress);
        Pb.SigningRequest signed = await Peers.EventuallyAsync(() => client.GetAsync(request.RequestId),
            r => r.State == Pb.SigningRequestState.Signed, TimeSpan.FromSeconds(30), "signing");

        // Assert
        Assert.Equal(Pb.SigningRequestState.AwaitingApprovals, untouched.State);
        Assert.Equal(4, owner!.Request.PresenceCode.Length);
        Assert.False(signed.Signature.IsEmpty);
    }
}
