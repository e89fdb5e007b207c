// SPDX-License-Identifier: Apache-2.0
using System.Text.Json;
using KeyCustody.Gpio;
using KeyCustody.IntegrationTests.Infrastructure;
using Pb = KeyCustody.Protocol.V1;

namespace KeyCustody.IntegrationTests;

/// <summary>A daemon restart with pending requests: they survive (SQLite) and complete afterwards.</summary>
public sealed class RestartTests(DevApplianceFixture appliance) : IClassFixture<DevApplianceFixture>
{
    [Fact]
    public async Task Restart_WithPendingRequest_RequestSurvivesAndCompletes()
    {
        // Arrange: one approval before the restart.
        (byte[] artifact, Pb.Digest digest) = Peers.Artifact("survives a restart");
        string id;
        using (ApplianceClient before = appliance.Client())
        {
            id = (await before.SubmitAsync(new Pb.SubmitSigningRequestRequest { Key = "dev-release", Digest = digest })).RequestId;
            byte[] statement = (await before.StatementAsync(id)).Statement.ToByteArray();
            await before.ApproveAsync(id, statement, await Peers.SshSignAsync(appliance.PathOf("officers", "alice"), statement));
        }

        // Act
        int exitCode = await appliance.StopAsync();
        await appliance.StartAsync();
        using ApplianceClient after = appliance.Client();
        Pb.PendingRequest? pending = (await after.PendingAsync()).Requests.FirstOrDefault(p => p.Request.RequestId == id);
        byte[] second = (await after.StatementAsync(id)).Statement.ToByteArray();
        await after.ApproveAsync(id, second, await Peers.SshSignAsync(appliance.PathOf("officers", "carol"), second));
        await Peers.EventuallyAsync(() => after.GetAsync(id), r => r.State == Pb.SigningRequestState.PresenceActive, TimeSpan.FromSeconds(30), "taking the button");
        await SimulatedButtonClient.PressAsync(appliance.PathOf("run", "button.sock"), SimulatedButtonClient.ShortPress);
        Pb.SigningRequest signed = await Peers.EventuallyAsync(() => after.GetAsync(id),
            r => r.State == Pb.SigningRequestState.Signed, TimeSpan.FromSeconds(30), "signing");

        // Assert
        Assert.Equal(0, exitCode);
        Assert.Equal("SERVING", appliance.StartStatus);
        Assert.NotNull(pending);
        Assert.Equal(1, pending!.Request.ApprovalsReceived);
        Pb.Key key = await after.KeyAsync("dev-release");
        var openssl = await Peers.OpensslVerifyAsync(key.PublicKeyPem, artifact, signed.Signature.ToByteArray());
        Assert.True(openssl.ExitCode == 0, openssl.StandardError);
        IReadOnlyList<JsonElement> entries = await after.AllEntriesAsync();
        string[] types = entries.Select(e => e.GetProperty("type").GetString()!).ToArray();
        Assert.Equal(2, types.Count(t => t == "appliance.started"));
        Assert.Contains("appliance.stopping", types);
        Assert.Equal(2, types.Count(t => t == "tpm.unsealed"));
        Peers.VerifyReceipt(await after.AuditKeyAsync(), signed.Receipt);
    }
}
