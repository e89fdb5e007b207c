// SPDX-License-Identifier: Apache-2.0
using System.Text.Json;
using KeyCustody.Grpc;
using KeyCustody.IntegrationTests.Infrastructure;
using Pb = KeyCustody.Protocol.V1;

namespace KeyCustody.IntegrationTests;

/// <summary>Expired requests and expired approval statements (policies allow 1 minute at least, so this class waits about that long).</summary>
public sealed class ExpiryTests(GovernanceFixture appliance) : IClassFixture<GovernanceFixture>
{
    [Fact]
    public async Task Approve_AfterRequestOrStatementExpired_AbortedAndAudited()
    {
        // Arrange: one request that expires after a minute, one whose approval statement does.
        using ApplianceClient client = appliance.Client();
        Pb.SigningRequest brief = await client.SubmitAsync(new Pb.SubmitSigningRequestRequest { Key = "brief-key", Digest = Peers.Artifact("brief").Digest });
        Pb.SigningRequest lasting = await client.SubmitAsync(new Pb.SubmitSigningRequestRequest { Key = "short-approval-key", Digest = Peers.Artifact("lasting").Digest });
        Pb.ApprovalStatement briefStatement = await client.StatementAsync(brief.RequestId);
        Pb.ApprovalStatement lastingStatement = await client.StatementAsync(lasting.RequestId);
        string briefSignature = await Peers.SshSignAsync(appliance.PathOf("officers", "alice"), briefStatement.Statement.ToByteArray());
        string lastingSignature = await Peers.SshSignAsync(appliance.PathOf("officers", "alice"), lastingStatement.Statement.ToByteArray());
        Pb.SigningRequest expired = await Peers.EventuallyAsync(() => client.GetAsync(brief.RequestId),
            r => r.State == Pb.SigningRequestState.Expired, TimeSpan.FromMinutes(3), "the request expiry");
        await Peers.EventuallyAsync(() => Task.FromResult(DateTimeOffset.UtcNow),
            now => now > lastingStatement.ExpiresAt.ToDateTimeOffset().AddSeconds(1), TimeSpan.FromMinutes(3), "the statement expiry");

        // Act
        RpcException lateForRequest = await Peers.FailsAsync(() =>
            client.ApproveAsync(brief.RequestId, briefStatement.Statement.ToByteArray(), briefSignature));
        RpcException lateStatement = await Peers.FailsAsync(() =>
            client.ApproveAsync(lasting.RequestId, lastingStatement.Statement.ToByteArray(), lastingSignature));

        // Assert
        Assert.Equal(StatusCode.Aborted, lateForRequest.StatusCode);
        Assert.Equal("Expired", lateForRequest.Trailers.GetValue("keycustody-status"));
        Assert.Equal(StatusCode.Aborted, lateStatement.StatusCode);
        Assert.Contains("expired", lateStatement.Detail);
        Assert.Equal(Pb.SigningRequestState.AwaitingApprovals, (await client.GetAsync(lasting.RequestId)).State);
        IReadOnlyList<JsonElement> entries = await client.AllEntriesAsync();
        Assert.Contains(entries, e => e.GetProperty("type").GetString() == "signing.expired" && e.GetProperty("request_id").GetString() == brief.RequestId);
        Assert.Contains(entries, e => e.GetProperty("type").GetString() == "signing.vote_rejected"
            && e.GetProperty("request_id").GetString() == lasting.RequestId && e.GetProperty("status").GetString() == "Expired");
        Assert.Equal(Pb.SigningRequestState.Expired, expired.State);
    }
}
