// SPDX-License-Identifier: Apache-2.0
using System.Diagnostics;
using System.Text;
using KeyCustody.Testing;

namespace KeyCustody.IntegrationTests.Infrastructure;

/// <summary>
/// <c>dotnet keycustodyd.dll dev --state DIR</c> as a separate process (the appliance as a CI client sees it):
/// it starts swtpm and SoftHSM2 itself, writes <c>DIR/cli.json</c> and prints a line starting with
/// <see cref="ReadyMarker"/> once it has decided whether it is SERVING. Output is captured for failure messages.
/// </summary>
public sealed class DaemonProcess : IAsyncDisposable
{
    /// <summary>The line prefix the dev appliance prints once its start-up sequence has finished (either way).</summary>
    public const string ReadyMarker = "keycustody dev appliance: ";

    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly TaskCompletionSource<string> _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private DaemonProcess(Process process) => _process = process;

    /// <summary>Everything the process printed so far.</summary>
    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    /// <summary>The process id.</summary>
    public int Id => _process.Id;

    /// <summary>True once the process has exited.</summary>
    public bool HasExited => _process.HasExited;

    /// <summary>The daemon assembly next to the test assembly (the project reference copies it).</summary>
    public static string DaemonDll => Path.Combine(AppContext.BaseDirectory, "keycustodyd.dll");

    /// <summary>Starts the dev appliance on <paramref name="stateDirectory"/> and waits for its ready line.</summary>
    /// <returns>The process and the text after <see cref="ReadyMarker"/> ("SERVING" or "NOT_SERVING: reason").</returns>
    public static Task<(DaemonProcess Process, string Status)> StartDevAsync(string stateDirectory, params string[] extraArguments) =>
        StartDevAsync(stateDirectory, null, extraArguments);

    /// <summary>As <see cref="StartDevAsync(string, string[])"/>, with extra environment variables for the daemon (e.g. NOTIFY_SOCKET).</summary>
    public static async Task<(DaemonProcess Process, string Status)> StartDevAsync(
        string stateDirectory, IReadOnlyDictionary<string, string>? environment, params string[] extraArguments)
    {
        var start = new ProcessStartInfo(RequiredTool.Find("dotnet"))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(DaemonDll);
        start.ArgumentList.Add("dev");
        start.ArgumentList.Add("--state");
        start.ArgumentList.Add(stateDirectory);
        foreach (string a in extraArguments)
        {
            start.ArgumentList.Add(a);
        }

        start.Environment["DOTNET_gcServer"] = "0";
        foreach ((string name, string value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }

        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        var daemon = new DaemonProcess(process);
        process.OutputDataReceived += (_, e) => daemon.OnLine(e.Data);
        process.ErrorDataReceived += (_, e) => daemon.OnLine(e.Data);
        process.Exited += (_, _) => daemon._ready.TrySetException(
            new InvalidOperationException($"keycustodyd dev exited with {SafeExitCode(process)} before it was ready:\n{daemon.Output}"));
        if (!process.Start())
        {
            throw new InvalidOperationException("Could not start keycustodyd.");
        }

        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            // First start provisions swtpm (SRK), SoftHSM2 and the genesis; generous for a loaded 2-core machine.
            string status = await daemon._ready.Task.WaitAsync(TimeSpan.FromMinutes(3));
            return (daemon, status);
        }
        catch
        {
            await daemon.DisposeAsync();
            throw;
        }
    }

    /// <summary>Sends SIGTERM (what systemd and Ctrl-C do) and waits for a clean exit; returns the exit code.</summary>
    public async Task<int> StopAsync()
    {
        if (!_process.HasExited)
        {
            await ProcessRunner.RunAsync("kill", "-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture));
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            try
            {
                await _process.WaitForExitAsync(cts.Token);
            }
            catch (OperationCanceledException)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync();
                throw new TimeoutException($"keycustodyd did not stop within 60 s of SIGTERM:\n{Output}");
            }
        }

        return _process.ExitCode;
    }

    /// <summary>Reads the daemon's resident set size (VmRSS) in bytes from /proc.</summary>
    public long ReadRssBytes()
    {
        foreach (string line in File.ReadLines($"/proc/{_process.Id}/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                string[] parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                return long.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture) * 1024;
            }
        }

        throw new InvalidOperationException("VmRSS not found.");
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                await StopAsync();
            }
        }
        catch (Exception) when (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }
        finally
        {
            _process.Dispose();
        }
    }

    private void OnLine(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.AppendLine(line);
        }

        int at = line.IndexOf(ReadyMarker, StringComparison.Ordinal);
        if (at >= 0)
        {
            _ready.TrySetResult(line[(at + ReadyMarker.Length)..].Trim());
        }
    }

    private static string SafeExitCode(Process process)
    {
        try
        {
            return process.ExitCode.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (InvalidOperationException)
        {
            return "?";
        }
    }
}
