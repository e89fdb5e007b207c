// SPDX-License-Identifier: Apache-2.0
using System.Text.Json.Nodes;
using KeyCustody.Cli;
using KeyCustody.Testing;
using Pb = KeyCustody.Protocol.V1;

namespace KeyCustody.IntegrationTests;

/// <summary>`keycustody ceremony propose | show | endorse --ssh-key | status` against the dev appliance, custodians signing with ssh-keygen.</summary>
public sealed class CeremonyCliTests(CliApplianceFixture appliance) : IClassFixture<CliApplianceFixture>
{
    private static void Ok(ProcessResult result) =>
        Assert.True(result.ExitCode == 0, $"exit {result.ExitCode}\nstdout: {result.StandardOutput}\nstderr: {result.StandardError}");

    [Fact]
    public async Task Ceremony_ProposeShowEndorseTwice_RetiresKey()
    {
        // Arrange
        ProcessResult proposed = await appliance.RunCliAsync("--json", "ceremony", "propose", "retire-key", "--params", """{"key":"dev-low"}""", "--comment", "cli test");
        Ok(proposed);
        string id = CliApplianceFixture.ParseJson(proposed)["ceremonyId"]!.GetValue<string>();

        // Act
        ProcessResult shown = await appliance.RunCliAsync("ceremony", "show", id);
        ProcessResult dave = await appliance.RunCliAsync("ceremony", "endorse", id, "--ssh-key", appliance.PathOf("custodians", "dave"));
        ProcessResult erin = await appliance.RunCliAsync("--json", "ceremony", "endorse", id, "--ssh-key", appliance.PathOf("custodians", "erin"));
        ProcessResult status = await appliance.RunCliAsync("ceremony", "status", id);

        // Assert
        Ok(shown);
        Ok(dave);
        Ok(erin);
        Ok(status);
        Assert.StartsWith($"keycustody-ceremony-v1\nceremony: {id}\nkind: retire-key\nparams: {{\"key\":\"dev-low\"}}\n", shown.StandardOutput);
        Assert.Contains("endorsements: 1 of 2 (dave)", dave.StandardOutput);
        JsonNode done = CliApplianceFixture.ParseJson(erin);
        Assert.Equal("CEREMONY_STATE_EXECUTED", done["state"]!.GetValue<string>());
        Assert.Contains("endorsements: 2 of 2 (dave, erin)", status.StandardOutput);
        await using IApplianceClient client = appliance.CliClient();
        Assert.Equal(Pb.KeyStatus.Retired, (await client.GetKeyAsync("dev-low", CancellationToken.None)).Status);
    }

    [Fact]
    public async Task Ceremony_ProposeSecondGenesis_FailsWithReason()
    {
        // Arrange / Act
        ProcessResult result = await appliance.RunCliAsync("ceremony", "propose", "genesis");

        // Assert
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("second genesis is refused", result.StandardError + result.StandardOutput);
    }
}
