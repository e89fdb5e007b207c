// SPDX-License-Identifier: Apache-2.0
using System.Runtime.InteropServices;
using KeyCustody.Core;
using KeyCustody.Daemon.Dev;
using KeyCustody.Daemon.Hosting;
using KeyCustody.Daemon.Options;
using Microsoft.Extensions.Logging;

// keycustodyd [run] [--config PATH]           the appliance daemon (default config /etc/keycustody/keycustody.json)
// keycustodyd dev --state DIR [--genesis F]   the development appliance (SoftHSM2 + swtpm + simulated button)
// keycustodyd check-config [--config PATH]    validate a configuration and print the daemon measurement
string command = args.Length > 0 && !args[0].StartsWith('-') ? args[0] : "run";
string[] rest = args.Length > 0 && !args[0].StartsWith('-') ? args[1..] : args;
if (command is "help" || rest.Contains("--help") || rest.Contains("-h"))
{
    Console.Out.WriteLine("usage: keycustodyd [run] [--config PATH] | dev --state DIR [--genesis FILE] | check-config [--config PATH]");
    return 0;
}

string? Option(string name)
{
    int at = Array.IndexOf(rest, name);
    return at >= 0 && at + 1 < rest.Length ? rest[at + 1] : null;
}

using var stop = new CancellationTokenSource();
using PosixSignalRegistration sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
{
    context.Cancel = true;
    stop.Cancel();
});
using PosixSignalRegistration sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, context =>
{
    context.Cancel = true;
    stop.Cancel();
});

try
{
    switch (command)
    {
        case "dev":
        {
            string state = Option("--state") ?? throw new CustodyException(CustodyStatus.InvalidArgument, "dev needs --state DIR.");
            using ILoggerFactory loggers = CreateLoggers(LogLevel.Information);
            return await DevAppliance.RunAsync(state, Option("--genesis"), loggers, stop.Token);
        }

        case "check-config":
        {
            (DaemonOptions _, byte[] bytes) = DaemonOptionsLoader.Load(Option("--config") ?? DaemonOptionsLoader.DefaultPath);
            Console.Out.WriteLine($"configuration is valid; measurement {DaemonMeasurement.Compute(bytes).DigestHex}");
            return 0;
        }

        case "run":
        {
            (DaemonOptions options, byte[] bytes) = DaemonOptionsLoader.Load(Option("--config") ?? DaemonOptionsLoader.DefaultPath);
            using ILoggerFactory loggers = CreateLoggers(Enum.Parse<LogLevel>(options.LogLevel));
            using SystemdNotifier? notifier = SystemdNotifier.FromEnvironment();
            await using Appliance appliance = Appliance.Create(options, bytes, loggers);
            await using (SystemdLifecycle systemd = SystemdLifecycle.Attach(notifier, appliance.State))
            {
                await appliance.StartAsync(stop.Token);
                systemd.StartCompleted();
                try
                {
                    await Task.Delay(Timeout.Infinite, stop.Token);
                }
                catch (OperationCanceledException)
                {
                }
            }

            return 0;
        }

        default:
            Console.Error.WriteLine($"keycustodyd: unknown command '{command}' (try --help)");
            return 2;
    }
}
catch (CustodyException ex)
{
    Console.Error.WriteLine($"keycustodyd: {ex.Message}");
    return 1;
}
catch (OperationCanceledException) when (stop.IsCancellationRequested)
{
    return 0;
}
catch (IOException ex)
{
    // Typically the listen address is taken by another process.
    Console.Error.WriteLine($"keycustodyd: {ex.Message}");
    return 1;
}

// Under systemd (JOURNAL_STREAM is set when stdout/stderr go to the journal) each line carries its syslog
// priority as a "<N>" prefix, which journald turns into PRIORITY=; journald adds its own timestamps.
static ILoggerFactory CreateLoggers(LogLevel level) => LoggerFactory.Create(builder =>
{
    builder.SetMinimumLevel(level);
    if (!string.IsNullOrEmpty(Environment.GetEnvironmentVariable("JOURNAL_STREAM")))
    {
        builder.AddSystemdConsole(o => o.IncludeScopes = false);
    }
    else
    {
        builder.AddSimpleConsole(o =>
        {
            o.SingleLine = true;
            o.TimestampFormat = "HH:mm:ss.fff ";
            o.UseUtcTimestamp = true;
        });
    }
});
