// SPDX-License-Identifier: Apache-2.0
using KeyCustody.Core;
using KeyCustody.Daemon.Hosting;
using KeyCustody.Daemon.Options;
using Microsoft.Extensions.Logging;

namespace KeyCustody.Daemon.Dev;

/// <summary>
/// <c>keycustodyd dev --state DIR</c>: a complete development appliance under one directory — SoftHSM2 token,
/// swtpm (started here, stopped on exit), TLS material, officers' and custodians' SSH keys, a genesis, a random HSM
/// PIN sealed into the TPM, and the simulated button — then the daemon in the foreground until Ctrl-C or SIGTERM.
/// Idempotent: an existing state directory is reused.
/// </summary>
internal static class DevAppliance
{
    /// <summary>The line prefix that tells scripts and tests the start-up sequence has finished.</summary>
    public const string ReadyMarker = "keycustody dev appliance: ";

    /// <summary>Runs the development appliance until <paramref name="stop"/> fires; returns the exit code.</summary>
    public static async Task<int> RunAsync(string stateDirectory, string? genesisPath, ILoggerFactory loggerFactory, CancellationToken stop)
    {
        ILogger logger = loggerFactory.CreateLogger("KeyCustody.Daemon.Dev");
        var layout = new DevLayout(Path.GetFullPath(stateDirectory));
        layout.Create();
        DevGenesis genesis = genesisPath is null ? DevGenesis.Default : DevGenesis.Load(Path.GetFullPath(genesisPath));

        DevTlsPaths tls = DevTls.Ensure(layout.TlsDirectory);
        IReadOnlyList<DevIdentity> officerKeys = await DevIdentities.EnsureAsync(
            layout.OfficersDirectory, genesis.Officers.Where(o => o.KeyOf is null).Select(o => o.Name), stop).ConfigureAwait(false);
        IReadOnlyList<DevIdentity> custodians = await DevIdentities.EnsureAsync(layout.CustodiansDirectory, genesis.Custodians, stop).ConfigureAwait(false);
        var identities = officerKeys.Concat(custodians).ToDictionary(i => i.Name, StringComparer.Ordinal);
        List<DevIdentity> officers = [.. genesis.Officers.Select(o => o.KeyOf is null ? identities[o.Name] : identities[o.KeyOf] with { Name = o.Name })];
        SoftHsmToken token = SoftHsmToken.Open(layout.SoftHsmDirectory);

        DevStateFile state = DevStateFile.Load(layout.Root) ?? new DevStateFile
        {
            GrpcPort = DevLayout.FreePort(),
            SwtpmPort = DevLayout.FreePort(consecutive: 2),
        };
        state.Save(layout.Root);
        layout.WriteConfigIfMissing(state, token, tls);
        (DaemonOptions options, byte[] configBytes) = DaemonOptionsLoader.Load(layout.ConfigPath);

        DaemonLog.Dev(logger, $"starting swtpm on 127.0.0.1:{state.SwtpmPort} with its state in {layout.SwtpmDirectory}");
        await using SwtpmProcess swtpm = await SwtpmProcess.StartAsync(layout.SwtpmDirectory, state.SwtpmPort, stop).ConfigureAwait(false);
        var provisioner = new DevProvisioner(layout, token, genesis, identities, logger);
        using SystemdNotifier? notifier = SystemdNotifier.FromEnvironment();
        await using var appliance = new Appliance(options, configBytes, loggerFactory, provisioner);
        await using SystemdLifecycle systemd = SystemdLifecycle.Attach(notifier, appliance.State);
        await appliance.StartAsync(stop).ConfigureAwait(false);
        systemd.StartCompleted();
        layout.WriteCliFile(options, tls, officers, custodians);

        PrintBanner(layout, appliance, officers);
        Console.Out.WriteLine(ReadyMarker + (appliance.State.Health == ApplianceHealth.Serving
            ? "SERVING"
            : $"NOT_SERVING ({appliance.State.ReasonStatus}): {appliance.State.Reason}"));
        Console.Out.Flush();

        try
        {
            await Task.Delay(Timeout.Infinite, stop).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }

        Console.Out.WriteLine("keycustody dev appliance: stopping");
        return 0;
    }

    private static void PrintBanner(DevLayout layout, Appliance appliance, IReadOnlyList<DevIdentity> officers)
    {
        string state = layout.Root;
        string first = officers.Count > 0 ? officers[0].PrivateKeyPath : Path.Combine(state, "officers", "alice");
        string second = officers.Count > 1 ? officers[1].PrivateKeyPath : Path.Combine(state, "officers", "bob");
        Console.Out.WriteLine($"""

            KeyCustody development appliance
              state       {state}
              listening   {string.Join(", ", appliance.Endpoints.Select(e => e.Address))}
              measurement {appliance.Measurement.DigestHex}
              keys        dev-low (ECDSA P-256, no quorum), dev-release (2 of 3 release officers + button)

            Try, in another terminal (keycustody = dotnet src/KeyCustody.Cli/bin/Release/net10.0/keycustody.dll):
              keycustody --state {state} keys
              keycustody --state {state} sign --key dev-low --file README.md
              keycustody --state {state} sign --key dev-release --file README.md --wait
              keycustody --state {state} pending
              keycustody --state {state} approve ID --ssh-key {first}
              keycustody --state {state} approve ID --ssh-key {second}
              keycustody --state {state} dev press
            Ctrl-C stops the appliance and swtpm.

            """);
    }
}
