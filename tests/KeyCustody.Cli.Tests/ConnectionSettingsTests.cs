// SPDX-License-Identifier: Apache-2.0
using KeyCustody.Cli.Connection;
using KeyCustody.Core;
using KeyCustody.Testing;
using Xunit;

namespace KeyCustody.Cli.Tests;

public sealed class ConnectionSettingsTests : IDisposable
{
    private readonly TempDirectory _temp = new("keycustody-cli-conn");

    public void Dispose() => _temp.Dispose();

    private static Func<string, string?> Env(params (string Name, string Value)[] values) =>
        name => values.FirstOrDefault(v => v.Name == name).Value;

    private string WriteState(string directoryName, string json)
    {
        string dir = Path.Combine(_temp.Path, directoryName);
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, DevStateFile.FileName), json);
        return dir;
    }

    [Fact]
    public void Resolve_StateDirectory_ReadsCliJsonAndAnchorsRelativePaths()
    {
        // Arrange
        string dir = WriteState("dev", """
            { "address": "https://127.0.0.1:7443", "caCertificate": "tls/ca.pem", "clientCertificate": "tls/ci.pem",
              "clientKey": "/abs/ci.key", "buttonSocket": "button.sock",
              "officers": [ { "name": "alice", "sshKey": "officers/alice" } ], "custodians": [] }
            """);

        // Act
        var settings = ConnectionSettings.Resolve(new ConnectionInputs { StateDirectory = dir }, Env(), _temp.Path);

        // Assert
        Assert.Equal("https://127.0.0.1:7443", settings.RequireAddress());
        Assert.Equal(Path.Combine(dir, "tls", "ca.pem"), settings.CaCertificatePath);
        Assert.Equal(Path.Combine(dir, "tls", "ci.pem"), settings.ClientCertificatePath);
        Assert.Equal("/abs/ci.key", settings.ClientKeyPath);
        Assert.Equal(Path.Combine(dir, "button.sock"), settings.RequireButtonSocket());
        DevMember alice = Assert.Single(settings.StateFile!.Officers);
        Assert.Equal(new DevMember("alice", Path.Combine(dir, "officers", "alice")), alice);
    }

    [Fact]
    public void Resolve_OptionBeatsEnvironmentBeatsStateFile()
    {
        // Arrange
        string dir = WriteState("dev", """{ "address": "https://file:1", "caCertificate": "/file/ca.pem", "clientKey": "/file/key.pem" }""");
        var env = Env((ConnectionSettings.StateVariable, dir), (ConnectionSettings.AddressVariable, "https://env:2"),
            (ConnectionSettings.CaVariable, "/env/ca.pem"));
        var inputs = new ConnectionInputs { Address = "https://option:3" };

        // Act
        var settings = ConnectionSettings.Resolve(inputs, env, _temp.Path);

        // Assert
        Assert.Equal("https://option:3", settings.Address);
        Assert.Equal("/env/ca.pem", settings.CaCertificatePath);
        Assert.Equal("/file/key.pem", settings.ClientKeyPath);
    }

    [Fact]
    public void Resolve_NothingGivenButDotStateInCurrentDirectory_UsesIt()
    {
        // Arrange
        WriteState(".state", """{ "address": "unix:/run/keycustody/api.sock" }""");

        // Act
        var settings = ConnectionSettings.Resolve(new ConnectionInputs(), Env(), _temp.Path);

        // Assert
        Assert.Equal("unix:/run/keycustody/api.sock", settings.RequireAddress());
        Assert.Equal(Path.Combine(_temp.Path, ".state"), settings.StateDirectory);
    }

    [Fact]
    public void Resolve_ExplicitAddress_IgnoresImpliedDotState()
    {
        // Arrange
        WriteState(".state", """{ "address": "https://dev:1", "caCertificate": "ca.pem" }""");

        // Act
        var settings = ConnectionSettings.Resolve(new ConnectionInputs { Address = "https://prod:443" }, Env(), _temp.Path);

        // Assert
        Assert.Null(settings.StateFile);
        Assert.Null(settings.CaCertificatePath);
    }

    [Fact]
    public void RequireAddress_NothingConfigured_TellsHowToConfigure()
    {
        // Arrange
        var settings = ConnectionSettings.Resolve(new ConnectionInputs(), Env(), _temp.Path);

        // Act
        var e = Assert.Throws<CustodyException>(() => settings.RequireAddress());

        // Assert
        Assert.Equal(CustodyStatus.InvalidArgument, e.Status);
        Assert.Contains("--address", e.Message);
        Assert.Contains(ConnectionSettings.StateVariable, e.Message);
    }

    [Theory]
    [InlineData("http://127.0.0.1:80")]
    [InlineData("127.0.0.1:443")]
    [InlineData("unix:")]
    public void RequireAddress_NotHttpsOrUnix_IsRejected(string address)
    {
        // Arrange
        var settings = ConnectionSettings.Resolve(new ConnectionInputs { Address = address }, Env(), _temp.Path);

        // Act
        var e = Assert.Throws<CustodyException>(() => settings.RequireAddress());

        // Assert
        Assert.Contains("https://HOST:PORT", e.Message);
    }

    [Fact]
    public void Resolve_StateDirectoryWithoutCliJson_SaysSo()
    {
        // Arrange
        string dir = Path.Combine(_temp.Path, "empty");
        Directory.CreateDirectory(dir);

        // Act
        var e = Assert.Throws<CustodyException>(() =>
            ConnectionSettings.Resolve(new ConnectionInputs { StateDirectory = dir }, Env(), _temp.Path));

        // Assert
        Assert.Equal(CustodyStatus.InvalidArgument, e.Status);
        Assert.Contains("cli.json", e.Message);
    }

    [Theory]
    [InlineData("not json", "not valid JSON")]
    [InlineData("[]", "must hold a JSON object")]
    [InlineData("{}", "has no \"address\"")]
    [InlineData("""{ "address": 5 }""", "\"address\" must be a string")]
    [InlineData("""{ "address": "https://a:1", "officers": [ { "name": "x" } ] }""", "\"officers[0]\" has no \"sshKey\"")]
    public void Parse_BadFile_NamesTheProblem(string json, string expectedFragment)
    {
        // Arrange / Act
        var e = Assert.Throws<CustodyException>(() => DevStateFile.Parse(json, _temp.Path));

        // Assert
        Assert.Contains(expectedFragment, e.Message);
    }
}
