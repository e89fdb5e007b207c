// SPDX-License-Identifier: Apache-2.0
using System.Security.Cryptography;
using System.Text;
using KeyCustody.Core;
using KeyCustody.Testing;
using Xunit;

namespace KeyCustody.Tpm.Tests;

public sealed class TpmSecretSealerTests(TpmFixture tpm) : IClassFixture<TpmFixture>
{
    private static readonly byte[] s_pin = Encoding.ASCII.GetBytes("sealer-test-pin-4711");

    [Fact]
    public async Task SealAsync_ThenUnsealAsync_ReturnsTheSecret()
    {
        // Arrange
        TpmSecretSealer sealer = tpm.Device.Sealer;

        // Act
        await sealer.SealAsync("roundtrip", s_pin);
        bool exists = await sealer.ExistsAsync("roundtrip");
        byte[] unsealed = await sealer.UnsealAsync("roundtrip");

        // Assert
        Assert.True(exists);
        Assert.Equal(s_pin, unsealed);
        Assert.Equal([0, 2, 4, 7, TpmOptions.DefaultMeasurementPcr], sealer.Pcrs);
    }

    [Fact]
    public async Task UnsealAsync_AfterMeasurementPcrExtended_ThrowsBootStateChanged()
    {
        // Arrange
        TpmSecretSealer sealer = tpm.Device.Sealer;
        await sealer.SealAsync("measured", s_pin);
        await tpm.Device.Pcrs.ExtendMeasurementAsync(SHA256.HashData("a different daemon build"u8));

        // Act
        var error = await Assert.ThrowsAsync<CustodyException>(async () => await sealer.UnsealAsync("measured"));

        // Assert
        Assert.Equal(CustodyStatus.BootStateChanged, error.Status);
        Assert.Contains("boot state changed", error.Message);
        Assert.Contains("PCR 23", error.Message);
        Assert.DoesNotContain(Encoding.ASCII.GetString(s_pin), error.ToString());
    }

    [Fact]
    public async Task UnsealAsync_AfterFirmwarePcrExtendedByTpm2Tools_ThrowsBootStateChanged()
    {
        // Arrange
        TpmSecretSealer sealer = tpm.Device.Sealer;
        await sealer.SealAsync("firmware", s_pin);
        (await ProcessRunner.RunAsync("tpm2_pcrextend",
                ["4:sha256=" + Convert.ToHexString(SHA256.HashData("evil boot loader"u8))], tpm.Swtpm.ToolEnvironment))
            .EnsureSuccess("tpm2_pcrextend");

        // Act
        var error = await Assert.ThrowsAsync<CustodyException>(async () => await sealer.UnsealAsync("firmware"));

        // Assert
        Assert.Equal(CustodyStatus.BootStateChanged, error.Status);
        Assert.Contains("PCR 4", error.Message);
    }

    [Fact]
    public async Task Unseal_PolicyFailsInTheTpm_IsRejectedByTheTpmAndLeaksNoObjectSlots()
    {
        // Arrange: bypass the sealer's early PCR comparison and go to the TPM directly, several times — more
        // often than swtpm has object slots (3), which a leaked object per failure would exhaust.
        TpmSecretSealer sealer = tpm.Device.Sealer;
        await sealer.SealAsync("enforced", s_pin);
        await tpm.Device.Pcrs.ExtendAsync(7, SHA256.HashData("secure boot disabled"u8), "test");
        FapiContext fapi = tpm.Device.Fapi;
        var failures = new List<Tss2Exception>();
        int flushesBefore = tpm.Logs.Lines.Count(l => l.EventId.Id == 4);

        // Act
        for (int i = 0; i < 5; i++)
        {
            failures.Add(await Task.Run(() => Assert.Throws<Tss2Exception>(() => fapi.Unseal("/HS/SRK/keycustody-seal-enforced"))));
        }

        await sealer.SealAsync("after-failures", s_pin);
        byte[] unsealed = await sealer.UnsealAsync("after-failures");

        // Assert
        Assert.All(failures, f => Assert.True(Tss2StatusMapper.IsPolicyCheckFailure(f.ReturnCode), f.Message));
        Assert.Equal(s_pin, unsealed);
        Assert.True(tpm.Logs.Lines.Count(l => l.EventId.Id == 4) > flushesBefore, "no leaked handle was flushed");
    }

    [Fact]
    public async Task SealAsync_AgainAfterBootStateChange_BindsToTheNewState()
    {
        // Arrange
        TpmSecretSealer sealer = tpm.Device.Sealer;
        await sealer.SealAsync("resealed", s_pin);
        await tpm.Device.Pcrs.ExtendMeasurementAsync(SHA256.HashData("daemon update 1.1"u8));
        var before = await Assert.ThrowsAsync<CustodyException>(async () => await sealer.UnsealAsync("resealed"));

        // Act
        await sealer.SealAsync("resealed", s_pin);
        byte[] unsealed = await sealer.UnsealAsync("resealed");

        // Assert
        Assert.Equal(CustodyStatus.BootStateChanged, before.Status);
        Assert.Equal(s_pin, unsealed);
        Assert.Empty(await sealer.GetChangedPcrsAsync("resealed"));
    }

    [Fact]
    public async Task SealToValuesAsync_PredictedMeasurement_UnsealsOnlyAfterThatMeasurement()
    {
        // Arrange
        TpmSecretSealer sealer = tpm.Device.Sealer;
        byte[] measurement = SHA256.HashData("keycustodyd 2.0 + config"u8);
        IReadOnlyDictionary<int, byte[]> now = await tpm.Device.Pcrs.ReadPcrsAsync();
        var predicted = now.ToDictionary(p => p.Key, p => p.Value);
        predicted[23] = TpmPcrs.PredictAfterMeasurements([measurement], now[23]);
        await sealer.SealToValuesAsync("predicted", s_pin, predicted);

        // Act
        var early = await Assert.ThrowsAsync<CustodyException>(async () => await sealer.UnsealAsync("predicted"));
        await tpm.Device.Pcrs.ExtendMeasurementAsync(measurement);
        byte[] unsealed = await sealer.UnsealAsync("predicted");

        // Assert
        Assert.Equal(CustodyStatus.BootStateChanged, early.Status);
        Assert.Equal(s_pin, unsealed);
    }

    [Fact]
    public async Task ResealAsync_UnchangedPcrs_KeepsTheSecret()
    {
        // Arrange
        TpmSecretSealer sealer = tpm.Device.Sealer;
        await sealer.SealAsync("reseal-me", s_pin);

        // Act
        await sealer.ResealAsync("reseal-me");

        // Assert
        Assert.Equal(s_pin, await sealer.UnsealAsync("reseal-me"));
    }

    [Fact]
    public async Task UnsealAsync_NothingSealed_ThrowsNotFound()
    {
        // Arrange
        TpmSecretSealer sealer = tpm.Device.Sealer;

        // Act
        var error = await Assert.ThrowsAsync<CustodyException>(async () => await sealer.UnsealAsync("never-sealed"));

        // Assert
        Assert.Equal(CustodyStatus.NotFound, error.Status);
        Assert.False(await sealer.ExistsAsync("never-sealed"));
    }

    [Fact]
    public async Task UnsealAsync_BlobCopiedToAnotherTpm_Fails()
    {
        // Arrange: seal on this TPM to the PCR values the second, independent TPM has (so only the TPM differs),
        // then copy the sealed object's keystore entry over.
        await using var other = new SwtpmFixture();
        await other.StartAsync();
        using TpmDevice otherDevice = await TpmDevice.OpenAsync(
            new TpmOptions { Tcti = other.Tcti, StateDirectory = other.FapiStateDirectory }, tpm.Logs);
        await tpm.Device.Sealer.SealToValuesAsync("portable", s_pin, await otherDevice.Pcrs.ReadPcrsAsync());
        string relative = Path.Combine("fapi", "user", FapiConfiguration.ProfileName, "HS", "SRK", "keycustody-seal-portable");
        CopyDirectory(Path.Combine(tpm.Swtpm.FapiStateDirectory, relative), Path.Combine(other.FapiStateDirectory, relative));

        // Act
        bool visible = await otherDevice.Sealer.ExistsAsync("portable");
        var error = await Assert.ThrowsAsync<CustodyException>(async () => await otherDevice.Sealer.UnsealAsync("portable"));

        // Assert
        Assert.True(visible);
        Assert.Equal(CustodyStatus.NotProvisioned, error.Status);
        Assert.Contains("not made by this TPM", error.Message);
    }

    [Fact]
    public async Task SealAsync_InvalidName_ThrowsInvalidArgument()
    {
        // Arrange
        TpmSecretSealer sealer = tpm.Device.Sealer;

        // Act
        var error = await Assert.ThrowsAsync<CustodyException>(async () => await sealer.SealAsync("../escape", s_pin));

        // Assert
        Assert.Equal(CustodyStatus.InvalidArgument, error.Status);
    }

    private static void CopyDirectory(string source, string destination)
    {
        Directory.CreateDirectory(destination);
        foreach (string file in Directory.GetFiles(source))
        {
            File.Copy(file, Path.Combine(destination, Path.GetFileName(file)));
        }
    }
}
