// SPDX-License-Identifier: Apache-2.0
using System.CommandLine;

namespace KeyCustody.Cli;

/// <summary>Options every command accepts (declared once on the root, recursive).</summary>
public static class GlobalOptions
{
    /// <summary><c>--json</c>: one JSON document on stdout instead of text.</summary>
    public static readonly Option<bool> Json = new("--json")
    {
        Description = "Print one JSON document on stdout instead of text (for scripts).",
        Recursive = true,
    };

    /// <summary><c>--state DIR</c>: a dev appliance's state directory (reads DIR/cli.json).</summary>
    public static readonly Option<string?> State = new("--state")
    {
        Description = "State directory of a dev appliance; its cli.json names the address, CA, client certificate and button socket [env: KEYCUSTODY_STATE].",
        HelpName = "DIR",
        Recursive = true,
    };

    /// <summary><c>--address</c>.</summary>
    public static readonly Option<string?> Address = new("--address")
    {
        Description = "Appliance address: https://HOST:PORT or unix:/PATH [env: KEYCUSTODY_ADDRESS].",
        HelpName = "URL",
        Recursive = true,
    };

    /// <summary><c>--ca</c>.</summary>
    public static readonly Option<string?> Ca = new("--ca")
    {
        Description = "PEM CA certificate to validate the appliance's TLS certificate [env: KEYCUSTODY_CA].",
        HelpName = "FILE",
        Recursive = true,
    };

    /// <summary><c>--pin-cert</c>.</summary>
    public static readonly Option<string?> PinnedCertificatePath = new("--pin-cert")
    {
        Description = "Accept exactly this server certificate (PEM) instead of validating against a CA [env: KEYCUSTODY_PIN_CERT].",
        HelpName = "FILE",
        Recursive = true,
    };

    /// <summary><c>--client-cert</c>.</summary>
    public static readonly Option<string?> ClientCertificate = new("--client-cert")
    {
        Description = "PEM client certificate for mTLS (CI callers) [env: KEYCUSTODY_CLIENT_CERT].",
        HelpName = "FILE",
        Recursive = true,
    };

    /// <summary><c>--client-key</c>.</summary>
    public static readonly Option<string?> ClientKey = new("--client-key")
    {
        Description = "PEM private key of the client certificate [env: KEYCUSTODY_CLIENT_KEY].",
        HelpName = "FILE",
        Recursive = true,
    };

    /// <summary><c>--timeout</c>: deadline of each call in seconds.</summary>
    public static readonly Option<int> TimeoutSeconds = CreateTimeout();

    /// <summary><c>--button-socket</c> (only on <c>dev</c> commands).</summary>
    public static readonly Option<string?> ButtonSocket = new("--button-socket")
    {
        Description = "Unix socket of the dev appliance's simulated button [env: KEYCUSTODY_BUTTON_SOCKET].",
        HelpName = "PATH",
    };

    /// <summary>Adds the recursive options to <paramref name="root"/>.</summary>
    public static void AddTo(Command root)
    {
        foreach (Option option in (Option[])[Json, State, Address, Ca, PinnedCertificatePath, ClientCertificate, ClientKey, TimeoutSeconds])
        {
            root.Options.Add(option);
        }
    }

    private static Option<int> CreateTimeout()
    {
        var option = new Option<int>("--timeout")
        {
            Description = "Deadline of each call to the appliance, in seconds (waiting for approvals is not bounded by it).",
            HelpName = "SECONDS",
            DefaultValueFactory = _ => 30,
            Recursive = true,
        };
        option.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<int>() is <= 0 or > 86_400)
            {
                r.AddError("--timeout must be between 1 and 86400 seconds");
            }
        });
        return option;
    }
}
