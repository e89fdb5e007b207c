// SPDX-License-Identifier: Apache-2.0
using System.Security.Cryptography;
using KeyCustody.Core;

namespace KeyCustody.Daemon.Dev;

/// <summary>
/// The development HSM: a SoftHSM2 token under <c>DIR/softhsm</c> with its own <c>softhsm2.conf</c>.
/// The user PIN is random and lives only sealed in the TPM; the SO PIN is kept in <c>DIR/softhsm/so-pin</c>
/// (development only) so the dev appliance can set a fresh user PIN when the daemon build changes and the old
/// sealed PIN no longer unseals.
/// </summary>
public sealed class SoftHsmToken
{
    /// <summary>The Debian location of the SoftHSM2 module.</summary>
    public const string ModulePath = "/usr/lib/softhsm/libsofthsm2.so";

    /// <summary>The dev token's label.</summary>
    public const string Label = "keycustody-dev";

    private SoftHsmToken(string directory) => Directory = directory;

    /// <summary>DIR/softhsm.</summary>
    public string Directory { get; }

    /// <summary>The configuration file SOFTHSM2_CONF must name.</summary>
    public string ConfigPath => Path.Combine(Directory, "softhsm2.conf");

    private string TokenDirectory => Path.Combine(Directory, "tokens");

    private string SoPinPath => Path.Combine(Directory, "so-pin");

    /// <summary>The environment SoftHSM2 needs.</summary>
    public IReadOnlyDictionary<string, string> Environment => new Dictionary<string, string> { ["SOFTHSM2_CONF"] = ConfigPath };

    /// <summary>True when the token has been initialised.</summary>
    public bool Exists => File.Exists(SoPinPath) && System.IO.Directory.EnumerateDirectories(TokenDirectory).Any();

    /// <summary>Opens the token directory, writing the configuration if missing.</summary>
    public static SoftHsmToken Open(string directory)
    {
        var token = new SoftHsmToken(directory);
        System.IO.Directory.CreateDirectory(token.TokenDirectory);
        File.WriteAllText(token.ConfigPath,
            $"directories.tokendir = {token.TokenDirectory}\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n");
        return token;
    }

    /// <summary>Initialises the token with <paramref name="userPin"/> and a random SO PIN (kept for <see cref="ResetUserPinAsync"/>).</summary>
    public async Task InitializeAsync(string userPin, CancellationToken cancellationToken)
    {
        RequireModule();
        string soPin = RandomPin();
        await DevTool.RunAsync("softhsm2-util",
            ["--init-token", "--free", "--label", Label, "--pin", userPin, "--so-pin", soPin],
            Environment, redact: [userPin, soPin], cancellationToken).ConfigureAwait(false);
        await File.WriteAllTextAsync(SoPinPath, soPin, cancellationToken).ConfigureAwait(false);
        File.SetUnixFileMode(SoPinPath, UnixFileMode.UserRead | UnixFileMode.UserWrite);
    }

    /// <summary>Sets a new user PIN with the SO PIN (C_InitPIN through pkcs11-tool).</summary>
    public async Task ResetUserPinAsync(string newUserPin, CancellationToken cancellationToken)
    {
        RequireModule();
        string soPin = (await File.ReadAllTextAsync(SoPinPath, cancellationToken).ConfigureAwait(false)).Trim();
        await DevTool.RunAsync("pkcs11-tool",
            ["--module", ModulePath, "--token-label", Label, "--login", "--login-type", "so", "--so-pin", soPin,
             "--init-pin", "--new-pin", newUserPin],
            Environment, redact: [newUserPin, soPin], cancellationToken).ConfigureAwait(false);
    }

    /// <summary>A random 24-character PIN (hex of 12 random bytes).</summary>
    public static string RandomPin() => Convert.ToHexString(RandomNumberGenerator.GetBytes(12)).ToLowerInvariant();

    private static void RequireModule()
    {
        if (!File.Exists(ModulePath))
        {
            throw new CustodyException(CustodyStatus.NotProvisioned,
                $"SoftHSM2 is not installed ({ModulePath} is missing); run './build.sh setup'.");
        }
    }
}
