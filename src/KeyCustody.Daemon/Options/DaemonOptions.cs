// SPDX-License-Identifier: Apache-2.0
using System.Text.Json;
using System.Text.Json.Serialization;
using KeyCustody.Gpio;

namespace KeyCustody.Daemon.Options;

/// <summary>
/// The daemon's device wiring, read from <c>/etc/keycustody/keycustody.json</c>. Policy, officers and keys are
/// not here: they live in the state store as audited records. Every option is documented in
/// <c>image/keycustody.json</c>.
/// </summary>
public sealed class DaemonOptions
{
    /// <summary>Where the SQLite state and audit store live (created if missing).</summary>
    public required string StateDirectory { get; init; }

    /// <summary>Minimum log level: Trace, Debug, Information, Warning, Error, Critical.</summary>
    public string LogLevel { get; init; } = "Information";

    /// <summary>Where the gRPC API listens.</summary>
    public required ListenOptions Listen { get; init; }

    /// <summary>The HSM.</summary>
    public required Pkcs11Options Pkcs11 { get; init; }

    /// <summary>The TPM.</summary>
    public required TpmOptions Tpm { get; init; }

    /// <summary>The audit log's identity.</summary>
    public AuditOptions Audit { get; init; } = new();

    /// <summary>The presence button (a KeyCustody.Gpio ButtonOptions document); null = no button, presence can never be confirmed.</summary>
    public JsonElement? Button { get; init; }

    /// <summary>The indicator LED (a KeyCustody.Gpio LedOptions document); null = no LED.</summary>
    public JsonElement? Led { get; init; }

    /// <summary>The validated <see cref="Button"/> (null when absent).</summary>
    [JsonIgnore]
    public ButtonOptions? ButtonDevice { get; init; }

    /// <summary>The validated <see cref="Led"/> (null when absent).</summary>
    [JsonIgnore]
    public LedOptions? LedDevice { get; init; }
}

/// <summary>Listen endpoints.</summary>
public sealed class ListenOptions
{
    /// <summary>TCP endpoint for CI clients and remote officers (TLS; client certificates for CI). Null = none.</summary>
    public TcpListenOptions? Tcp { get; init; }

    /// <summary>Path of a Unix socket for local officers and the CLI on the box (no TLS). Null = none.</summary>
    public string? UnixSocket { get; init; }

    /// <summary>Largest gRPC message accepted, in bytes.</summary>
    public int MaxMessageBytes { get; init; } = 4 * 1024 * 1024;
}

/// <summary>The TLS TCP endpoint.</summary>
public sealed class TcpListenOptions
{
    /// <summary>IP address to bind ("0.0.0.0", "127.0.0.1", "::").</summary>
    public string Address { get; init; } = "0.0.0.0";

    /// <summary>TCP port (1–65535).</summary>
    public required int Port { get; init; }

    /// <summary>PEM file with the server certificate (and any intermediates after it).</summary>
    public required string CertificatePem { get; init; }

    /// <summary>PEM file with the server certificate's private key.</summary>
    public required string PrivateKeyPem { get; init; }

    /// <summary>PEM file with the CA certificate(s) that issue CI client certificates (mTLS).</summary>
    public required string ClientCaPem { get; init; }
}

/// <summary>Where the HSM user PIN comes from.</summary>
public enum PinSourceKind
{
    /// <summary>Unsealed from the TPM under the PCR policy (production).</summary>
    TpmSealed = 1,
    /// <summary>Read from a file (development only).</summary>
    File = 2,
    /// <summary>Read from an environment variable (development only).</summary>
    Environment = 3,
}

/// <summary>A parsed PIN source: "tpm-sealed", "file:PATH" or "env:NAME".</summary>
/// <param name="Kind">Where the PIN comes from.</param>
/// <param name="Argument">The file path or variable name; empty for <see cref="PinSourceKind.TpmSealed"/>.</param>
public sealed record PinSource(PinSourceKind Kind, string Argument)
{
    /// <summary>Parses the configuration spelling, or returns false.</summary>
    public static bool TryParse(string? text, out PinSource? source)
    {
        source = null;
        if (text == "tpm-sealed")
        {
            source = new PinSource(PinSourceKind.TpmSealed, string.Empty);
        }
        else if (text is not null && text.StartsWith("file:", StringComparison.Ordinal) && text.Length > 5)
        {
            source = new PinSource(PinSourceKind.File, text[5..]);
        }
        else if (text is not null && text.StartsWith("env:", StringComparison.Ordinal) && text.Length > 4)
        {
            source = new PinSource(PinSourceKind.Environment, text[4..]);
        }

        return source is not null;
    }

    /// <inheritdoc />
    public override string ToString() => Kind switch
    {
        PinSourceKind.TpmSealed => "tpm-sealed",
        PinSourceKind.File => "file:" + Argument,
        _ => "env:" + Argument,
    };
}

/// <summary>The PKCS#11 module and token.</summary>
public sealed class Pkcs11Options
{
    /// <summary>Path of the PKCS#11 module (.so).</summary>
    public required string Module { get; init; }

    /// <summary>Label of the token holding the signing keys.</summary>
    public string? TokenLabel { get; init; }

    /// <summary>Serial number of the token (used instead of, or together with, the label).</summary>
    public string? TokenSerial { get; init; }

    /// <summary>"tpm-sealed" (production), "file:PATH" or "env:NAME" (development).</summary>
    public string Pin { get; init; } = "tpm-sealed";

    /// <summary>The parsed <see cref="Pin"/> (validated at load).</summary>
    public PinSource PinSource => PinSource.TryParse(Pin, out PinSource? source) ? source! : throw new InvalidOperationException("Options were not validated.");

    /// <summary>Extra environment for the module (for SoftHSM2: SOFTHSM2_CONF), set before it is loaded.</summary>
    public Dictionary<string, string> Environment { get; init; } = new(StringComparer.Ordinal);
}

/// <summary>The TPM (tpm2-tss FAPI).</summary>
public sealed class TpmOptions
{
    /// <summary>The TCTI: "device:/dev/tpmrm0" on the appliance, "swtpm:host=127.0.0.1,port=P" in development.</summary>
    public string Tcti { get; init; } = "device:/dev/tpmrm0";

    /// <summary>Directory for the FAPI keystore, configuration and logs (created if missing).</summary>
    public required string StateDirectory { get; init; }

    /// <summary>Boot-state PCRs (SHA-256 bank) the HSM PIN is sealed to, besides <see cref="MeasurementPcr"/>.</summary>
    public int[] Pcrs { get; init; } = [0, 2, 4, 7];

    /// <summary>The PCR the daemon extends with the hash of its own build and this configuration before unsealing.</summary>
    public int MeasurementPcr { get; init; } = 23;

    /// <summary>The name of the sealed HSM PIN in the TPM keystore.</summary>
    public string SealedPinName { get; init; } = "hsm-pin";

    /// <summary>How often (seconds) the daemon re-checks the PCR policy while serving; 0 = only at start.</summary>
    public int PolicyCheckIntervalSeconds { get; init; } = 10;
}

/// <summary>The audit log's identity.</summary>
public sealed class AuditOptions
{
    /// <summary>The checkpoint origin (C2SP signed-note key name), e.g. "keycustody.example.org/appliance-1".</summary>
    public string Origin { get; init; } = "keycustody/appliance";

    /// <summary>
    /// Milliseconds between signed checkpoints while entries arrive. Each checkpoint costs a TPM signature and an NV
    /// counter increment (TPM wear); a signature's receipt waits up to this long for one covering its entry.
    /// </summary>
    public int CheckpointIntervalMilliseconds { get; init; } = 1000;
}
