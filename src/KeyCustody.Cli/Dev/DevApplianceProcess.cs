// SPDX-License-Identifier: Apache-2.0
using System.Diagnostics;
using KeyCustody.Cli.Connection;
using KeyCustody.Cli.Output;
using KeyCustody.Core;
using KeyCustody.Grpc;

namespace KeyCustody.Cli.Dev;

/// <summary>
/// A dev appliance this CLI started (<c>keycustodyd dev --state DIR</c>) for <c>keycustody dev demo</c>: its output
/// goes to DIR/daemon.log; <see cref="DisposeAsync"/> stops it (SIGTERM, then kill) with everything it spawned.
/// </summary>
public sealed class DevApplianceProcess : IAsyncDisposable
{
    /// <summary>Environment variable naming the keycustodyd to run (an executable or keycustodyd.dll).</summary>
    public const string DaemonVariable = "KEYCUSTODY_DAEMON";

    private readonly Process _process;
    private readonly StreamWriter _log;
    private readonly Task _pumps;

    private DevApplianceProcess(Process process, StreamWriter log, string stateDirectory, string logPath)
    {
        _process = process;
        _log = log;
        StateDirectory = stateDirectory;
        LogPath = logPath;
        _pumps = Task.WhenAll(PumpAsync(process.StandardOutput), PumpAsync(process.StandardError));
    }

    /// <summary>The state directory the appliance runs in.</summary>
    public string StateDirectory { get; }

    /// <summary>Where its output goes.</summary>
    public string LogPath { get; }

    /// <summary>The process id.</summary>
    public int ProcessId => _process.Id;

    /// <summary>Whether it is still running.</summary>
    public bool IsRunning => !_process.HasExited;

    /// <summary>Starts <c>keycustodyd dev --state <paramref name="stateDirectory"/></c>.</summary>
    /// <exception cref="CustodyException">NotProvisioned when no keycustodyd can be found.</exception>
    public static DevApplianceProcess Start(string stateDirectory, string? daemonPath)
    {
        (string program, string[] prefix) = FindDaemon(daemonPath);
        Directory.CreateDirectory(stateDirectory);
        var start = new ProcessStartInfo(program)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
        };
        foreach (string argument in (string[])[.. prefix, "dev", "--state", stateDirectory])
        {
            start.ArgumentList.Add(argument);
        }

        string logPath = Path.Combine(stateDirectory, "daemon.log");
        var log = new StreamWriter(logPath, append: true) { AutoFlush = true };
        Process process;
        try
        {
            process = Process.Start(start) ?? throw new CustodyException(CustodyStatus.NotProvisioned, $"could not start {program}");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            log.Dispose();
            throw new CustodyException(CustodyStatus.NotProvisioned, $"could not start {program}: {e.Message}", e);
        }

        process.StandardInput.Close();
        return new DevApplianceProcess(process, log, stateDirectory, logPath);
    }

    /// <summary>
    /// Waits until the appliance wrote its <c>cli.json</c> and answers <c>ListKeys</c>; fails early when it exits.
    /// </summary>
    /// <exception cref="CustodyException">NotProvisioned when it exits or is not ready within <paramref name="timeout"/>.</exception>
    public async Task<ConnectionSettings> WaitReadyAsync(ApplianceClientFactory clientFactory, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var deadline = DateTimeOffset.UtcNow + timeout;
        string cliJson = Path.Combine(StateDirectory, DevStateFile.FileName);
        Exception? last = null;
        while (DateTimeOffset.UtcNow < deadline)
        {
            if (_process.HasExited)
            {
                throw new CustodyException(CustodyStatus.NotProvisioned,
                    $"keycustodyd exited with {_process.ExitCode} before it was ready; last output: {Tail()}");
            }

            if (File.Exists(cliJson))
            {
                try
                {
                    ConnectionSettings settings = ConnectionSettings.Resolve(
                        new ConnectionInputs { StateDirectory = StateDirectory }, _ => null, StateDirectory);
                    await using IApplianceClient client = clientFactory(settings, TimeSpan.FromSeconds(10));
                    await client.ListKeysAsync(cancellationToken);
                    return settings;
                }
                catch (RpcException e) when (e.StatusCode is StatusCode.DataLoss or StatusCode.Unauthenticated or StatusCode.PermissionDenied)
                {
                    // A refusal that waiting cannot cure (a rolled-back audit log, credentials it does not accept).
                    throw new CustodyException(CustodyStatus.NotProvisioned,
                        $"keycustodyd refuses to serve: {ExitCodes.GrpcName((int)e.StatusCode)}: {e.Detail}", e);
                }
                catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
                {
                    // Not serving yet (still unsealing, logging in to the HSM): try again until the deadline.
                    last = e;
                }
            }

            await Task.Delay(TimeSpan.FromMilliseconds(250), cancellationToken);
        }

        throw new CustodyException(CustodyStatus.NotProvisioned,
            $"keycustodyd was not ready within {timeout.TotalSeconds:0} s ({last?.Message ?? "no cli.json written"}); last output: {Tail()}");
    }

    /// <summary>The last lines the daemon printed, for error messages.</summary>
    public string Tail(int lines = 5)
    {
        try
        {
            using var stream = new FileStream(LogPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            using var reader = new StreamReader(stream);
            string[] all = reader.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries);
            return all.Length == 0 ? "(nothing)" : string.Join(" | ", all.TakeLast(lines));
        }
        catch (IOException)
        {
            return "(no log)";
        }
    }

    /// <summary>Stops the appliance: SIGTERM and up to 20 s to shut down, then kills it and its children.</summary>
    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                await SignalTermAsync(_process.Id);
                using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(20));
                try
                {
                    await _process.WaitForExitAsync(grace.Token);
                }
                catch (OperationCanceledException)
                {
                    _process.Kill(entireProcessTree: true);
                    await _process.WaitForExitAsync();
                }
            }

            await _pumps;
        }
        finally
        {
            await _log.DisposeAsync();
            _process.Dispose();
        }
    }

    /// <summary>
    /// The program to run: <paramref name="configured"/>, else <c>KEYCUSTODY_DAEMON</c>, else keycustodyd.dll next to
    /// this CLI (as in a test output folder), else the daemon built beside it in the source tree, else keycustodyd on PATH.
    /// </summary>
    public static (string Program, string[] Prefix) FindDaemon(string? configured)
    {
        string? chosen = configured ?? (Environment.GetEnvironmentVariable(DaemonVariable) is { Length: > 0 } env ? env : null);
        if (chosen is null)
        {
            string baseDirectory = AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar);
            string sideBySide = Path.Combine(baseDirectory, "keycustodyd.dll");
            var tfm = new DirectoryInfo(baseDirectory);
            DirectoryInfo? configuration = tfm.Parent;
            DirectoryInfo? src = configuration?.Parent?.Parent?.Parent;
            string? inTree = src is null ? null
                : Path.Combine(src.FullName, "KeyCustody.Daemon", "bin", configuration!.Name, tfm.Name, "keycustodyd.dll");
            chosen = File.Exists(sideBySide) ? sideBySide
                : inTree is not null && File.Exists(inTree) ? inTree
                : FindOnPath("keycustodyd");
        }

        if (chosen is null || !File.Exists(chosen))
        {
            throw new CustodyException(CustodyStatus.NotProvisioned,
                $"keycustodyd was not found{(chosen is null ? string.Empty : $" at '{chosen}'")}: build it (./build.sh build), or pass --daemon PATH or set {DaemonVariable}");
        }

        chosen = Path.GetFullPath(chosen);
        return chosen.EndsWith(".dll", StringComparison.OrdinalIgnoreCase) ? (DotnetHost(), [chosen]) : (chosen, []);
    }

    private static string DotnetHost()
    {
        // Running as `dotnet keycustody.dll` the current host is the one to use; as an apphost, find dotnet.
        string? current = Environment.ProcessPath;
        if (current is not null && Path.GetFileNameWithoutExtension(current) == "dotnet")
        {
            return current;
        }

        return Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host
            : FindOnPath("dotnet") ?? throw new CustodyException(CustodyStatus.NotProvisioned, "the dotnet host was not found on PATH");
    }

    private static string? FindOnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin").Split(Path.PathSeparator)
            .Select(dir => Path.Combine(dir.Length == 0 ? "." : dir, name))
            .FirstOrDefault(File.Exists);

    private static async Task SignalTermAsync(int pid)
    {
        // A graceful stop lets the daemon stop swtpm and close its store; `kill` avoids native code in the CLI.
        try
        {
            using Process? kill = Process.Start(new ProcessStartInfo("kill") { ArgumentList = { "-TERM", pid.ToString(System.Globalization.CultureInfo.InvariantCulture) }, UseShellExecute = false });
            if (kill is not null)
            {
                await kill.WaitForExitAsync();
            }
        }
        catch (System.ComponentModel.Win32Exception)
        {
            // No kill(1): the caller falls back to killing the process tree after the grace period.
        }
    }

    private async Task PumpAsync(StreamReader reader)
    {
        while (await reader.ReadLineAsync() is { } line)
        {
            lock (_log)
            {
                _log.WriteLine(line);
            }
        }
    }
}
