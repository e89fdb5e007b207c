// SPDX-License-Identifier: Apache-2.0
using System.Text;
using System.Text.Json;
using KeyCustody.Grpc;
using KeyCustody.IntegrationTests.Infrastructure;
using KeyCustody.Testing;
using Pb = KeyCustody.Protocol.V1;

namespace KeyCustody.IntegrationTests;

/// <summary>Every quorum rule violated once through the real API with real `ssh-keygen -Y sign` signatures: right status, message and audit entry.</summary>
public sealed class QuorumRuleTests(GovernanceFixture appliance) : IClassFixture<GovernanceFixture>
{
    private async Task<(ApplianceClient Client, string Id)> SubmitAsync(string key = "quorum-key", string text = "")
    {
        ApplianceClient client = appliance.Client();
        (_, Pb.Digest digest) = Peers.Artifact("quorum " + key + " " + text + Guid.NewGuid());
        Pb.SigningRequest request = await client.SubmitAsync(new Pb.SubmitSigningRequestRequest { Key = key, Digest = digest });
        return (client, request.RequestId);
    }

    private async Task<(byte[] Statement, string Signature)> SignedStatementAsync(ApplianceClient client, string id, string officer, bool deny = false)
    {
        byte[] statement = (await client.StatementAsync(id, deny)).Statement.ToByteArray();
        return (statement, await Peers.SshSignAsync(appliance.PathOf("officers", officer), statement));
    }

    private async Task AssertRejectionAuditedAsync(ApplianceClient client, string id, string status)
    {
        IReadOnlyList<JsonElement> entries = await client.AllEntriesAsync();
        Assert.Contains(entries, e => e.GetProperty("type").GetString() == "signing.vote_rejected"
            && e.GetProperty("request_id").GetString() == id
            && e.GetProperty("status").GetString() == status);
    }

    [Fact]
    public async Task Approve_TwoDistinctOfficers_SignsWithoutPresence()
    {
        // Arrange
        (ApplianceClient client, string id) = await SubmitAsync();
        using ApplianceClient owned = client;

        // Act
        foreach (string officer in new[] { "alice", "bob" })
        {
            (byte[] statement, string signature) = await SignedStatementAsync(client, id, officer);
            await client.ApproveAsync(id, statement, signature);
        }

        Pb.SigningRequest done = await Peers.EventuallyAsync(() => client.GetAsync(id),
            r => r.State == Pb.SigningRequestState.Signed, TimeSpan.FromSeconds(30), "signing");

        // Assert
        Assert.False(done.Signature.IsEmpty);
        Assert.Equal(new[] { "alice", "bob" }, done.Approvals.Select(a => a.Officer).ToArray());
    }

    [Fact]
    public async Task Approve_SameOfficerTwice_AlreadyExists()
    {
        // Arrange
        (ApplianceClient client, string id) = await SubmitAsync();
        using ApplianceClient owned = client;
        (byte[] first, string firstSignature) = await SignedStatementAsync(client, id, "alice");
        await client.ApproveAsync(id, first, firstSignature);
        // A statement issued in a later second, so the second signature is new (Ed25519 signatures are deterministic).
        byte[] second = await Peers.EventuallyAsync(async () => (await client.StatementAsync(id)).Statement.ToByteArray(),
            s => !s.AsSpan().SequenceEqual(first), TimeSpan.FromSeconds(10), "a fresh statement");

        // Act
        RpcException ex = await Peers.FailsAsync(async () =>
            await client.ApproveAsync(id, second, await Peers.SshSignAsync(appliance.PathOf("officers", "alice"), second)));

        // Assert
        Assert.Equal(StatusCode.AlreadyExists, ex.StatusCode);
        Assert.Contains("alice has already approved", ex.Detail);
        await AssertRejectionAuditedAsync(client, id, "AlreadyExists");
    }

    [Fact]
    public async Task Approve_OfficerSharingAnotherOfficersKey_CountsOnce()
    {
        // Arrange: alice-alias is enrolled with alice's key; alice approved already.
        (ApplianceClient client, string id) = await SubmitAsync();
        using ApplianceClient owned = client;
        (byte[] first, string firstSignature) = await SignedStatementAsync(client, id, "alice");
        await client.ApproveAsync(id, first, firstSignature);
        byte[] second = await Peers.EventuallyAsync(async () => (await client.StatementAsync(id)).Statement.ToByteArray(),
            s => !s.AsSpan().SequenceEqual(first), TimeSpan.FromSeconds(10), "a fresh statement");

        // Act
        RpcException ex = await Peers.FailsAsync(async () =>
            await client.ApproveAsync(id, second, await Peers.SshSignAsync(appliance.PathOf("officers", "alice"), second)));
        Pb.SigningRequest after = await client.GetAsync(id);

        // Assert
        Assert.Equal(StatusCode.AlreadyExists, ex.StatusCode);
        Assert.Equal(1, after.ApprovalsReceived);
        await AssertRejectionAuditedAsync(client, id, "AlreadyExists");
    }

    [Fact]
    public async Task Approve_OfficerOwningTheRequesterIdentity_PermissionDenied()
    {
        // Arrange
        (ApplianceClient client, string id) = await SubmitAsync();
        using ApplianceClient owned = client;
        (byte[] statement, string signature) = await SignedStatementAsync(client, id, "mallory");

        // Act
        RpcException ex = await Peers.FailsAsync(() => client.ApproveAsync(id, statement, signature));

        // Assert
        Assert.Equal(StatusCode.PermissionDenied, ex.StatusCode);
        Assert.Contains("cannot approve their own request", ex.Detail);
        await AssertRejectionAuditedAsync(client, id, "PermissionDenied");
    }

    [Fact]
    public async Task Approve_OfficerOutsideTheGroup_PermissionDenied()
    {
        // Arrange
        (ApplianceClient client, string id) = await SubmitAsync();
        using ApplianceClient owned = client;
        (byte[] statement, string signature) = await SignedStatementAsync(client, id, "oscar");

        // Act
        RpcException ex = await Peers.FailsAsync(() => client.ApproveAsync(id, statement, signature));

        // Assert
        Assert.Equal(StatusCode.PermissionDenied, ex.StatusCode);
        Assert.Contains("not in group \"release-officers\"", ex.Detail);
        await AssertRejectionAuditedAsync(client, id, "PermissionDenied");
    }

    [Fact]
    public async Task Approve_StatementNotMatchingTheRequest_InvalidArgument()
    {
        // Arrange: the officer signs a statement whose digest was altered.
        (ApplianceClient client, string id) = await SubmitAsync();
        using ApplianceClient owned = client;
        string text = Encoding.UTF8.GetString((await client.StatementAsync(id)).Statement.ToByteArray());
        Pb.SigningRequest request = await client.GetAsync(id);
        string digestHex = Convert.ToHexStringLower(request.Digest.Value.ToByteArray());
        byte[] altered = Encoding.UTF8.GetBytes(text.Replace(digestHex, new string('0', digestHex.Length), StringComparison.Ordinal));
        string signature = await Peers.SshSignAsync(appliance.PathOf("officers", "bob"), altered);

        // Act
        RpcException ex = await Peers.FailsAsync(() => client.ApproveAsync(id, altered, signature));

        // Assert
        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
        Assert.Contains("does not match request", ex.Detail);
        await AssertRejectionAuditedAsync(client, id, "InvalidArgument");
    }

    [Fact]
    public async Task Approve_StatementOfAnotherRequest_ReplayRejected()
    {
        // Arrange
        (ApplianceClient client, string first) = await SubmitAsync();
        using ApplianceClient owned = client;
        (ApplianceClient other, string second) = await SubmitAsync(text: "second");
        other.Dispose();
        (byte[] statement, string signature) = await SignedStatementAsync(client, first, "bob");

        // Act
        RpcException ex = await Peers.FailsAsync(() => client.ApproveAsync(second, statement, signature));

        // Assert
        Assert.Equal(StatusCode.PermissionDenied, ex.StatusCode);
        Assert.Contains("Replay rejected", ex.Detail);
        await AssertRejectionAuditedAsync(client, second, "PermissionDenied");
    }

    [Fact]
    public async Task Approve_SignatureInAnotherNamespace_Unauthenticated()
    {
        // Arrange
        (ApplianceClient client, string id) = await SubmitAsync();
        using ApplianceClient owned = client;
        byte[] statement = (await client.StatementAsync(id)).Statement.ToByteArray();
        string signature = await Peers.SshSignAsync(appliance.PathOf("officers", "bob"), statement, ns: "file");

        // Act
        RpcException ex = await Peers.FailsAsync(() => client.ApproveAsync(id, statement, signature));

        // Assert
        Assert.Equal(StatusCode.Unauthenticated, ex.StatusCode);
        await AssertRejectionAuditedAsync(client, id, "Unauthenticated");
    }

    [Fact]
    public async Task Approve_KeyNotEnrolled_Unauthenticated()
    {
        // Arrange
        (ApplianceClient client, string id) = await SubmitAsync();
        using ApplianceClient owned = client;
        using var dir = new TempDirectory("kc-stranger");
        (await ProcessRunner.RunAsync("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", dir.File("stranger"))).EnsureSuccess("ssh-keygen");
        byte[] statement = (await client.StatementAsync(id)).Statement.ToByteArray();
        string signature = await Peers.SshSignAsync(dir.File("stranger"), statement);

        // Act
        RpcException ex = await Peers.FailsAsync(() => client.ApproveAsync(id, statement, signature));

        // Assert
        Assert.Equal(StatusCode.Unauthenticated, ex.StatusCode);
        Assert.Contains("not enrolled", ex.Detail);
        await AssertRejectionAuditedAsync(client, id, "Unauthenticated");
    }

    [Fact]
    public async Task Deny_OneOfficer_EndsTheRequestAndLaterApprovalsFail()
    {
        // Arrange
        (ApplianceClient client, string id) = await SubmitAsync();
        using ApplianceClient owned = client;
        (byte[] deny, string denySignature) = await SignedStatementAsync(client, id, "carol", deny: true);
        (byte[] approve, string approveSignature) = await SignedStatementAsync(client, id, "bob");

        // Act
        Pb.DenyResponse denied = await client.DenyAsync(id, deny, denySignature);
        RpcException late = await Peers.FailsAsync(() => client.ApproveAsync(id, approve, approveSignature));

        // Assert
        Assert.Equal(Pb.SigningRequestState.Denied, denied.Request.State);
        Assert.Contains("carol", denied.Request.StateReason);
        Assert.Equal(StatusCode.FailedPrecondition, late.StatusCode);
        Assert.Equal("WrongState", late.Trailers.GetValue("keycustody-status"));
        IReadOnlyList<JsonElement> entries = await client.AllEntriesAsync();
        Assert.Contains(entries, e => e.GetProperty("type").GetString() == "signing.denied" && e.GetProperty("request_id").GetString() == id);
        await AssertRejectionAuditedAsync(client, id, "WrongState");
    }

    [Fact]
    public async Task Approve_WithDenyStatement_InvalidArgument()
    {
        // Arrange
        (ApplianceClient client, string id) = await SubmitAsync();
        using ApplianceClient owned = client;
        (byte[] deny, string signature) = await SignedStatementAsync(client, id, "bob", deny: true);

        // Act
        RpcException ex = await Peers.FailsAsync(() => client.ApproveAsync(id, deny, signature));

        // Assert
        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
        await AssertRejectionAuditedAsync(client, id, "InvalidArgument");
    }
}
