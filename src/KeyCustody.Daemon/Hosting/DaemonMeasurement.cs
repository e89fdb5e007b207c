// SPDX-License-Identifier: Apache-2.0
using System.Security.Cryptography;
using System.Text;

namespace KeyCustody.Daemon.Hosting;

/// <summary>
/// What the daemon extends into its measurement PCR before it unseals the HSM PIN: a SHA-256 over the hash of
/// its own build (every KeyCustody assembly next to it) and the hash of the configuration file's bytes. A changed
/// binary or configuration gives a different PCR value, and the sealed PIN no longer unseals.
/// </summary>
/// <param name="BuildSha256">SHA-256 over the sorted (name, SHA-256) list of the daemon's own assemblies.</param>
/// <param name="ConfigSha256">SHA-256 of the configuration file.</param>
/// <param name="Digest">SHA-256("keycustodyd-measurement-v1" ‖ build ‖ config): the value extended.</param>
public sealed record DaemonMeasurement(byte[] BuildSha256, byte[] ConfigSha256, byte[] Digest)
{
    /// <summary>Measures the assemblies in <paramref name="baseDirectory"/> (default: the daemon's own) and <paramref name="configBytes"/>.</summary>
    public static DaemonMeasurement Compute(ReadOnlySpan<byte> configBytes, string? baseDirectory = null)
    {
        string dir = baseDirectory ?? AppContext.BaseDirectory;
        var list = new StringBuilder();
        foreach (string file in Directory.EnumerateFiles(dir, "*.dll")
                     .Where(f => Path.GetFileName(f).StartsWith("KeyCustody.", StringComparison.Ordinal)
                                 || Path.GetFileName(f) == "keycustodyd.dll")
                     .OrderBy(f => Path.GetFileName(f), StringComparer.Ordinal))
        {
            using FileStream stream = File.OpenRead(file);
            list.Append(Path.GetFileName(file)).Append(' ').Append(Convert.ToHexStringLower(SHA256.HashData(stream))).Append('\n');
        }

        byte[] build = SHA256.HashData(Encoding.UTF8.GetBytes(list.ToString()));
        byte[] config = SHA256.HashData(configBytes);
        byte[] digest = SHA256.HashData([.. "keycustodyd-measurement-v1"u8, .. build, .. config]);
        return new DaemonMeasurement(build, config, digest);
    }

    /// <summary>The digest in lower-case hex (what the audit entry records).</summary>
    public string DigestHex => Convert.ToHexStringLower(Digest);
}
