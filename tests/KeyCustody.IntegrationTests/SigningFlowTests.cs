// SPDX-License-Identifier: Apache-2.0
using System.Text.Json;
using KeyCustody.Gpio;
using KeyCustody.Grpc;
using KeyCustody.IntegrationTests.Infrastructure;
using Pb = KeyCustody.Protocol.V1;
using ServingStatus = KeyCustody.Grpc.Health.V1.HealthCheckResponse.Types.ServingStatus;

namespace KeyCustody.IntegrationTests;

/// <summary>The dev appliance as CI and officers use it: low-risk and governed signing, checked with openssl and the offline verifier.</summary>
public sealed class SigningFlowTests(DevApplianceFixture appliance) : IClassFixture<DevApplianceFixture>
{
    [Fact]
    public async Task Health_AfterStart_IsServing()
    {
        // Arrange
        using ApplianceClient client = appliance.Client(clientCertificate: null);

        // Act
        ServingStatus overall = await client.HealthAsync();
        ServingStatus signing = await client.HealthAsync("keycustody.v1.SigningService");

        // Assert
        Assert.Equal("SERVING", appliance.StartStatus);
        Assert.Equal(ServingStatus.Serving, overall);
        Assert.Equal(ServingStatus.Serving, signing);
    }

    [Fact]
    public async Task Sign_LowRiskKey_SignatureVerifiesWithOpensslAndReceiptOffline()
    {
        // Arrange
        using ApplianceClient client = appliance.Client();
        (byte[] artifact, Pb.Digest digest) = Peers.Artifact("release 1.2.3 of something");
        Pb.Key key = await client.KeyAsync("dev-low");

        // Act
        Pb.SignResponse response = await client.SignAsync(new Pb.SignRequest { Key = "dev-low", Digest = digest });

        // Assert
        var openssl = await Peers.OpensslVerifyAsync(key.PublicKeyPem, artifact, response.Signature.ToByteArray());
        Assert.True(openssl.ExitCode == 0, openssl.StandardOutput + openssl.StandardError);
        Assert.Equal(Pb.SignatureScheme.EcdsaDer, response.Scheme);
        string entry = Peers.VerifyReceipt(await client.AuditKeyAsync(), response.Receipt);
        using JsonDocument json = JsonDocument.Parse(entry);
        Assert.Equal("signing.signed", json.RootElement.GetProperty("type").GetString());
        Assert.Equal(response.RequestId, json.RootElement.GetProperty("request_id").GetString());
        Assert.Equal(Convert.ToBase64String(response.Signature.ToByteArray()), json.RootElement.GetProperty("signature").GetString());
    }

    [Fact]
    public async Task Submit_HighRiskKey_TwoApprovalsAndPress_SignedVerifiedAndReceiptOffline()
    {
        // Arrange
        using ApplianceClient ci = appliance.Client();
        using ApplianceClient officer = appliance.Client(clientCertificate: null);
        (byte[] artifact, Pb.Digest digest) = Peers.Artifact("governed release artifact");
        Pb.SigningRequest submitted = await ci.SubmitAsync(new Pb.SubmitSigningRequestRequest
        {
            Key = "dev-release",
            Digest = digest,
            Metadata = new Pb.ArtifactMetadata { Name = "app.tar.gz", Version = "1.0.0" },
        });

        // Act
        foreach (string name in new[] { "alice", "bob" })
        {
            Pb.ApprovalStatement statement = await officer.StatementAsync(submitted.RequestId);
            string signature = await Peers.SshSignAsync(appliance.PathOf("officers", name), statement.Statement.ToByteArray());
            await officer.ApproveAsync(submitted.RequestId, statement.Statement.ToByteArray(), signature);
        }

        Pb.SigningRequest active = await Peers.EventuallyAsync(() => ci.GetAsync(submitted.RequestId),
            r => r.State == Pb.SigningRequestState.PresenceActive, TimeSpan.FromSeconds(30), "taking the button");
        await SimulatedButtonClient.PressAsync(appliance.PathOf("run", "button.sock"), SimulatedButtonClient.ShortPress);
        Pb.SigningRequest? last = null;
        await foreach (Pb.SigningRequest update in ci.Watch(submitted.RequestId, TimeSpan.FromSeconds(60)))
        {
            last = update;
        }

        // Assert
        Assert.Equal(Pb.SigningRequestState.AwaitingApprovals, submitted.State);
        Assert.Equal(2, submitted.ApprovalsRequired);
        Assert.Equal(4, active.PresenceCode.Length);
        Assert.NotNull(last);
        Assert.Equal(Pb.SigningRequestState.Signed, last!.State);
        Assert.Equal(2, last.Approvals.Count);
        Pb.Key key = await ci.KeyAsync("dev-release");
        var openssl = await Peers.OpensslVerifyAsync(key.PublicKeyPem, artifact, last.Signature.ToByteArray());
        Assert.True(openssl.ExitCode == 0, openssl.StandardOutput + openssl.StandardError);
        string entry = Peers.VerifyReceipt(await ci.AuditKeyAsync(), last.Receipt);
        Assert.Contains(submitted.RequestId, entry);
        Assert.Contains("\"presence_code\":\"" + active.PresenceCode + "\"", entry);
    }

    [Fact]
    public async Task Submit_HighRiskKey_LongPressDenies()
    {
        // Arrange
        using ApplianceClient ci = appliance.Client();
        (_, Pb.Digest digest) = Peers.Artifact("artifact nobody should sign");
        Pb.SigningRequest submitted = await ci.SubmitAsync(new Pb.SubmitSigningRequestRequest { Key = "dev-release", Digest = digest });
        foreach (string name in new[] { "bob", "carol" })
        {
            Pb.ApprovalStatement statement = await ci.StatementAsync(submitted.RequestId);
            await ci.ApproveAsync(submitted.RequestId, statement.Statement.ToByteArray(),
                await Peers.SshSignAsync(appliance.PathOf("officers", name), statement.Statement.ToByteArray()));
        }

        await Peers.EventuallyAsync(() => ci.GetAsync(submitted.RequestId),
            r => r.State == Pb.SigningRequestState.PresenceActive, TimeSpan.FromSeconds(30), "taking the button");

        // Act
        await SimulatedButtonClient.PressAsync(appliance.PathOf("run", "button.sock"), SimulatedButtonClient.LongPress);
        Pb.SigningRequest denied = await Peers.EventuallyAsync(() => ci.GetAsync(submitted.RequestId),
            r => r.State != Pb.SigningRequestState.PresenceActive, TimeSpan.FromSeconds(30), "the long press");

        // Assert
        Assert.Equal(Pb.SigningRequestState.Denied, denied.State);
        Assert.Contains("long press", denied.StateReason);
        Assert.True(denied.Signature.IsEmpty);
        IReadOnlyList<JsonElement> entries = await ci.AllEntriesAsync();
        Assert.Contains(entries, e => e.GetProperty("type").GetString() == "signing.denied"
            && e.GetProperty("request_id").GetString() == submitted.RequestId);
    }

    [Fact]
    public async Task Sign_NoClientCertificate_Unauthenticated()
    {
        // Arrange
        using ApplianceClient anonymous = appliance.Client(clientCertificate: null);
        (_, Pb.Digest digest) = Peers.Artifact("anonymous");

        // Act
        RpcException ex = await Peers.FailsAsync(() => anonymous.SignAsync(new Pb.SignRequest { Key = "dev-low", Digest = digest }));

        // Assert
        Assert.Equal(StatusCode.Unauthenticated, ex.StatusCode);
        Assert.Contains("client certificate", ex.Detail);
        Assert.Equal("Unauthenticated", ex.Trailers.GetValue("keycustody-status"));
    }

    [Fact]
    public async Task Sign_ClientCertificateFromUntrustedCa_Unauthenticated()
    {
        // Arrange: same subject and SAN as the allowed CI client, issued by a CA the appliance does not trust.
        using ApplianceClient spoof = appliance.Client("untrusted-client");
        (_, Pb.Digest digest) = Peers.Artifact("spoofed");

        // Act
        RpcException ex = await Peers.FailsAsync(() => spoof.SignAsync(new Pb.SignRequest { Key = "dev-low", Digest = digest }));

        // Assert
        Assert.Equal(StatusCode.Unauthenticated, ex.StatusCode);
    }

    [Fact]
    public async Task Sign_CallerNotAllowedByPolicy_PermissionDeniedAndAudited()
    {
        // Arrange
        using ApplianceClient other = appliance.Client("ci-other");
        (_, Pb.Digest digest) = Peers.Artifact("from another pipeline");

        // Act
        RpcException ex = await Peers.FailsAsync(() => other.SignAsync(new Pb.SignRequest { Key = "dev-low", Digest = digest }));

        // Assert
        Assert.Equal(StatusCode.PermissionDenied, ex.StatusCode);
        Assert.Contains("ci-other", ex.Detail);
        IReadOnlyList<JsonElement> entries = await other.AllEntriesAsync();
        Assert.Contains(entries, e => e.GetProperty("type").GetString() == "access.denied"
            && e.GetProperty("digest").GetString() == Convert.ToHexStringLower(digest.Value.ToByteArray()));
    }

    [Fact]
    public async Task Sign_KeyNeedingQuorum_FailedPrecondition()
    {
        // Arrange
        using ApplianceClient ci = appliance.Client();
        (_, Pb.Digest digest) = Peers.Artifact("shortcut attempt");

        // Act
        RpcException ex = await Peers.FailsAsync(() => ci.SignAsync(new Pb.SignRequest { Key = "dev-release", Digest = digest }));

        // Assert
        Assert.Equal(StatusCode.FailedPrecondition, ex.StatusCode);
        Assert.Equal("ApprovalsMissing", ex.Trailers.GetValue("keycustody-status"));
    }

    [Fact]
    public async Task DaemonOutput_AfterStartAndSigning_HoldsNoPin()
    {
        // Arrange: the dev HSM PIN is 24 random hex digits, sealed in the TPM; the SO PIN sits in softhsm/so-pin.
        using ApplianceClient ci = appliance.Client();
        await ci.SignAsync(new Pb.SignRequest { Key = "dev-low", Digest = Peers.Artifact("log hygiene").Digest });
        string soPin = (await File.ReadAllTextAsync(appliance.PathOf("softhsm", "so-pin"))).Trim();

        // Act
        string output = appliance.Daemon.Output;

        // Assert
        Assert.Contains("SERVING", output);
        Assert.DoesNotContain(soPin, output);
        Assert.DoesNotMatch(new System.Text.RegularExpressions.Regex("(?<![0-9a-f])[0-9a-f]{24}(?![0-9a-f])"), output);
    }

    [Fact]
    public async Task Sign_UnknownKey_NotFound()
    {
        // Arrange
        using ApplianceClient ci = appliance.Client();
        (_, Pb.Digest digest) = Peers.Artifact("x");

        // Act
        RpcException ex = await Peers.FailsAsync(() => ci.SignAsync(new Pb.SignRequest { Key = "no-such-key", Digest = digest }));

        // Assert
        Assert.Equal(StatusCode.NotFound, ex.StatusCode);
    }
}
