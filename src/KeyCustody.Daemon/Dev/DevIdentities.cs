// SPDX-License-Identifier: Apache-2.0
namespace KeyCustody.Daemon.Dev;

/// <summary>One development officer or custodian: a name and an OpenSSH key pair made by ssh-keygen.</summary>
/// <param name="Name">The enrolled name.</param>
/// <param name="PrivateKeyPath">The private key file (no passphrase), usable with <c>ssh-keygen -Y sign -f</c>.</param>
/// <param name="PublicKeyLine">The OpenSSH public key line ("ssh-ed25519 AAAA… name@keycustody-dev").</param>
public sealed record DevIdentity(string Name, string PrivateKeyPath, string PublicKeyLine);

/// <summary>The development officers (DIR/officers) and custodians (DIR/custodians).</summary>
public static class DevIdentities
{
    /// <summary>The three development release officers.</summary>
    public static readonly IReadOnlyList<string> OfficerNames = ["alice", "bob", "carol"];

    /// <summary>The two development key custodians.</summary>
    public static readonly IReadOnlyList<string> CustodianNames = ["dave", "erin"];

    /// <summary>Creates (or reuses) an Ed25519 key pair for each name under <paramref name="directory"/>.</summary>
    public static async Task<IReadOnlyList<DevIdentity>> EnsureAsync(
        string directory, IEnumerable<string> names, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(directory);
        var result = new List<DevIdentity>();
        foreach (string name in names)
        {
            string key = Path.Combine(directory, name);
            if (!File.Exists(key) || !File.Exists(key + ".pub"))
            {
                File.Delete(key);
                File.Delete(key + ".pub");
                // The approval path the design promises: plain `ssh-keygen`, no passphrase in development.
                await DevTool.RunAsync("ssh-keygen",
                    ["-q", "-t", "ed25519", "-N", string.Empty, "-C", $"{name}@keycustody-dev", "-f", key],
                    cancellationToken: cancellationToken).ConfigureAwait(false);
            }

            string line = (await File.ReadAllTextAsync(key + ".pub", cancellationToken).ConfigureAwait(false)).Trim();
            result.Add(new DevIdentity(name, key, line));
        }

        return result;
    }
}
