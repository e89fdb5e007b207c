// SPDX-License-Identifier: Apache-2.0
using System.Globalization;
using KeyCustody.Core;
using KeyCustody.Testing;
using Xunit;

namespace KeyCustody.Tpm.Tests;

public sealed class TpmDeviceTests
{
    [Fact]
    public async Task OpenAsync_NothingListening_ThrowsTpmUnavailable()
    {
        // Arrange
        using var state = new TempDirectory("keycustody-no-tpm");
        string tcti = string.Create(CultureInfo.InvariantCulture, $"swtpm:host=127.0.0.1,port={FreePort.Next()}");
        var logs = new CapturingLoggerFactory();

        // Act
        var error = await Assert.ThrowsAsync<CustodyException>(async () =>
            await TpmDevice.OpenAsync(new TpmOptions { Tcti = tcti, StateDirectory = state.Path }, logs));

        // Assert
        Assert.Equal(CustodyStatus.TpmUnavailable, error.Status);
        Assert.Contains("not reachable", error.Message);
        var native = Assert.IsType<Tss2Exception>(error.InnerException);
        Assert.Equal(Tss2Layer.Tcti, native.Layer);
        Assert.Contains(logs.Lines, l => l.Message.Contains("Fapi_Initialize returned"));
    }

    [Fact]
    public async Task OpenAsync_MissingTpmDevice_ThrowsTpmUnavailable()
    {
        // Arrange
        using var state = new TempDirectory("keycustody-no-tpm");

        // Act
        var error = await Assert.ThrowsAsync<CustodyException>(async () =>
            await TpmDevice.OpenAsync(new TpmOptions { Tcti = "device:" + state.File("tpmrm0"), StateDirectory = state.Path }));

        // Assert
        Assert.Equal(CustodyStatus.TpmUnavailable, error.Status);
    }
}
