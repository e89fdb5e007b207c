// SPDX-License-Identifier: Apache-2.0
using KeyCustody.Cli.Connection;
using KeyCustody.Cli.Output;
using KeyCustody.Testing;
using Xunit;

namespace KeyCustody.Cli.Tests;

public sealed class CliApplicationTests
{
    // Argument errors must be caught before anything is dialled: a factory that fails the test if called.
    private static readonly ApplianceClientFactory s_noClient = (_, _) => throw new InvalidOperationException("no call expected");

    private static async Task<(int Code, string Out, string Err)> RunAsync(ApplianceClientFactory factory, params string[] args)
    {
        var app = new CliApplication(factory, _ => null);
        var output = new StringWriter();
        var error = new StringWriter();
        int code = await app.RunAsync(args, output, error);
        return (code, output.ToString(), error.ToString());
    }

    [Theory]
    [InlineData(new[] { "sign", "--key", "dev-low" }, "give exactly one of --file FILE or --digest ALG:HEX")]
    [InlineData(new[] { "sign", "--key", "dev-low", "--file", "a", "--digest", "sha256:00" }, "give exactly one of --file FILE or --digest ALG:HEX")]
    [InlineData(new[] { "sign", "--key", "dev-low", "--digest", "sha256:00" }, "--digest: a sha256 digest is 64 hex digits, got 2")]
    [InlineData(new[] { "sign", "--key", "Dev Low", "--file", "a" }, "is not a valid key name")]
    [InlineData(new[] { "sign", "--key", "dev-low", "--file", "a", "--meta", "oops" }, "--meta 'oops' is not KEY=VALUE")]
    [InlineData(new[] { "sign", "--key", "dev-low", "--file", "a", "--scheme", "dsa" }, "dsa")]
    [InlineData(new[] { "sign", "--digest", "sha256:00" }, "--key")]
    [InlineData(new[] { "sign", "--key", "k", "--digest", "sha256:0000000000000000000000000000000000000000000000000000000000000000", "--hash", "sha512" }, "--hash applies to --file only")]
    [InlineData(new[] { "approve", "r-1" }, "give --ssh-key PATH, or --signature FILE with --statement FILE")]
    [InlineData(new[] { "approve", "r-1", "--ssh-key", "k", "--signature", "s", "--statement", "t" }, "not both")]
    [InlineData(new[] { "deny", "r-1", "--signature", "s" }, "--signature and --statement go together")]
    [InlineData(new[] { "show", "r-1", "--deny" }, "--deny only chooses which statement --statement-out writes")]
    [InlineData(new[] { "keys", "--timeout", "0" }, "--timeout must be between 1 and 86400 seconds")]
    [InlineData(new[] { "frobnicate" }, "frobnicate")]
    public async Task RunAsync_BadArguments_PrintsErrorAndUsageToStderrAndExits2(string[] args, string expectedError)
    {
        // Arrange / Act
        (int code, string output, string error) = await RunAsync(s_noClient, args);

        // Assert
        Assert.Equal((int)ExitCode.Usage, code);
        Assert.Equal(string.Empty, output);
        Assert.Contains("error: ", error);
        Assert.Contains(expectedError, error);
        Assert.Contains("Usage:", error);
    }

    [Fact]
    public async Task RunAsync_NoAddressConfigured_ExplainsHowAndExits2()
    {
        // Arrange
        using var temp = new TempDirectory();

        // Act
        (int code, string output, string error) = await RunAsync(s_noClient, "keys", "--state", temp.Path);

        // Assert
        Assert.Equal((int)ExitCode.Usage, code);
        Assert.Equal(string.Empty, output);
        Assert.StartsWith("error: cannot read the appliance connection file", error);
        Assert.Single(error.TrimEnd('\n').Split('\n'));
    }

    [Fact]
    public async Task RunAsync_NobodyListening_OneLineUnavailableAndExit9()
    {
        // Arrange
        int port = FreePort.Next();

        // Act
        (int code, string output, string error) = await RunAsync(GrpcApplianceClient.Create, "keys", "--address", $"https://127.0.0.1:{port}", "--timeout", "10");

        // Assert
        Assert.Equal((int)ExitCode.Unavailable, code);
        Assert.Equal(string.Empty, output);
        Assert.StartsWith("error: UNAVAILABLE: ", error);
        Assert.Single(error.TrimEnd('\n').Split('\n'));
    }

    [Fact]
    public async Task RunAsync_UnreadableCa_IsAUsageErrorNamingTheFile()
    {
        // Arrange
        using var temp = new TempDirectory();
        string ca = temp.File("ca.pem");
        await File.WriteAllTextAsync(ca, "not a certificate\n");

        // Act
        (int code, _, string error) = await RunAsync(GrpcApplianceClient.Create, "keys", "--address", "https://127.0.0.1:1", "--ca", ca);

        // Assert
        Assert.Equal((int)ExitCode.Usage, code);
        Assert.Contains(ca, error);
    }

    [Fact]
    public async Task RunAsync_Help_GoesToStdoutAndExits0()
    {
        // Arrange / Act
        (int code, string output, string error) = await RunAsync(s_noClient, "sign", "--help");

        // Assert
        Assert.Equal(0, code);
        Assert.Contains("--digest", output);
        Assert.Equal(string.Empty, error);
    }
}
