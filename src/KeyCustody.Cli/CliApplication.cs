// SPDX-License-Identifier: Apache-2.0
using System.CommandLine;
using System.CommandLine.Parsing;
using KeyCustody.Cli.Commands;
using KeyCustody.Cli.Output;
using KeyCustody.Core;

namespace KeyCustody.Cli;

/// <summary>
/// The <c>keycustody</c> command tree and its one error policy: argument errors print the error and the command's
/// usage to stderr and exit 2; a failed command prints one line <c>error: …</c> to stderr and exits with the
/// <see cref="ExitCode"/> of its class.
/// </summary>
public sealed class CliApplication
{
    private readonly ApplianceClientFactory _clientFactory;
    private readonly Func<string, string?> _environment;

    /// <summary>Creates the application; <paramref name="environment"/> defaults to the process environment.</summary>
    public CliApplication(ApplianceClientFactory clientFactory, Func<string, string?>? environment = null)
    {
        _clientFactory = clientFactory;
        _environment = environment ?? Environment.GetEnvironmentVariable;
        Root = CreateRootCommand();
    }

    /// <summary>How commands open a client (the demo opens one to the appliance it started).</summary>
    internal ApplianceClientFactory ClientFactory => _clientFactory;

    /// <summary>The root command.</summary>
    public RootCommand Root { get; }

    /// <summary>Parses and runs <paramref name="args"/>; returns the process exit code.</summary>
    public async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error, CancellationToken cancellationToken = default)
    {
        ParseResult result = Root.Parse(args);
        if (result.Errors.Count > 0)
        {
            // Usage goes to stderr so a script's stdout never holds it, with the conventional usage exit code.
            foreach (ParseError parseError in result.Errors)
            {
                await error.WriteLineAsync("error: " + parseError.Message);
            }

            await error.WriteLineAsync();
            await Root.Parse([.. CommandPath(result.CommandResult), "--help"])
                .InvokeAsync(new InvocationConfiguration { Output = error, Error = error }, cancellationToken);
            return (int)ExitCode.Usage;
        }

        return await result.InvokeAsync(new InvocationConfiguration { Output = output, Error = error }, cancellationToken);
    }

    private static IEnumerable<string> CommandPath(CommandResult command)
    {
        var names = new Stack<string>();
        for (SymbolResult? current = command; current is CommandResult { Parent: not null } c; current = c.Parent)
        {
            names.Push(c.Command.Name);
        }

        return names;
    }

    /// <summary>Runs one command body with the error policy applied.</summary>
    internal async Task<int> InvokeAsync(ParseResult parseResult, CancellationToken cancellationToken, Func<CliContext, CancellationToken, Task<ExitCode>> body)
    {
        TextWriter output = parseResult.InvocationConfiguration.Output;
        TextWriter error = parseResult.InvocationConfiguration.Error;
        CliContext context;
        try
        {
            context = new CliContext(parseResult, output, error, _clientFactory, _environment);
            return (int)await body(context, cancellationToken);
        }
        catch (Exception e) when (Describe(e, cancellationToken) is { } failure)
        {
            await error.WriteLineAsync("error: " + failure.Message);
            return (int)failure.Code;
        }
    }

    private static (ExitCode Code, string Message)? Describe(Exception exception, CancellationToken cancellationToken) => exception switch
    {
        CustodyException e => (ExitCodes.ForLocal(e.Status), OneLine(e.Message)),
        OperationCanceledException when cancellationToken.IsCancellationRequested => (ExitCode.Cancelled, "interrupted"),
        _ when TransportErrors.TryDescribe(exception, out ExitCode code, out string message) => (code, OneLine(message)),
        IOException or UnauthorizedAccessException => (ExitCode.Error, OneLine(exception.Message)),

        // A bug here should still end in one line a user can report, not a stack trace over their terminal.
        _ when exception is not OperationCanceledException => (ExitCode.Error, $"unexpected {exception.GetType().Name}: {OneLine(exception.Message)}"),
        _ => null,
    };

    private static string OneLine(string message) => string.Join(' ', message.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries)).Trim();

    private RootCommand CreateRootCommand()
    {
        var root = new RootCommand("keycustody: sign through, approve at, govern and audit a KeyCustody appliance.\n"
            + "Exit codes: 0 ok, 1 error, 2 usage, 3 not found, 4 unauthenticated, 5 permission denied, 6 denied, 7 expired,\n"
            + "8 wrong state, 9 unavailable (retry), 10 integrity failure, 11 cancelled, 12 signing failed, 13 submitted (not yet signed).");
        GlobalOptions.AddTo(root);
        root.Subcommands.Add(SignCommand.Create(this));
        root.Subcommands.Add(PendingCommands.CreatePending(this));
        root.Subcommands.Add(PendingCommands.CreateShow(this));
        root.Subcommands.Add(ApprovalCommands.Create(this, deny: false));
        root.Subcommands.Add(ApprovalCommands.Create(this, deny: true));
        root.Subcommands.Add(KeysCommand.Create(this));
        root.Subcommands.Add(DevCommands.Create(this));
        return root;
    }
}
