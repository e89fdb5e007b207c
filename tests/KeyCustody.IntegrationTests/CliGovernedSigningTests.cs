// SPDX-License-Identifier: Apache-2.0
using System.Text.Json.Nodes;
using KeyCustody.Protocol.V1;
using KeyCustody.Testing;
using Xunit;

namespace KeyCustody.IntegrationTests;

/// <summary>
/// The built <c>keycustody</c> through the high-risk flow on <c>dev-release</c> (2 of 3 officers + a press): approvals
/// made by the real ssh-keygen, the simulated button, denial, and a signature made by hand.
/// </summary>
public sealed class CliGovernedSigningTests(CliApplianceFixture appliance) : IClassFixture<CliApplianceFixture>, IAsyncLifetime
{
    private static readonly TimeSpan s_waitLimit = TimeSpan.FromMinutes(5);

    public Task InitializeAsync() => Task.CompletedTask;

    // A test that stops half-way must not leave a request holding the button or the pending quota for the next.
    public async Task DisposeAsync()
    {
        foreach (string id in await appliance.PendingIdsAsync())
        {
            await appliance.RunCliAsync("deny", id, "--ssh-key", appliance.OfficerKey("carol"));
        }
    }

    private async Task<string> SubmitAsync(string artifact)
    {
        ProcessResult result = await appliance.RunCliAsync("sign", "--json", "--key", "dev-release", "--file", artifact);
        Assert.True(result.ExitCode == 13, $"exit {result.ExitCode}: {result.StandardError}\ndaemon: {appliance.DaemonTail()}");
        JsonNode json = CliApplianceFixture.ParseJson(result);
        Assert.Equal("SIGNING_REQUEST_STATE_AWAITING_APPROVALS", json["state"]!.GetValue<string>());
        return json["requestId"]!.GetValue<string>();
    }

    [Fact]
    public async Task SignWait_TwoApprovalsAndPress_SignsAndOpensslVerifies()
    {
        // Arrange
        string artifact = appliance.NewArtifact("release.tar");
        HashSet<string> before = await appliance.PendingIdsAsync();
        Task<ProcessResult> signing = appliance.RunCliAsync(["sign", "--key", "dev-release", "--file", artifact, "--wait", "--meta", "version=2.0.0"], s_waitLimit);
        string id = await appliance.WaitForPendingAsync("dev-release", before);

        // Act
        ProcessResult alice = await appliance.RunCliAsync("approve", id, "--ssh-key", appliance.OfficerKey("alice"));
        ProcessResult bob = await appliance.RunCliAsync("approve", id, "--ssh-key", appliance.OfficerKey("bob"));
        SigningRequest owning = await appliance.WaitForRequestAsync(id, r => r.State == SigningRequestState.PresenceActive);
        ProcessResult pending = await appliance.RunCliAsync("pending");
        ProcessResult press = await appliance.RunCliAsync("dev", "press");
        ProcessResult signed = await signing;

        // Assert
        Assert.True(alice.ExitCode == 0, alice.StandardError);
        Assert.Contains($"approved {id} as alice: approvals 1/2", alice.StandardOutput);
        Assert.True(bob.ExitCode == 0, bob.StandardError);
        Assert.Contains($"approved {id} as bob", bob.StandardOutput);
        Assert.Contains("NOW code " + owning.PresenceCode, pending.StandardOutput);
        Assert.True(press.ExitCode == 0, press.StandardError);
        Assert.True(signed.ExitCode == 0, $"{signed.StandardError}\ndaemon: {appliance.DaemonTail()}");
        Assert.Contains("waiting for approvals: 0/2", signed.StandardError);
        Assert.Contains("press the button on the appliance now, code " + owning.PresenceCode, signed.StandardError);
        string publicKey = Path.Combine(appliance.WorkDirectory, "dev-release.pem");
        await File.WriteAllTextAsync(publicKey, CliApplianceFixture.ParseJson(await appliance.RunCliAsync("keys", "dev-release", "--json"))["publicKeyPem"]!.GetValue<string>());
        ProcessResult verify = await ProcessRunner.RunAsync("openssl", "dgst", "-sha256", "-verify", publicKey, "-signature", artifact + ".sig", artifact);
        Assert.True(verify.ExitCode == 0, verify.StandardError + verify.StandardOutput);
        ProcessResult receiptCheck = await appliance.VerifyReceiptAsync(artifact + ".sig.receipt.json");
        Assert.True(receiptCheck.ExitCode == 0, receiptCheck.StandardOutput + receiptCheck.StandardError);
    }

    [Fact]
    public async Task SignWait_OfficerDenies_ExitsDeniedAndShowSaysSo()
    {
        // Arrange
        string artifact = appliance.NewArtifact("denied.tar");
        HashSet<string> before = await appliance.PendingIdsAsync();
        Task<ProcessResult> signing = appliance.RunCliAsync(["sign", "--key", "dev-release", "--file", artifact, "--wait"], s_waitLimit);
        string id = await appliance.WaitForPendingAsync("dev-release", before);

        // Act
        ProcessResult deny = await appliance.RunCliAsync("deny", id, "--ssh-key", appliance.OfficerKey("carol"));
        ProcessResult signed = await signing;
        ProcessResult show = await appliance.RunCliAsync("show", id, "--json");

        // Assert
        Assert.True(deny.ExitCode == 0, deny.StandardError);
        Assert.Contains($"denied {id} as carol", deny.StandardOutput);
        Assert.Equal(6, signed.ExitCode);
        Assert.Contains($"error: request {id} denied", signed.StandardError);
        Assert.False(File.Exists(artifact + ".sig"));
        Assert.True(show.ExitCode == 0, show.StandardError);
        Assert.Equal("SIGNING_REQUEST_STATE_DENIED", CliApplianceFixture.ParseJson(show)["request"]!["state"]!.GetValue<string>());
    }

    [Fact]
    public async Task Approve_SignatureMadeByHand_IsAccepted()
    {
        // Arrange
        string id = await SubmitAsync(appliance.NewArtifact("by-hand.tar"));
        string statement = Path.Combine(appliance.WorkDirectory, id + ".statement");
        ProcessResult show = await appliance.RunCliAsync("show", id, "--statement-out", statement);
        Assert.True(show.ExitCode == 0, show.StandardError);
        ProcessResult sign = await ProcessRunner.RunAsync("ssh-keygen", "-Y", "sign", "-n", "keycustody-approval", "-f", appliance.OfficerKey("alice"), statement);
        Assert.True(sign.ExitCode == 0, sign.StandardError);

        // Act
        ProcessResult approve = await appliance.RunCliAsync("approve", id, "--json", "--statement", statement, "--signature", statement + ".sig");

        // Assert
        Assert.True(approve.ExitCode == 0, approve.StandardError);
        JsonNode json = CliApplianceFixture.ParseJson(approve);
        Assert.Equal("alice", json["officer"]!.GetValue<string>());
        Assert.Equal(1, json["request"]!["approvalsReceived"]!.GetValue<int>());
        Assert.Contains("statement to sign to approve", show.StandardOutput);
        Assert.Contains(id, show.StandardOutput);
        ProcessResult forAlice = await appliance.RunCliAsync("pending", "--officer", "alice", "--json");
        ProcessResult forBob = await appliance.RunCliAsync("pending", "--officer", "bob", "--json");
        Assert.DoesNotContain(id, forAlice.StandardOutput);
        Assert.Contains(id, forBob.StandardOutput);
    }

    [Fact]
    public async Task Approve_StatementOfAnotherRequest_IsRejectedWithOneErrorLine()
    {
        // Arrange
        string first = await SubmitAsync(appliance.NewArtifact("first.tar"));
        string second = await SubmitAsync(appliance.NewArtifact("second.tar"));
        string statement = Path.Combine(appliance.WorkDirectory, first + ".statement");
        Assert.Equal(0, (await appliance.RunCliAsync("show", first, "--statement-out", statement)).ExitCode);
        (await ProcessRunner.RunAsync("ssh-keygen", "-Y", "sign", "-n", "keycustody-approval", "-f", appliance.OfficerKey("bob"), statement)).EnsureSuccess("ssh-keygen");

        // Act
        ProcessResult approve = await appliance.RunCliAsync("approve", second, "--statement", statement, "--signature", statement + ".sig");

        // Assert
        Assert.NotEqual(0, approve.ExitCode);
        Assert.StartsWith("error: ", approve.StandardError);
        Assert.Single(approve.StandardError.TrimEnd('\n').Split('\n'));
        SigningRequest after = await appliance.WaitForRequestAsync(second, _ => true);
        Assert.Equal(0, after.ApprovalsReceived);
    }

    [Fact]
    public async Task Pending_Json_ParsesAndShowsRequesterAndStatements()
    {
        // Arrange
        string id = await SubmitAsync(appliance.NewArtifact("listed.tar"));

        // Act
        ProcessResult json = await appliance.RunCliAsync("pending", "--json");
        ProcessResult text = await appliance.RunCliAsync("pending");

        // Assert
        Assert.True(json.ExitCode == 0, json.StandardError);
        JsonNode item = CliApplianceFixture.ParseJson(json)["requests"]!.AsArray().Single(r => r!["request"]!["requestId"]!.GetValue<string>() == id)!;
        Assert.False(string.IsNullOrEmpty(item["approveStatement"]!["statement"]!.GetValue<string>()));
        Assert.Equal("keycustody-approval", item["approveStatement"]!["namespace"]!.GetValue<string>());
        Assert.True(text.ExitCode == 0, text.StandardError);
        string row = text.StandardOutput.Split('\n').Single(l => l.StartsWith(id, StringComparison.Ordinal));
        Assert.Contains("dev-release", row);
        Assert.Contains("0/2", row);
        Assert.Contains("listed.tar", row);
    }

    [Fact]
    public async Task SignWait_LongPress_DeniesTheRequest()
    {
        // Arrange
        string artifact = appliance.NewArtifact("long-press.tar");
        HashSet<string> before = await appliance.PendingIdsAsync();
        Task<ProcessResult> signing = appliance.RunCliAsync(["sign", "--key", "dev-release", "--file", artifact, "--wait"], s_waitLimit);
        string id = await appliance.WaitForPendingAsync("dev-release", before);
        Assert.Equal(0, (await appliance.RunCliAsync("approve", id, "--ssh-key", appliance.OfficerKey("bob"))).ExitCode);
        Assert.Equal(0, (await appliance.RunCliAsync("approve", id, "--ssh-key", appliance.OfficerKey("carol"))).ExitCode);
        await appliance.WaitForRequestAsync(id, r => r.State == SigningRequestState.PresenceActive);

        // Act
        ProcessResult press = await appliance.RunCliAsync("dev", "press", "--long");
        ProcessResult signed = await signing;

        // Assert
        Assert.True(press.ExitCode == 0, press.StandardError);
        Assert.Contains("long", press.StandardOutput);
        Assert.Equal(6, signed.ExitCode);
        Assert.False(File.Exists(artifact + ".sig"));
    }
}
