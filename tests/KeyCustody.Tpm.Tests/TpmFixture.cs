// SPDX-License-Identifier: Apache-2.0
using KeyCustody.Testing;
using Xunit;

namespace KeyCustody.Tpm.Tests;

/// <summary>A private swtpm, provisioned for FAPI through <see cref="TpmDevice"/>, shared by one test class.</summary>
public sealed class TpmFixture : IAsyncLifetime
{
    /// <summary>The software TPM.</summary>
    public SwtpmFixture Swtpm { get; } = new();

    /// <summary>Every log line our code wrote through <see cref="Device"/>.</summary>
    public CapturingLoggerFactory Logs { get; } = new();

    /// <summary>The options pointing at <see cref="Swtpm"/>.</summary>
    public TpmOptions Options => new() { Tcti = Swtpm.Tcti, StateDirectory = Swtpm.FapiStateDirectory };

    /// <summary>The provisioned device.</summary>
    public TpmDevice Device { get; private set; } = null!;

    /// <inheritdoc />
    public async Task InitializeAsync()
    {
        await Swtpm.StartAsync();
        Device = await TpmDevice.OpenAsync(Options, Logs);
    }

    /// <summary>Opens a second, independent device (a new FAPI context) on the same TPM and keystore.</summary>
    public ValueTask<TpmDevice> OpenAnotherAsync() => TpmDevice.OpenAsync(Options, Logs);

    /// <inheritdoc />
    public async Task DisposeAsync()
    {
        Device?.Dispose();
        await Swtpm.DisposeAsync();
    }
}
