// SPDX-License-Identifier: Apache-2.0
using System.Text.Json;
using KeyCustody.Testing;
using Xunit;

namespace KeyCustody.Tpm.Tests;

public sealed class FapiConfigurationTests
{
    [Fact]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public void WriteFiles_FromOptions_WritesPrivateConfigurationUnderTheStateDirectory()
    {
        // Arrange
        using var state = new TempDirectory("keycustody-fapi-config");
        var options = new TpmOptions { Tcti = "swtpm:host=127.0.0.1,port=2321", StateDirectory = state.Path };
        FapiConfiguration configuration = FapiConfiguration.FromOptions(options);

        // Act
        configuration.WriteFiles();
        using JsonDocument config = JsonDocument.Parse(File.ReadAllText(configuration.ConfigurationFile));
        using JsonDocument profile = JsonDocument.Parse(File.ReadAllText(
            Path.Combine(configuration.ProfileDirectory, FapiConfiguration.ProfileName + ".json")));

        // Assert
        JsonElement root = config.RootElement;
        Assert.Equal("swtpm:host=127.0.0.1,port=2321", root.GetProperty("tcti").GetString());
        Assert.Equal(FapiConfiguration.ProfileName, root.GetProperty("profile_name").GetString());
        Assert.Equal("yes", root.GetProperty("ek_cert_less").GetString());
        foreach (string key in new[] { "profile_dir", "user_dir", "system_dir", "log_dir" })
        {
            Assert.StartsWith(state.Path, root.GetProperty(key).GetString());
        }

        Assert.Equal("TPM2_ECC_NIST_P256", profile.RootElement.GetProperty("curveID").GetString());
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute,
            File.GetUnixFileMode(configuration.UserDirectory));
    }

    [Fact]
    public void SealPcrs_Defaults_AreFirmwarePcrsPlusMeasurementPcr()
    {
        // Arrange
        var options = new TpmOptions { StateDirectory = "state", PolicyPcrs = [7, 0, 7], MeasurementPcr = 15 };

        // Act
        IReadOnlyList<int> pcrs = options.SealPcrs;

        // Assert
        Assert.Equal([0, 7, 15], pcrs);
        Assert.Equal(TpmOptions.DeviceTcti, options.Tcti);
        Assert.Equal([0, 2, 4, 7, 23], new TpmOptions { StateDirectory = "s" }.SealPcrs);
    }

    [Fact]
    public void Validate_PcrOutOfRange_Throws()
    {
        // Arrange
        var options = new TpmOptions { StateDirectory = "state", MeasurementPcr = 24 };

        // Act
        var error = Assert.Throws<ArgumentException>(options.Validate);

        // Assert
        Assert.Contains("24", error.Message);
    }
}
