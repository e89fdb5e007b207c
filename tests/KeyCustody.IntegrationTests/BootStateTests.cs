// SPDX-License-Identifier: Apache-2.0
using System.Text.Json;
using KeyCustody.Grpc;
using KeyCustody.IntegrationTests.Infrastructure;
using Pb = KeyCustody.Protocol.V1;
using ServingStatus = KeyCustody.Grpc.Health.V1.HealthCheckResponse.Types.ServingStatus;

namespace KeyCustody.IntegrationTests;

/// <summary>
/// A changed measurement PCR: the configuration is edited, so the daemon extends a different value into PCR 23
/// than the one the HSM PIN was sealed to. The TPM refuses to unseal; the daemon answers health NOT_SERVING and
/// refuses every signing call, while the audit log stays readable and records the failure.
/// </summary>
public sealed class BootStateTests(DevApplianceFixture appliance) : IClassFixture<DevApplianceFixture>
{
    [Fact]
    public async Task Start_MeasurementPcrChanged_NotServingAndSigningRefused()
    {
        // Arrange
        Assert.Equal("SERVING", appliance.StartStatus);
        await appliance.StopAsync();
        string config = appliance.PathOf("keycustody.json");
        string text = await File.ReadAllTextAsync(config);
        await File.WriteAllTextAsync(config, text.Replace("\"logLevel\": \"Information\"", "\"logLevel\": \"Debug\"", StringComparison.Ordinal));

        // Act
        await appliance.StartAsync();
        using ApplianceClient client = appliance.Client();
        ServingStatus health = await client.HealthAsync();
        RpcException sign = await Peers.FailsAsync(() => client.SignAsync(new Pb.SignRequest { Key = "dev-low", Digest = Peers.Artifact("after tamper").Digest }));
        RpcException submit = await Peers.FailsAsync(() =>
            client.SubmitAsync(new Pb.SubmitSigningRequestRequest { Key = "dev-release", Digest = Peers.Artifact("after tamper").Digest }));

        // Assert
        Assert.NotEqual(text, await File.ReadAllTextAsync(config));
        Assert.StartsWith("NOT_SERVING (BootStateChanged)", appliance.StartStatus);
        Assert.Contains("PCR", appliance.StartStatus);
        Assert.Equal(ServingStatus.NotServing, health);
        Assert.Equal(StatusCode.FailedPrecondition, sign.StatusCode);
        Assert.Equal("BootStateChanged", sign.Trailers.GetValue("keycustody-status"));
        Assert.Contains("PCR", sign.Trailers.GetValue("keycustody-reason"));
        Assert.Equal(StatusCode.FailedPrecondition, submit.StatusCode);
        IReadOnlyList<JsonElement> entries = await client.AllEntriesAsync();
        Assert.Contains(entries, e => e.GetProperty("type").GetString() == "tpm.unseal_failed"
            && e.GetProperty("status").GetString() == "BootStateChanged");
        Assert.Contains(entries, e => e.GetProperty("type").GetString() == "appliance.start_failed");
    }
}

/// <summary>
/// A bound PCR changing while the daemon runs (PCR 17 through swtpm's control channel, as a dynamic launch would):
/// the policy watchdog notices, health goes NOT_SERVING and signing stops with BootStateChanged, audited.
/// </summary>
public sealed class PcrWatchdogTests(DevApplianceFixture appliance) : IClassFixture<DevApplianceFixture>
{
    [Fact]
    public async Task Serving_BoundPcrChangesAtRunTime_StopsSigning()
    {
        // Arrange
        using ApplianceClient client = appliance.Client();
        await client.SignAsync(new Pb.SignRequest { Key = "dev-low", Digest = Peers.Artifact("before the change").Digest });
        using JsonDocument dev = JsonDocument.Parse(await File.ReadAllTextAsync(appliance.PathOf("dev.json")));
        int control = dev.RootElement.GetProperty("swtpmPort").GetInt32() + 1;

        // Act
        (await Testing.ProcessRunner.RunAsync("swtpm_ioctl", "--tcp", $"127.0.0.1:{control}", "-h", "unexpected dynamic launch"))
            .EnsureSuccess("swtpm_ioctl -h");
        ServingStatus health = await Peers.EventuallyAsync(() => client.HealthAsync(), h => h == ServingStatus.NotServing,
            TimeSpan.FromSeconds(60), "the watchdog noticing the PCR change");
        RpcException sign = await Peers.FailsAsync(() => client.SignAsync(new Pb.SignRequest { Key = "dev-low", Digest = Peers.Artifact("after").Digest }));

        // Assert
        Assert.Equal(ServingStatus.NotServing, health);
        Assert.Equal(StatusCode.FailedPrecondition, sign.StatusCode);
        Assert.Equal("BootStateChanged", sign.Trailers.GetValue("keycustody-status"));
        Assert.Contains("PCR 17", sign.Detail);
        // Signing stops first; the audit entry follows moments later.
        await Peers.EventuallyAsync(() => client.AllEntriesAsync(),
            entries => entries.Any(e => e.GetProperty("type").GetString() == "tpm.policy_changed"), TimeSpan.FromSeconds(30), "the audit entry");
    }
}
