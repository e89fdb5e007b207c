// SPDX-License-Identifier: Apache-2.0
using System.Text.Json.Nodes;
using KeyCustody.Testing;
using Xunit;

namespace KeyCustody.IntegrationTests;

/// <summary><c>keycustody dev demo</c> (what <c>./build.sh demo</c> runs) end to end: it starts its own dev appliance.</summary>
public sealed class CliDemoTests
{
    private static Task<ProcessResult> RunCliAsync(params string[] args) =>
        ProcessRunner.RunAsync("dotnet", [Path.Combine(AppContext.BaseDirectory, "keycustody.dll"), .. args], timeout: TimeSpan.FromMinutes(8));

    [Fact]
    public async Task Demo_FreshAppliance_EveryStepPassesAndTheStateIsRemoved()
    {
        // Arrange
        RequiredTool.Find("ssh-keygen");
        RequiredTool.Find("openssl");

        // Act
        ProcessResult result = await RunCliAsync("dev", "demo", "--json", "--daemon", Path.Combine(AppContext.BaseDirectory, "keycustodyd.dll"));

        // Assert
        Assert.True(result.ExitCode == 0, result.StandardOutput + result.StandardError);
        JsonNode json = JsonNode.Parse(result.StandardOutput)!;
        Assert.True(json["passed"]!.GetValue<bool>());
        string[] steps = [.. json["steps"]!.AsArray().Select(s => s!.GetValue<string>())];
        Assert.Contains(steps, s => s.StartsWith("officer alice approved with ssh-keygen", StringComparison.Ordinal));
        Assert.Contains(steps, s => s.StartsWith("openssl verified the signature", StringComparison.Ordinal) && s.EndsWith("Verified OK", StringComparison.Ordinal));
        Assert.Contains(steps, s => s.StartsWith("receipt verified offline", StringComparison.Ordinal));
        Assert.Equal("demo passed", steps[^1]);
        Assert.False(string.IsNullOrEmpty(json["requestId"]!.GetValue<string>()));
        Assert.False(Directory.Exists(json["directory"]!.GetValue<string>()));
    }

    [Fact]
    public async Task Demo_DaemonMissing_FailsAtTheFirstStepWithExit1()
    {
        // Arrange
        using var temp = new TempDirectory();

        // Act
        ProcessResult result = await RunCliAsync("dev", "demo", "--daemon", temp.File("no-keycustodyd.dll"));

        // Assert
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("error: demo failed at step 1: keycustodyd was not found", result.StandardError);
    }
}
