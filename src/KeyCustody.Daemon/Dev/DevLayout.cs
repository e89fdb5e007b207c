// SPDX-License-Identifier: Apache-2.0
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.Json.Nodes;
using KeyCustody.Daemon.Options;

namespace KeyCustody.Daemon.Dev;

/// <summary>
/// The development appliance's state directory layout (documented in the daemon's README, read by the CLI):
/// <c>keycustody.json</c> (the daemon configuration), <c>cli.json</c> (how the CLI connects), <c>dev.json</c>,
/// <c>tls/</c>, <c>officers/</c>, <c>custodians/</c>, <c>softhsm/</c>, <c>tpm/</c>, <c>store/</c>, <c>run/</c>.
/// </summary>
/// <param name="Root">The absolute state directory.</param>
public sealed record DevLayout(string Root)
{
    /// <summary>The daemon configuration the dev appliance writes once and then keeps (its bytes are measured).</summary>
    public string ConfigPath => Path.Combine(Root, "keycustody.json");

    /// <summary>The CLI connection file.</summary>
    public string CliPath => Path.Combine(Root, "cli.json");

    /// <summary>TLS material.</summary>
    public string TlsDirectory => Path.Combine(Root, "tls");

    /// <summary>Officers' SSH keys.</summary>
    public string OfficersDirectory => Path.Combine(Root, "officers");

    /// <summary>Custodians' SSH keys.</summary>
    public string CustodiansDirectory => Path.Combine(Root, "custodians");

    /// <summary>The SoftHSM2 token and its configuration.</summary>
    public string SoftHsmDirectory => Path.Combine(Root, "softhsm");

    /// <summary>swtpm's persistent NV state.</summary>
    public string SwtpmDirectory => Path.Combine(Root, "tpm", "swtpm");

    /// <summary>The FAPI keystore and configuration.</summary>
    public string FapiDirectory => Path.Combine(Root, "tpm", "fapi");

    /// <summary>The SQLite store (audit log + governance state).</summary>
    public string StoreDirectory => Path.Combine(Root, "store");

    /// <summary>Sockets: the daemon's Unix socket and the simulated button.</summary>
    public string RunDirectory => Path.Combine(Root, "run");

    /// <summary>The daemon's local Unix socket.</summary>
    public string UnixSocketPath => Path.Combine(RunDirectory, "keycustody.sock");

    /// <summary>The simulated button's socket (<c>keycustody dev press</c> writes to it).</summary>
    public string ButtonSocketPath => Path.Combine(RunDirectory, "button.sock");

    /// <summary>Creates the directories.</summary>
    public void Create()
    {
        foreach (string dir in new[] { Root, TlsDirectory, OfficersDirectory, CustodiansDirectory, SoftHsmDirectory,
                     SwtpmDirectory, FapiDirectory, StoreDirectory, RunDirectory })
        {
            Directory.CreateDirectory(dir);
        }
    }

    /// <summary>Two consecutive free loopback ports (swtpm needs command + control), or one.</summary>
    public static int FreePort(int consecutive = 1)
    {
        for (int attempt = 0; attempt < 100; attempt++)
        {
            using var first = new TcpListener(IPAddress.Loopback, 0);
            first.Start();
            int port = ((IPEndPoint)first.LocalEndpoint).Port;
            if (consecutive == 1)
            {
                return port;
            }

            if (port + 1 > 65535)
            {
                continue;
            }

            using var second = new TcpListener(IPAddress.Loopback, port + 1);
            try
            {
                second.Start();
                second.Stop();
                return port;
            }
            catch (SocketException)
            {
                // Try another pair.
            }
        }

        throw new InvalidOperationException("No free loopback ports found.");
    }

    /// <summary>Writes the daemon configuration for this layout (only when absent: its bytes are measured).</summary>
    public void WriteConfigIfMissing(DevStateFile state, SoftHsmToken token, DevTlsPaths tls)
    {
        if (File.Exists(ConfigPath))
        {
            return;
        }

        var config = new JsonObject
        {
            ["stateDirectory"] = "store",
            ["logLevel"] = "Information",
            ["listen"] = new JsonObject
            {
                ["tcp"] = new JsonObject
                {
                    ["address"] = "127.0.0.1",
                    ["port"] = state.GrpcPort,
                    ["certificatePem"] = Path.GetRelativePath(Root, tls.ServerCertificate),
                    ["privateKeyPem"] = Path.GetRelativePath(Root, tls.ServerKey),
                    ["clientCaPem"] = Path.GetRelativePath(Root, tls.CaCertificate),
                },
                ["unixSocket"] = Path.GetRelativePath(Root, UnixSocketPath),
            },
            ["pkcs11"] = new JsonObject
            {
                ["module"] = SoftHsmToken.ModulePath,
                ["tokenLabel"] = SoftHsmToken.Label,
                ["pin"] = "tpm-sealed",
                ["environment"] = new JsonObject { ["SOFTHSM2_CONF"] = token.ConfigPath },
            },
            ["tpm"] = new JsonObject
            {
                ["tcti"] = $"swtpm:host=127.0.0.1,port={state.SwtpmPort}",
                ["stateDirectory"] = Path.GetRelativePath(Root, FapiDirectory),
                // PCR 17 (DRTM: all ones while no dynamic launch happened) is bound here besides the appliance
                // default, so a bound PCR can be changed while the daemon runs through swtpm's control channel
                // (swtpm_ioctl -h) and the policy watchdog can be seen to stop signing.
                ["pcrs"] = new JsonArray(0, 2, 4, 7, 17),
                ["measurementPcr"] = 23,
                ["policyCheckIntervalSeconds"] = 2,
            },
            // swtpm has no NV wear: checkpoint often so receipts come back quickly.
            ["audit"] = new JsonObject { ["origin"] = "keycustody.dev/" + Environment.MachineName.ToLowerInvariant(), ["checkpointIntervalMilliseconds"] = 100 },
            ["button"] = new JsonObject { ["kind"] = "simulated", ["socketPath"] = Path.GetRelativePath(Root, ButtonSocketPath) },
            ["led"] = new JsonObject { ["kind"] = "simulated" },
        };
        File.WriteAllText(ConfigPath, config.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
    }

    /// <summary>Writes <c>cli.json</c> in the format the CLI reads (see src/KeyCustody.Cli/README.md).</summary>
    public void WriteCliFile(DaemonOptions options, DevTlsPaths tls, IEnumerable<DevIdentity> officers, IEnumerable<DevIdentity> custodians)
    {
        static JsonArray Members(IEnumerable<DevIdentity> ids) =>
            new([.. ids.Select(i => (JsonNode)new JsonObject { ["name"] = i.Name, ["sshKey"] = i.PrivateKeyPath })]);

        var cli = new JsonObject
        {
            ["address"] = $"https://127.0.0.1:{options.Listen.Tcp!.Port}",
            ["unixSocket"] = options.Listen.UnixSocket,
            ["caCertificate"] = tls.CaCertificate,
            ["clientCertificate"] = tls.ClientCertificate,
            ["clientKey"] = tls.ClientKey,
            ["buttonSocket"] = ButtonSocketPath,
            ["officers"] = Members(officers),
            ["custodians"] = Members(custodians),
        };
        string temp = CliPath + ".tmp";
        File.WriteAllText(temp, cli.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
        File.Move(temp, CliPath, overwrite: true);
    }
}
