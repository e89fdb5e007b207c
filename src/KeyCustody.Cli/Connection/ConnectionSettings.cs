// SPDX-License-Identifier: Apache-2.0
using KeyCustody.Core;

namespace KeyCustody.Cli.Connection;

/// <summary>What the user passed on the command line for the connection (null = not given).</summary>
public sealed record ConnectionInputs
{
    /// <summary><c>--state DIR</c>.</summary>
    public string? StateDirectory { get; init; }

    /// <summary><c>--address</c>.</summary>
    public string? Address { get; init; }

    /// <summary><c>--ca</c>.</summary>
    public string? CaCertificatePath { get; init; }

    /// <summary><c>--pin-cert</c>.</summary>
    public string? PinnedCertificatePath { get; init; }

    /// <summary><c>--client-cert</c>.</summary>
    public string? ClientCertificatePath { get; init; }

    /// <summary><c>--client-key</c>.</summary>
    public string? ClientKeyPath { get; init; }

    /// <summary><c>--button-socket</c> (dev only).</summary>
    public string? ButtonSocketPath { get; init; }
}

/// <summary>
/// The resolved connection to one appliance. Each field comes from, in order: its command-line option, its
/// <c>KEYCUSTODY_*</c> environment variable, then the <c>cli.json</c> of the state directory (<c>--state</c>,
/// <c>KEYCUSTODY_STATE</c>, or — when no address is given at all — <c>./.state</c> if it holds a <c>cli.json</c>,
/// which is where <c>./build.sh run</c> keeps its dev appliance).
/// </summary>
public sealed record ConnectionSettings
{
    /// <summary>Environment variable names, one per option.</summary>
    public const string StateVariable = "KEYCUSTODY_STATE",
        AddressVariable = "KEYCUSTODY_ADDRESS",
        CaVariable = "KEYCUSTODY_CA",
        PinnedCertificateVariable = "KEYCUSTODY_PIN_CERT",
        ClientCertificateVariable = "KEYCUSTODY_CLIENT_CERT",
        ClientKeyVariable = "KEYCUSTODY_CLIENT_KEY",
        ButtonSocketVariable = "KEYCUSTODY_BUTTON_SOCKET";

    /// <summary>The daemon's address (<c>https://host:port</c> or <c>unix:/path</c>), or null when none was configured.</summary>
    public string? Address { get; init; }

    /// <summary>CA certificate (PEM) to validate the daemon's certificate with; null = the system store.</summary>
    public string? CaCertificatePath { get; init; }

    /// <summary>The daemon's own certificate (PEM) to pin, instead of a CA.</summary>
    public string? PinnedCertificatePath { get; init; }

    /// <summary>Client certificate (PEM) for mTLS; null = no client certificate (officers sign with SSH keys).</summary>
    public string? ClientCertificatePath { get; init; }

    /// <summary>Private key (PEM) of the client certificate; null = the key is in the certificate file.</summary>
    public string? ClientKeyPath { get; init; }

    /// <summary>Unix socket of the dev appliance's simulated button.</summary>
    public string? ButtonSocketPath { get; init; }

    /// <summary>The dev state file, when one was read.</summary>
    public DevStateFile? StateFile { get; init; }

    /// <summary>The state directory the settings came from, when one was used.</summary>
    public string? StateDirectory { get; init; }

    /// <summary>
    /// Layers <paramref name="inputs"/>, the environment and the state file. Reads the state file when one is
    /// named or implied.
    /// </summary>
    /// <exception cref="CustodyException">InvalidArgument when a named state directory has no readable cli.json.</exception>
    public static ConnectionSettings Resolve(ConnectionInputs inputs, Func<string, string?> environment, string currentDirectory)
    {
        string? Env(string name) => environment(name) is { Length: > 0 } value ? value : null;

        string? address = inputs.Address ?? Env(AddressVariable);
        string? stateDirectory = inputs.StateDirectory ?? Env(StateVariable);
        if (stateDirectory is null && address is null)
        {
            string implied = Path.Combine(currentDirectory, ".state");
            if (File.Exists(Path.Combine(implied, DevStateFile.FileName)))
            {
                stateDirectory = implied;
            }
        }

        DevStateFile? file = null;
        if (stateDirectory is not null)
        {
            stateDirectory = Path.GetFullPath(stateDirectory, currentDirectory);
            file = DevStateFile.Load(Path.Combine(stateDirectory, DevStateFile.FileName));
        }

        string? FullPath(string? path) => path is null ? null : Path.GetFullPath(path, currentDirectory);

        return new ConnectionSettings
        {
            Address = address ?? file?.Address,
            CaCertificatePath = FullPath(inputs.CaCertificatePath ?? Env(CaVariable)) ?? file?.CaCertificatePath,
            PinnedCertificatePath = FullPath(inputs.PinnedCertificatePath ?? Env(PinnedCertificateVariable)) ?? file?.PinnedCertificatePath,
            ClientCertificatePath = FullPath(inputs.ClientCertificatePath ?? Env(ClientCertificateVariable)) ?? file?.ClientCertificatePath,
            ClientKeyPath = FullPath(inputs.ClientKeyPath ?? Env(ClientKeyVariable)) ?? file?.ClientKeyPath,
            ButtonSocketPath = FullPath(inputs.ButtonSocketPath ?? Env(ButtonSocketVariable)) ?? file?.ButtonSocketPath,
            StateFile = file,
            StateDirectory = stateDirectory,
        };
    }

    /// <summary>The address, validated.</summary>
    /// <exception cref="CustodyException">InvalidArgument when no address is configured or it is not https:// or unix:.</exception>
    public string RequireAddress()
    {
        if (Address is null)
        {
            throw new CustodyException(CustodyStatus.InvalidArgument,
                $"no appliance to talk to: pass --address https://HOST:PORT (or --state DIR of a dev appliance), or set {AddressVariable} or {StateVariable}");
        }

        if (Address.StartsWith("unix:", StringComparison.Ordinal) && Address.Length > "unix:".Length)
        {
            return Address;
        }

        if (Uri.TryCreate(Address, UriKind.Absolute, out Uri? uri) && uri.Scheme == Uri.UriSchemeHttps && uri.Host.Length > 0)
        {
            return Address;
        }

        throw new CustodyException(CustodyStatus.InvalidArgument,
            $"'{Address}' is not an appliance address: use https://HOST:PORT or unix:/PATH/TO/SOCKET (plain http is not accepted)");
    }

    /// <summary>The button socket, or an error telling how to name it.</summary>
    /// <exception cref="CustodyException">InvalidArgument when none is configured.</exception>
    public string RequireButtonSocket() => ButtonSocketPath ?? throw new CustodyException(CustodyStatus.InvalidArgument,
        $"no simulated button socket: pass --state DIR of a dev appliance or --button-socket PATH, or set {ButtonSocketVariable}");
}
