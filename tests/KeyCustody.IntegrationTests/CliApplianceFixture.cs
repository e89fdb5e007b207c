// SPDX-License-Identifier: Apache-2.0
using System.Text.Json;
using System.Text.Json.Nodes;
using KeyCustody.Cli;
using KeyCustody.Cli.Connection;
using KeyCustody.IntegrationTests.Infrastructure;
using KeyCustody.Protocol.V1;
using KeyCustody.Testing;
using Xunit;

namespace KeyCustody.IntegrationTests;

/// <summary>
/// The daemon engineer's dev appliance fixture (<c>keycustodyd dev</c> as a separate process with real SoftHSM2 and
/// swtpm, one per test class) plus a runner for the built CLI (<c>dotnet keycustody.dll …</c>) pointed at it through
/// <c>KEYCUSTODY_STATE</c>.
/// </summary>
public sealed class CliApplianceFixture : DevApplianceFixture
{
    /// <summary>The appliance's state directory (holds cli.json, tls/, officers/).</summary>
    public string StateDirectory => State;

    /// <summary>A scratch directory for artifacts, signatures and receipts.</summary>
    public string WorkDirectory => PathOf("cli-work");

    /// <summary>What the appliance wrote to cli.json, as the CLI reads it.</summary>
    public ConnectionSettings Settings { get; private set; } = null!;

    /// <inheritdoc />
    public override async Task InitializeAsync()
    {
        RequiredTool.Find("ssh-keygen");
        RequiredTool.Find("openssl");
        await base.InitializeAsync();
        Assert.True(StartStatus.StartsWith("SERVING", StringComparison.Ordinal), $"the dev appliance is not serving: {StartStatus}");
        Directory.CreateDirectory(WorkDirectory);
        Settings = ConnectionSettings.Resolve(new ConnectionInputs { StateDirectory = State }, _ => null, State);
    }

    /// <summary>The daemon's recent output, for assertion messages.</summary>
    public string DaemonTail()
    {
        string output = Daemon?.Output ?? "(not started)";
        return output.Length <= 4000 ? output : output[^4000..];
    }

    /// <summary>An in-process client for the test's own waiting and checking (the CLI is what is under test).</summary>
    public IApplianceClient CliClient() => GrpcApplianceClient.Create(Settings, TimeSpan.FromSeconds(30));

    /// <summary>The SSH private key of a dev officer (alice, bob, carol).</summary>
    public string OfficerKey(string name) =>
        Settings.StateFile!.Officers.Single(o => o.Name == name).SshKeyPath;

    /// <summary>Runs the built CLI with <paramref name="args"/> against this appliance.</summary>
    public Task<ProcessResult> RunCliAsync(params string[] args) => RunCliAsync(args, TimeSpan.FromMinutes(2));

    /// <summary>Runs the built CLI with a time limit (for <c>sign --wait</c> running while the test approves).</summary>
    public Task<ProcessResult> RunCliAsync(string[] args, TimeSpan timeout) =>
        ProcessRunner.RunAsync(
            "dotnet",
            [Path.Combine(AppContext.BaseDirectory, "keycustody.dll"), .. args],
            new Dictionary<string, string> { ["KEYCUSTODY_STATE"] = StateDirectory },
            workingDirectory: WorkDirectory,
            timeout: timeout);

    /// <summary>Verifies a receipt file with the CLI's offline verifier (<c>keycustody audit verify-receipt</c>) and the appliance's audit key.</summary>
    public async Task<ProcessResult> VerifyReceiptAsync(string receiptPath)
    {
        await using IApplianceClient client = CliClient();
        GetAuditKeyResponse key = await client.GetAuditKeyAsync(CancellationToken.None);
        string pem = Path.Combine(WorkDirectory, "audit-key.pem");
        await File.WriteAllTextAsync(pem, key.PublicKeyPem);
        return await RunCliAsync("audit", "verify-receipt", receiptPath, "--audit-key", pem);
    }

    /// <summary>Writes a fresh artifact with unique content; returns its path.</summary>
    public string NewArtifact(string name)
    {
        string path = Path.Combine(WorkDirectory, name);
        File.WriteAllText(path, $"artifact {name} {Guid.NewGuid():N}\n");
        return path;
    }

    /// <summary>Parses the CLI's --json output, failing with both streams when it is not JSON.</summary>
    public static JsonNode ParseJson(ProcessResult result)
    {
        try
        {
            return JsonNode.Parse(result.StandardOutput) ?? throw new JsonException("null document");
        }
        catch (JsonException e)
        {
            throw new Xunit.Sdk.XunitException($"not JSON ({e.Message}).\nstdout: {result.StandardOutput}\nstderr: {result.StandardError}");
        }
    }

    /// <summary>Polls the request until <paramref name="condition"/> holds (deadline 2 minutes).</summary>
    public async Task<SigningRequest> WaitForRequestAsync(string requestId, Func<SigningRequest, bool> condition)
    {
        await using IApplianceClient client = CliClient();
        var deadline = DateTimeOffset.UtcNow + TimeSpan.FromMinutes(2);
        SigningRequest request;
        while (!condition(request = await client.GetSigningRequestAsync(requestId, CancellationToken.None)))
        {
            if (DateTimeOffset.UtcNow > deadline)
            {
                throw new TimeoutException($"request {requestId} stayed {request.State}; daemon: {DaemonTail()}");
            }

            await Task.Delay(200);
        }

        return request;
    }

    /// <summary>Polls until some pending request for <paramref name="key"/> appears; returns its id.</summary>
    public async Task<string> WaitForPendingAsync(string key, ISet<string> ignore)
    {
        await using IApplianceClient client = CliClient();
        var deadline = DateTimeOffset.UtcNow + TimeSpan.FromMinutes(2);
        while (true)
        {
            ListPendingRequestsResponse pending = await client.ListPendingRequestsAsync(null, CancellationToken.None);
            if (pending.Requests.Select(p => p.Request).FirstOrDefault(r => r.Key == key && !ignore.Contains(r.RequestId)) is { } found)
            {
                return found.RequestId;
            }

            if (DateTimeOffset.UtcNow > deadline)
            {
                throw new TimeoutException($"no pending request for {key} appeared; daemon: {DaemonTail()}");
            }

            await Task.Delay(200);
        }
    }

    /// <summary>Ids of every pending request now.</summary>
    public async Task<HashSet<string>> PendingIdsAsync()
    {
        await using IApplianceClient client = CliClient();
        ListPendingRequestsResponse pending = await client.ListPendingRequestsAsync(null, CancellationToken.None);
        return [.. pending.Requests.Select(p => p.Request.RequestId)];
    }
}
