// SPDX-License-Identifier: Apache-2.0
using System.Reflection;
using System.Text;
using System.Text.Json;
using KeyCustody.Core;
using KeyCustody.Daemon.Options;
using KeyCustody.Gpio;
using KeyCustody.Testing;

namespace KeyCustody.Daemon.Tests;

public sealed class DaemonOptionsLoaderTests : IDisposable
{
    private readonly TempDirectory _dir = new("daemon-options");

    public DaemonOptionsLoaderTests()
    {
        Directory.CreateDirectory(_dir.File("tls"));
        foreach (string f in new[] { "tls/server.pem", "tls/server.key", "tls/ca.pem", "module.so" })
        {
            File.WriteAllText(_dir.File(f), "x");
        }
    }

    public void Dispose() => _dir.Dispose();

    private string Valid(string? pin = null, string pcrs = "[0, 7]", string extra = "") => $$"""
        {
          // comments are allowed
          "stateDirectory": "state",
          "listen": {
            "tcp": { "port": 8443, "certificatePem": "tls/server.pem", "privateKeyPem": "tls/server.key", "clientCaPem": "tls/ca.pem" },
            "unixSocket": "run/kc.sock"
          },
          "pkcs11": { "module": "module.so", "tokenLabel": "kc", "pin": "{{pin ?? "tpm-sealed"}}" },
          "tpm": { "tcti": "swtpm:host=127.0.0.1,port=2321", "stateDirectory": "tpm", "pcrs": {{pcrs}} }{{extra}}
        }
        """;

    private DaemonOptions Parse(string json) =>
        DaemonOptionsLoader.Parse(Encoding.UTF8.GetBytes(json), _dir.File("keycustody.json"));

    private CustodyException ParseFails(string json) => Assert.Throws<CustodyException>(() => Parse(json));

    [Fact]
    public void Parse_ValidDocument_ResolvesRelativePathsAgainstTheFile()
    {
        // Arrange
        string json = Valid(pin: "file:pin.txt");

        // Act
        DaemonOptions options = Parse(json);

        // Assert
        Assert.Equal(_dir.File("state"), options.StateDirectory);
        Assert.Equal(_dir.File("tls/server.pem"), options.Listen.Tcp!.CertificatePem);
        Assert.Equal(_dir.File("run/kc.sock"), options.Listen.UnixSocket);
        Assert.Equal(new PinSource(PinSourceKind.File, _dir.File("pin.txt")), options.Pkcs11.PinSource);
        Assert.Equal(23, options.Tpm.MeasurementPcr);
        Assert.Equal("0.0.0.0", options.Listen.Tcp.Address);
    }

    [Fact]
    public void Parse_UnknownMember_NamesItsPath()
    {
        // Arrange
        string json = Valid().Replace("\"tokenLabel\"", "\"tokenLable\": \"x\", \"tokenLabel\"");

        // Act
        CustodyException ex = ParseFails(json);

        // Assert
        Assert.Equal(CustodyStatus.InvalidArgument, ex.Status);
        Assert.Contains("$.pkcs11", ex.Message);
        Assert.Contains("tokenLable", ex.Message);
    }

    [Fact]
    public void Parse_WrongType_NamesPathAndLine()
    {
        // Arrange
        string json = Valid().Replace("\"port\": 8443", "\"port\": \"8443\"");

        // Act
        CustodyException ex = ParseFails(json);

        // Assert
        Assert.Contains("$.listen.tcp.port", ex.Message);
        Assert.Contains("(line 5)", ex.Message);
    }

    [Fact]
    public void Parse_MissingRequiredMember_NamesIt()
    {
        // Arrange
        string json = Valid().Replace("\"port\": 8443, ", string.Empty);

        // Act
        CustodyException ex = ParseFails(json);

        // Assert
        Assert.Contains("port", ex.Message);
        Assert.Contains("$.listen.tcp", ex.Message);
    }

    [Theory]
    [InlineData("\"port\": 8443", "\"port\": 70000", "$.listen.tcp.port")]
    [InlineData("\"address\": \"0.0.0.0\"", "\"address\": \"example\"", "$.listen.tcp.address")]
    [InlineData("\"tokenLabel\": \"kc\", ", "", "$.pkcs11")]
    [InlineData("\"module\": \"module.so\"", "\"module\": \"missing.so\"", "$.pkcs11.module")]
    [InlineData("\"clientCaPem\": \"tls/ca.pem\"", "\"clientCaPem\": \"tls/none.pem\"", "$.listen.tcp.clientCaPem")]
    public void Parse_InvalidValue_NamesTheField(string from, string to, string path)
    {
        // Arrange
        string json = Valid().Replace("\"port\": 8443", "\"address\": \"0.0.0.0\", \"port\": 8443").Replace(from, to);

        // Act
        CustodyException ex = ParseFails(json);

        // Assert
        Assert.Contains(path + ":", ex.Message);
    }

    [Theory]
    [InlineData("tpm-sealed", PinSourceKind.TpmSealed, "")]
    [InlineData("env:KC_PIN", PinSourceKind.Environment, "KC_PIN")]
    public void Parse_PinSource_IsParsed(string text, PinSourceKind kind, string argument)
    {
        // Arrange
        string json = Valid(pin: text);

        // Act
        DaemonOptions options = Parse(json);

        // Assert
        Assert.Equal(new PinSource(kind, argument), options.Pkcs11.PinSource);
    }

    [Theory]
    [InlineData("pin:1234")]
    [InlineData("env:")]
    [InlineData("file:")]
    public void Parse_BadPinSource_Fails(string text)
    {
        // Arrange
        string json = Valid(pin: text);

        // Act
        CustodyException ex = ParseFails(json);

        // Assert
        Assert.Contains("$.pkcs11.pin:", ex.Message);
    }

    [Theory]
    [InlineData("[0, 7, 7]", "$.tpm.pcrs[2]:")]
    [InlineData("[15, 24]", "$.tpm.pcrs[1]:")]
    [InlineData("[-1]", "$.tpm.pcrs[0]:")]
    public void Parse_BadPcrList_NamesTheEntry(string pcrs, string path)
    {
        // Arrange
        string json = Valid(pcrs: pcrs);

        // Act
        CustodyException ex = ParseFails(json);

        // Assert
        Assert.Contains(path, ex.Message);
    }

    [Fact]
    public void Parse_NoListener_Fails()
    {
        // Arrange
        string json = $$"""
            { "stateDirectory": "s", "listen": {}, "pkcs11": { "module": "module.so", "tokenLabel": "kc" },
              "tpm": { "stateDirectory": "t" } }
            """;

        // Act
        CustodyException ex = ParseFails(json);

        // Assert
        Assert.Contains("$.listen:", ex.Message);
    }

    [Fact]
    public void Parse_SeveralErrors_ReportsEveryOne()
    {
        // Arrange
        string json = Valid(extra: ", \"button\": { \"kind\": \"simulated\" }, \"logLevel\": \"Loud\"");

        // Act
        CustodyException ex = ParseFails(json);

        // Assert
        Assert.Contains("$.button.socketPath:", ex.Message);
        Assert.Contains("$.logLevel:", ex.Message);
    }

    [Fact]
    public void Load_MissingFile_IsNotProvisioned()
    {
        // Arrange
        string path = _dir.File("absent.json");

        // Act
        CustodyException ex = Assert.Throws<CustodyException>(() => DaemonOptionsLoader.Load(path));

        // Assert
        Assert.Equal(CustodyStatus.NotProvisioned, ex.Status);
        Assert.Contains(path, ex.Message);
    }

    [Fact]
    public void ExampleConfiguration_DocumentsEveryOption()
    {
        // Arrange
        string example = File.ReadAllText(FindRepoFile("image/keycustody.json"));
        var names = new List<string>();
        Collect(typeof(DaemonOptions), names);
        Collect(typeof(ButtonOptions), names);
        Collect(typeof(LedOptions), names);

        // Act
        string[] missing = names.Where(n => !example.Contains($"\"{n}\":", StringComparison.Ordinal)).ToArray();

        // Assert
        Assert.NotEmpty(names);
        Assert.Empty(missing);
    }

    [Fact]
    public void ExampleConfiguration_ParsesExceptForItsDeviceFiles()
    {
        // Arrange: the example names appliance paths that do not exist here; everything else must be valid.
        byte[] bytes = File.ReadAllBytes(FindRepoFile("image/keycustody.json"));

        // Act
        CustodyException ex = Assert.Throws<CustodyException>(() => DaemonOptionsLoader.Parse(bytes, "/etc/keycustody/keycustody.json"));

        // Assert
        string[] problems = ex.Message[(ex.Message.IndexOf(": ", StringComparison.Ordinal) + 2)..].Split("; ");
        Assert.All(problems, p => Assert.Contains("does not exist", p));
        Assert.Equal(4, problems.Length);
    }

    private static void Collect(Type type, List<string> names)
    {
        foreach (PropertyInfo p in type.GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            if (!p.CanWrite || p.GetCustomAttribute<System.Text.Json.Serialization.JsonIgnoreAttribute>() is not null)
            {
                continue;
            }

            names.Add(JsonNamingPolicy.CamelCase.ConvertName(p.Name));
            Type t = Nullable.GetUnderlyingType(p.PropertyType) ?? p.PropertyType;
            if ((t.Namespace == typeof(DaemonOptions).Namespace || t.Namespace == typeof(ButtonOptions).Namespace) && t.IsClass)
            {
                Collect(t, names);
            }
        }
    }

    internal static string FindRepoFile(string relative)
    {
        for (string? dir = AppContext.BaseDirectory; dir is not null; dir = Path.GetDirectoryName(dir))
        {
            string candidate = Path.Combine(dir, relative);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new FileNotFoundException($"{relative} not found above {AppContext.BaseDirectory}");
    }
}
