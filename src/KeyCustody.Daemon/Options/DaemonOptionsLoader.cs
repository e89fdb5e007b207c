// SPDX-License-Identifier: Apache-2.0
using System.Net;
using System.Text.Json;
using System.Text.Json.Serialization;
using KeyCustody.Core;
using KeyCustody.Gpio;

namespace KeyCustody.Daemon.Options;

/// <summary>
/// Reads <c>keycustody.json</c> strictly: unknown members, wrong types, missing required members and invalid
/// values are all errors that name the JSON path (and line) of the bad field. Relative paths in the file are
/// resolved against the file's own directory. Comments (<c>//</c>) are allowed so the shipped example can
/// document itself.
/// </summary>
public static class DaemonOptionsLoader
{
    /// <summary>The default location on the appliance.</summary>
    public const string DefaultPath = "/etc/keycustody/keycustody.json";

    private static readonly JsonSerializerOptions s_json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = false,
        RespectNullableAnnotations = true,
        RespectRequiredConstructorParameters = true,
        NumberHandling = JsonNumberHandling.Strict,
    };

    /// <summary>The serializer settings (also used by the dev appliance to write a configuration).</summary>
    public static JsonSerializerOptions SerializerOptions => s_json;

    /// <summary>Loads and validates the file at <paramref name="path"/>; returns the options and the file's bytes (for the measurement).</summary>
    /// <exception cref="CustodyException">InvalidArgument with the path of the bad field; NotProvisioned when the file is missing.</exception>
    public static (DaemonOptions Options, byte[] Bytes) Load(string path)
    {
        string full = Path.GetFullPath(path);
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(full);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new CustodyException(CustodyStatus.NotProvisioned, $"{full}: the configuration file does not exist.");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new CustodyException(CustodyStatus.NotProvisioned, $"{full}: cannot read the configuration file ({ex.Message}).");
        }

        return (Parse(bytes, full), bytes);
    }

    /// <summary>Parses and validates a configuration document; <paramref name="sourcePath"/> names it in errors and anchors relative paths.</summary>
    public static DaemonOptions Parse(ReadOnlySpan<byte> json, string sourcePath)
    {
        DaemonOptions? options;
        try
        {
            options = JsonSerializer.Deserialize<DaemonOptions>(json, s_json);
        }
        catch (JsonException ex)
        {
            string where = ex.Path is { Length: > 0 } p ? p : "$";
            string line = ex.LineNumber is long l ? $" (line {l + 1})" : string.Empty;
            throw new CustodyException(CustodyStatus.InvalidArgument, $"{sourcePath}: {where}{line}: {Describe(ex)}");
        }

        if (options is null)
        {
            throw new CustodyException(CustodyStatus.InvalidArgument, $"{sourcePath}: $: the document is null; expected an object.");
        }

        string baseDir = Path.GetDirectoryName(sourcePath) ?? "/";
        return Validate(options, sourcePath, baseDir);
    }

    // JsonException messages repeat the path and add type names meant for programmers; keep the useful part.
    private static string Describe(JsonException ex)
    {
        string message = ex.Message;
        int cut = message.IndexOf(" Path: ", StringComparison.Ordinal);
        if (cut > 0)
        {
            message = message[..cut];
        }

        return message
            .Replace("KeyCustody.Daemon.Options.", string.Empty, StringComparison.Ordinal)
            .Replace("System.", string.Empty, StringComparison.Ordinal);
    }

    private static DaemonOptions Validate(DaemonOptions o, string source, string baseDir)
    {
        var errors = new List<string>();
        void Fail(string path, string message) => errors.Add($"{path}: {message}");
        string Resolve(string p) => Path.GetFullPath(p, baseDir);

        if (string.IsNullOrWhiteSpace(o.StateDirectory))
        {
            Fail("$.stateDirectory", "must name a directory.");
        }

        if (!Enum.TryParse(o.LogLevel, ignoreCase: false, out Microsoft.Extensions.Logging.LogLevel _) || int.TryParse(o.LogLevel, out _))
        {
            Fail("$.logLevel", $"'{o.LogLevel}' is not one of Trace, Debug, Information, Warning, Error, Critical, None.");
        }

        TcpListenOptions? tcp = o.Listen.Tcp;
        if (tcp is null && string.IsNullOrWhiteSpace(o.Listen.UnixSocket))
        {
            Fail("$.listen", "configure at least one of 'tcp' and 'unixSocket'.");
        }

        if (tcp is not null)
        {
            if (!IPAddress.TryParse(tcp.Address, out _))
            {
                Fail("$.listen.tcp.address", $"'{tcp.Address}' is not an IP address.");
            }

            if (tcp.Port is < 1 or > 65535)
            {
                Fail("$.listen.tcp.port", $"{tcp.Port} is outside 1-65535.");
            }

            CheckFile("$.listen.tcp.certificatePem", tcp.CertificatePem);
            CheckFile("$.listen.tcp.privateKeyPem", tcp.PrivateKeyPem);
            CheckFile("$.listen.tcp.clientCaPem", tcp.ClientCaPem);
        }

        if (o.Listen.UnixSocket is { } sock && sock.Trim().Length == 0)
        {
            Fail("$.listen.unixSocket", "must be a path or null.");
        }

        if (o.Listen.MaxMessageBytes is < 1024 or > 64 * 1024 * 1024)
        {
            Fail("$.listen.maxMessageBytes", $"{o.Listen.MaxMessageBytes} is outside 1024-67108864.");
        }

        CheckFile("$.pkcs11.module", o.Pkcs11.Module);
        if (string.IsNullOrEmpty(o.Pkcs11.TokenLabel) == string.IsNullOrEmpty(o.Pkcs11.TokenSerial))
        {
            Fail("$.pkcs11", "set exactly one of 'tokenLabel' and 'tokenSerial' to choose the token.");
        }

        if (!PinSource.TryParse(o.Pkcs11.Pin, out PinSource? pin))
        {
            Fail("$.pkcs11.pin", $"'{o.Pkcs11.Pin}' is not 'tpm-sealed', 'file:PATH' or 'env:NAME'.");
        }

        if (string.IsNullOrWhiteSpace(o.Tpm.Tcti))
        {
            Fail("$.tpm.tcti", "must name a TCTI such as 'device:/dev/tpmrm0'.");
        }

        if (string.IsNullOrWhiteSpace(o.Tpm.StateDirectory))
        {
            Fail("$.tpm.stateDirectory", "must name a directory.");
        }

        if (o.Tpm.MeasurementPcr is < 0 or > 23)
        {
            Fail("$.tpm.measurementPcr", $"{o.Tpm.MeasurementPcr} is outside 0-23.");
        }

        for (int i = 0; i < o.Tpm.Pcrs.Length; i++)
        {
            if (o.Tpm.Pcrs[i] is < 0 or > 23)
            {
                Fail($"$.tpm.pcrs[{i}]", $"{o.Tpm.Pcrs[i]} is outside 0-23.");
            }
            else if (Array.IndexOf(o.Tpm.Pcrs, o.Tpm.Pcrs[i]) != i)
            {
                Fail($"$.tpm.pcrs[{i}]", $"PCR {o.Tpm.Pcrs[i]} is listed twice.");
            }
        }

        if (string.IsNullOrEmpty(o.Tpm.SealedPinName) || !o.Tpm.SealedPinName.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_'))
        {
            Fail("$.tpm.sealedPinName", $"'{o.Tpm.SealedPinName}' is not a name of letters, digits, '-' and '_'.");
        }

        if (o.Tpm.PolicyCheckIntervalSeconds is < 0 or > 86400)
        {
            Fail("$.tpm.policyCheckIntervalSeconds", $"{o.Tpm.PolicyCheckIntervalSeconds} is outside 0-86400.");
        }

        if (string.IsNullOrWhiteSpace(o.Audit.Origin) || o.Audit.Origin.Any(c => char.IsControl(c) || c == ' '))
        {
            Fail("$.audit.origin", "must be a non-empty name without spaces or control characters.");
        }

        if (o.Audit.CheckpointIntervalMilliseconds is < 10 or > 60_000)
        {
            Fail("$.audit.checkpointIntervalMilliseconds", $"{o.Audit.CheckpointIntervalMilliseconds} is outside 10-60000.");
        }

        ButtonOptions? button = null;
        if (o.Button is { ValueKind: not JsonValueKind.Null } buttonJson)
        {
            try
            {
                button = ButtonOptions.FromJson(buttonJson, "$.button");
                if (button.SocketPath is { } socketPath)
                {
                    button = button with { SocketPath = Resolve(socketPath) };
                }
            }
            catch (CustodyException ex)
            {
                errors.Add(ex.Message);
            }
        }

        LedOptions? led = null;
        if (o.Led is { ValueKind: not JsonValueKind.Null } ledJson)
        {
            try
            {
                led = LedOptions.FromJson(ledJson, "$.led");
            }
            catch (CustodyException ex)
            {
                errors.Add(ex.Message);
            }
        }

        if (errors.Count > 0)
        {
            throw new CustodyException(CustodyStatus.InvalidArgument, $"{source}: {string.Join("; ", errors)}");
        }

        // Resolve relative paths once, so the rest of the daemon never depends on the working directory.
        return new DaemonOptions
        {
            StateDirectory = Resolve(o.StateDirectory),
            LogLevel = o.LogLevel,
            Listen = new ListenOptions
            {
                Tcp = tcp is null ? null : new TcpListenOptions
                {
                    Address = tcp.Address,
                    Port = tcp.Port,
                    CertificatePem = Resolve(tcp.CertificatePem),
                    PrivateKeyPem = Resolve(tcp.PrivateKeyPem),
                    ClientCaPem = Resolve(tcp.ClientCaPem),
                },
                UnixSocket = o.Listen.UnixSocket is null ? null : Resolve(o.Listen.UnixSocket),
                MaxMessageBytes = o.Listen.MaxMessageBytes,
            },
            Pkcs11 = new Pkcs11Options
            {
                Module = Resolve(o.Pkcs11.Module),
                TokenLabel = o.Pkcs11.TokenLabel,
                TokenSerial = o.Pkcs11.TokenSerial,
                Pin = pin!.Kind == PinSourceKind.File ? "file:" + Resolve(pin.Argument) : o.Pkcs11.Pin,
                Environment = new Dictionary<string, string>(o.Pkcs11.Environment, StringComparer.Ordinal),
            },
            Tpm = new TpmOptions
            {
                Tcti = o.Tpm.Tcti,
                StateDirectory = Resolve(o.Tpm.StateDirectory),
                Pcrs = o.Tpm.Pcrs,
                MeasurementPcr = o.Tpm.MeasurementPcr,
                SealedPinName = o.Tpm.SealedPinName,
                PolicyCheckIntervalSeconds = o.Tpm.PolicyCheckIntervalSeconds,
            },
            Audit = o.Audit,
            Button = o.Button is { ValueKind: JsonValueKind.Null } ? null : o.Button,
            Led = o.Led is { ValueKind: JsonValueKind.Null } ? null : o.Led,
            ButtonDevice = button,
            LedDevice = led,
        };

        void CheckFile(string path, string file)
        {
            if (string.IsNullOrWhiteSpace(file))
            {
                Fail(path, "must name a file.");
            }
            else if (!File.Exists(Resolve(file)))
            {
                Fail(path, $"file '{Resolve(file)}' does not exist.");
            }
        }
    }
}
