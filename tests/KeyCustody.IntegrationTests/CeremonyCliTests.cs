// SPDX-License-Identifier: Apache-2.0
using System.Text.Json.Nodes;
using KeyCustody.Cli;
using KeyCustody.Testing;
using Pb = KeyCustody.Protocol.V1;

namespace KeyCustody.IntegrationTests;

/// <summary>`keycustody ceremony propose | show | endorse --ssh-key | status` against the dev appliance, custodians signing with ssh-keygen.</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
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

    private async Task<string> RunCeremonyAsync(string kind, string parameters)
    {
        ProcessResult proposed = await appliance.RunCliAsync("--json", "ceremony", "propose", kind, "--params", parameters);
        Ok(proposed);
        string id = CliApplianceFixture.ParseJson(proposed)["ceremonyId"]!.GetValue<string>();
        Ok(await appliance.RunCliAsync("ceremony", "endorse", id, "--ssh-key", appliance.PathOf("custodians", "dave")));
        ProcessResult last = await appliance.RunCliAsync("--json", "ceremony", "endorse", id, "--ssh-key", appliance.PathOf("custodians", "erin"));
        Ok(last);
        Assert.Equal("CEREMONY_STATE_EXECUTED", CliApplianceFixture.ParseJson(last)["state"]!.GetValue<string>());
        return id;
    }

    [Fact]
    public async Task Ceremony_BackupWithShareKeys_BundleOutChecksWithTwoSharesNotOne()
    {
        // Arrange
        string policy = """{"riskTier":"low","allowedCallers":[{"san":"URI:spiffe://keycustody.dev/ci/ci-dev"}],"allowedDigests":["sha256"]}""";
        await RunCeremonyAsync("generate-key", $$"""{"key":"cli-bk","algorithm":"ecdsa-p256","backupCapable":true,"policy":{{policy}}}""");
        string daveKey = Path.Combine(appliance.WorkDirectory, "dave.share-key"), erinKey = Path.Combine(appliance.WorkDirectory, "erin.share-key");
        ProcessResult davePub = await appliance.RunCliAsync("ceremony", "share-key", "--out", daveKey);
        ProcessResult erinPub = await appliance.RunCliAsync("ceremony", "share-key", "--out", erinKey);
        Ok(davePub);
        Ok(erinPub);
        string bundle = Path.Combine(appliance.WorkDirectory, "backup.json");

        // Act
        string id = await RunCeremonyAsync("backup",
            System.Text.Json.JsonSerializer.Serialize(new { keys = new[] { "cli-bk" }, recipients = new { dave = davePub.StandardOutput.Trim(), erin = erinPub.StandardOutput.Trim() } }));
        ProcessResult written = await appliance.RunCliAsync("ceremony", "status", id, "--bundle-out", bundle);
        ProcessResult both = await appliance.RunCliAsync("ceremony", "check-bundle", bundle, "--share-key", "dave=" + daveKey, "--share-key", "erin=" + erinKey);
        ProcessResult one = await appliance.RunCliAsync("ceremony", "check-bundle", bundle, "--share-key", "dave=" + daveKey);

        // Assert
        Ok(written);
        Ok(both);
        Assert.Contains("2 share(s) rebuild its wrap key; 1 key(s): cli-bk", both.StandardOutput);
        Assert.NotEqual(0, one.ExitCode);
        Assert.Contains("2 are needed", one.StandardError + one.StandardOutput);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(daveKey));
        Assert.DoesNotContain((await File.ReadAllTextAsync(daveKey)).Trim(), await File.ReadAllTextAsync(bundle));
    }
}
