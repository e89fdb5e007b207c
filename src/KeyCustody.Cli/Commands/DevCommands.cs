// SPDX-License-Identifier: Apache-2.0
using System.CommandLine;
using System.Text.Json.Nodes;
using KeyCustody.Cli.Output;
using KeyCustody.Gpio;

namespace KeyCustody.Cli.Commands;

/// <summary><c>keycustody dev …</c>: helpers for the development appliance (simulated button, the demo).</summary>
internal static class DevCommands
{
    private static readonly Option<bool> s_long = new("--long") { Description = "A long press (≥ 2 s), which denies the request that owns the button." };

    /// <summary>Builds the <c>dev</c> command tree.</summary>
    public static Command Create(CliApplication app)
    {
        var dev = new Command("dev", "Development appliance helpers: press the simulated button, run the end-to-end demo.");
        dev.Subcommands.Add(CreatePress(app));
        dev.Subcommands.Add(DevDemo.Create(app));
        return dev;
    }

    private static Command CreatePress(CliApplication app)
    {
        var press = new Command("press", "Press the dev appliance's simulated presence button (short confirms, --long denies).");
        press.Options.Add(s_long);
        press.Options.Add(GlobalOptions.ButtonSocket);
        press.SetAction((parseResult, cancellationToken) => app.InvokeAsync(parseResult, cancellationToken, async (context, ct) =>
        {
            bool isLong = context.ParseResult.GetValue(s_long);
            string socket = context.Settings.RequireButtonSocket();
            TimeSpan duration = isLong ? SimulatedButtonClient.LongPress : SimulatedButtonClient.ShortPress;
            await SimulatedButtonClient.PressAsync(socket, duration, ct);
            if (context.Json)
            {
                context.WriteJson(new JsonObject
                {
                    ["press"] = isLong ? "long" : "short",
                    ["durationMs"] = (long)duration.TotalMilliseconds,
                    ["socket"] = socket,
                });
            }
            else
            {
                await context.Out.WriteLineAsync($"pressed the simulated button ({(isLong ? "long" : "short")}, {duration.TotalMilliseconds:0} ms)");
            }

            return ExitCode.Success;
        }));
        return press;
    }
}
