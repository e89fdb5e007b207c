// SPDX-License-Identifier: Apache-2.0
using System.Diagnostics;
using System.Net.Sockets;
using KeyCustody.Core;

namespace KeyCustody.Daemon.Dev;

/// <summary>
/// The development TPM: an swtpm child process whose NV state persists under <c>DIR/tpm/swtpm</c>. Every start
/// is a TPM reset (<c>startup-clear</c>), so PCRs begin from their reset values as after a reboot. Stopping sends
/// TPM2_Shutdown first so the emulator's dictionary-attack counter never counts an unorderly shutdown.
/// </summary>
public sealed class SwtpmProcess : IAsyncDisposable
{
    private readonly Process _process;

    private SwtpmProcess(Process process, int port)
    {
        _process = process;
        Port = port;
    }

    /// <summary>The command port; the control port is <see cref="Port"/> + 1.</summary>
    public int Port { get; }

    /// <summary>The FAPI/ESYS TCTI string for this emulator.</summary>
    public string Tcti => $"swtpm:host=127.0.0.1,port={Port}";

    /// <summary>Starts swtpm on <paramref name="port"/> (and port + 1) with its state under <paramref name="stateDirectory"/>.</summary>
    public static async Task<SwtpmProcess> StartAsync(string stateDirectory, int port, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(stateDirectory);
        var start = new ProcessStartInfo(DevTool.Find("swtpm"))
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (string a in new[]
        {
            "socket", "--tpm2", "--tpmstate", $"dir={stateDirectory}",
            "--server", $"type=tcp,port={port},bindaddr=127.0.0.1",
            "--ctrl", $"type=tcp,port={port + 1},bindaddr=127.0.0.1",
            "--flags", "not-need-init,startup-clear",
        })
        {
            start.ArgumentList.Add(a);
        }

        var process = Process.Start(start) ?? throw new CustodyException(CustodyStatus.TpmUnavailable, "Could not start swtpm.");
        var stderr = new System.Text.StringBuilder();
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) { lock (stderr) { stderr.AppendLine(e.Data); } } };
        process.OutputDataReceived += (_, _) => { };
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();

        // Wait until the control port answers; connecting to the command port would take swtpm's only client slot.
        DateTime deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            if (process.HasExited)
            {
                string why;
                lock (stderr)
                {
                    why = stderr.ToString().Trim();
                }

                throw new CustodyException(CustodyStatus.TpmUnavailable,
                    $"swtpm exited with {process.ExitCode} on port {port} (in use by another program?): {why}");
            }

            try
            {
                using var probe = new TcpClient();
                await probe.ConnectAsync("127.0.0.1", port + 1, cancellationToken).ConfigureAwait(false);
                break;
            }
            catch (SocketException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(50, cancellationToken).ConfigureAwait(false);
            }
            catch (SocketException ex)
            {
                process.Kill();
                throw new CustodyException(CustodyStatus.TpmUnavailable, $"swtpm did not open port {port + 1}: {ex.Message}");
            }
        }

        return new SwtpmProcess(process, port);
    }

    /// <summary>Shuts the TPM down in order and stops the emulator.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_process.HasExited)
        {
            _process.Dispose();
            return;
        }

        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        try
        {
            await DevTool.RunAsync("tpm2_shutdown", ["-T", Tcti], cancellationToken: cts.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is CustodyException or OperationCanceledException)
        {
            // Best effort: an unorderly stop only costs a DA-counter increment in the emulator.
        }

        try
        {
            await DevTool.RunAsync("swtpm_ioctl", ["--tcp", $"127.0.0.1:{Port + 1}", "-s"], cancellationToken: cts.Token).ConfigureAwait(false);
            await _process.WaitForExitAsync(cts.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is CustodyException or OperationCanceledException)
        {
            _process.Kill();
            await _process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
        }

        _process.Dispose();
    }
}
