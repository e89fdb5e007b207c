// SPDX-License-Identifier: Apache-2.0
using System.CommandLine;
using System.Text.Json.Nodes;
using KeyCustody.Cli.Connection;
using KeyCustody.Cli.Output;

namespace KeyCustody.Cli;

/// <summary>Opens a client to the appliance described by the settings; unary calls get <c>callTimeout</c> as deadline.</summary>
public delegate IApplianceClient ApplianceClientFactory(ConnectionSettings settings, TimeSpan callTimeout);

/// <summary>What one command invocation needs: its parse result, where to write, and how to reach the appliance.</summary>
public sealed class CliContext
{
    private readonly ApplianceClientFactory _clientFactory;
    private readonly Func<string, string?> _environment;
    private ConnectionSettings? _settings;

    /// <summary>Creates the context for one invocation.</summary>
    public CliContext(ParseResult parseResult, TextWriter output, TextWriter error, ApplianceClientFactory clientFactory, Func<string, string?> environment)
    {
        ParseResult = parseResult;
        Out = output;
        Error = error;
        _clientFactory = clientFactory;
        _environment = environment;
        Json = parseResult.GetValue(GlobalOptions.Json);
        CallTimeout = TimeSpan.FromSeconds(parseResult.GetValue(GlobalOptions.TimeoutSeconds));
    }

    /// <summary>The parsed command line.</summary>
    public ParseResult ParseResult { get; }

    /// <summary>Standard output: results (a table, a JSON document).</summary>
    public TextWriter Out { get; }

    /// <summary>Standard error: progress, prompts, the error line.</summary>
    public TextWriter Error { get; }

    /// <summary>True with <c>--json</c>: stdout carries one JSON document and progress is not printed.</summary>
    public bool Json { get; }

    /// <summary>Deadline of each unary call.</summary>
    public TimeSpan CallTimeout { get; }

    /// <summary>The connection settings (options, then environment, then the state file).</summary>
    public ConnectionSettings Settings => _settings ??= ConnectionSettings.Resolve(
        new ConnectionInputs
        {
            StateDirectory = ParseResult.GetValue(GlobalOptions.State),
            Address = ParseResult.GetValue(GlobalOptions.Address),
            CaCertificatePath = ParseResult.GetValue(GlobalOptions.Ca),
            PinnedCertificatePath = ParseResult.GetValue(GlobalOptions.PinnedCertificatePath),
            ClientCertificatePath = ParseResult.GetValue(GlobalOptions.ClientCertificate),
            ClientKeyPath = ParseResult.GetValue(GlobalOptions.ClientKey),
            ButtonSocketPath = ParseResult.GetResult(GlobalOptions.ButtonSocket) is null ? null : ParseResult.GetValue(GlobalOptions.ButtonSocket),
        },
        _environment,
        Environment.CurrentDirectory);

    /// <summary>Opens a client to the configured appliance.</summary>
    public IApplianceClient Connect()
    {
        Settings.RequireAddress();
        return _clientFactory(Settings, CallTimeout);
    }

    /// <summary>Writes a progress line to stderr, unless <c>--json</c>.</summary>
    public void Progress(string line)
    {
        if (!Json)
        {
            Error.WriteLine(line);
        }
    }

    /// <summary>Writes the command's JSON document to stdout.</summary>
    public void WriteJson(JsonNode document) => Out.WriteLine(JsonOutput.Render(document));
}
