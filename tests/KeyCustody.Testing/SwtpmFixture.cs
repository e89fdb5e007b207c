// SPDX-License-Identifier: Apache-2.0
using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Text;
using Xunit;

namespace KeyCustody.Testing;

/// <summary>
/// A private software TPM for one test class: <c>swtpm socket --tpm2</c> on two free consecutive loopback ports
/// (TPM commands on <see cref="ServerPort"/>, swtpm's control channel on <see cref="ControlPort"/>), with its own
/// TPM state directory and an empty directory for the FAPI keystore (<see cref="FapiStateDirectory"/>).
/// Use it as <c>IClassFixture&lt;SwtpmFixture&gt;</c>, or create one in a test and dispose it.
/// <code>
/// var options = new TpmOptions { Tcti = swtpm.Tcti, StateDirectory = swtpm.FapiStateDirectory };
/// </code>
/// <see cref="StopAsync"/>/<see cref="StartAsync"/> restart the same TPM (same state, same ports): NV indices
/// and keys survive, PCRs are reset by the start-up with TPM2_Startup(CLEAR).
/// </summary>
public sealed class SwtpmFixture : IAsyncLifetime, IAsyncDisposable
{
    // swtpm control-channel commands (swtpm's ptm/tpm_ioctl.h, sent as 32-bit big-endian codes over TCP).
    private const uint CmdGetCapability = 0x01;
    private const uint CmdShutdown = 0x03;

    private static readonly TimeSpan s_startTimeout = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan s_stopTimeout = TimeSpan.FromSeconds(30);

    private readonly TempDirectory _root = new("keycustody-swtpm");
    private readonly StringBuilder _output = new();
    private Process? _process;

    /// <summary>Picks ports and directories; swtpm starts in <see cref="InitializeAsync"/> or <see cref="StartAsync"/>.</summary>
    public SwtpmFixture()
    {
        ServerPort = FreePort.Next(2);
        TpmStateDirectory = Directory.CreateDirectory(_root.File("tpm-state")).FullName;
        FapiStateDirectory = Directory.CreateDirectory(_root.File("keycustody-tpm")).FullName;
    }

    /// <summary>The port TPM commands go to.</summary>
    public int ServerPort { get; }

    /// <summary>swtpm's control channel (<see cref="ServerPort"/> + 1).</summary>
    public int ControlPort => ServerPort + 1;

    /// <summary>The TCTI string for FAPI and tpm2-tools: "swtpm:host=127.0.0.1,port=N".</summary>
    public string Tcti => string.Create(CultureInfo.InvariantCulture, $"swtpm:host=127.0.0.1,port={ServerPort}");

    /// <summary>swtpm's own state (the TPM's NV memory, keys' seeds). Copy it to clone a TPM.</summary>
    public string TpmStateDirectory { get; }

    /// <summary>An empty directory for <c>TpmOptions.StateDirectory</c> (FAPI configuration and keystores).</summary>
    public string FapiStateDirectory { get; }

    /// <summary>The fixture's temporary root, for test files next to the TPM.</summary>
    public string RootDirectory => _root.Path;

    /// <summary>Environment for tpm2-tools processes: <c>TPM2TOOLS_TCTI</c> pointing at this TPM.</summary>
    public IReadOnlyDictionary<string, string> ToolEnvironment =>
        new Dictionary<string, string> { ["TPM2TOOLS_TCTI"] = Tcti };

    /// <summary>True while the swtpm process runs.</summary>
    public bool IsRunning => _process is { HasExited: false };

    /// <summary>What swtpm wrote to stdout/stderr so far (for failure messages).</summary>
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

    /// <inheritdoc />
    public Task InitializeAsync() => StartAsync();

    /// <summary>Starts swtpm on the fixture's state and ports and waits until its control channel answers.</summary>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        if (IsRunning)
        {
            return;
        }

        // swtpm is started through bash, which closes every inherited descriptor above 2 and then execs swtpm
        // (same PID). Native code in the test process (tpm2-tss's TCTIs) opens sockets without close-on-exec, and
        // .NET does not close descriptors when it spawns a child: a swtpm started while another test class's FAPI
        // call had its TCTI connection open would keep that connection alive forever, and the other swtpm — which
        // serves one connection at a time — would never answer again.
        var start = new ProcessStartInfo(RequiredTool.Find("bash"))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(
            "fds=(/proc/$$/fd/*); for f in \"${fds[@]}\"; do n=${f##*/}; " +
            "if [ \"$n\" -gt 2 ]; then eval \"exec $n>&-\" 2>/dev/null; fi; done; exec \"$0\" \"$@\"");
        start.ArgumentList.Add(RequiredTool.Find("swtpm"));
        foreach (string argument in new[]
        {
            "socket", "--tpm2",
            "--tpmstate", "dir=" + TpmStateDirectory,
            "--server", string.Create(CultureInfo.InvariantCulture, $"type=tcp,port={ServerPort},bindaddr=127.0.0.1"),
            "--ctrl", string.Create(CultureInfo.InvariantCulture, $"type=tcp,port={ControlPort},bindaddr=127.0.0.1"),
            "--flags", "not-need-init,startup-clear",
        })
        {
            start.ArgumentList.Add(argument);
        }

        var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        if (!process.Start())
        {
            throw new InvalidOperationException("swtpm did not start.");
        }

        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;

        DateTime deadline = DateTime.UtcNow + s_startTimeout;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (process.HasExited)
            {
                throw new InvalidOperationException(
                    $"swtpm exited with {process.ExitCode} while starting on ports {ServerPort}/{ControlPort}.\n{Output}");
            }

            if (await TryControlAsync(CmdGetCapability, responseLength: 8, cancellationToken) && await CanConnectAsync(ServerPort))
            {
                return;
            }

            if (DateTime.UtcNow > deadline)
            {
                process.Kill(entireProcessTree: true);
                throw new TimeoutException($"swtpm did not answer on port {ControlPort} within {s_startTimeout}.\n{Output}");
            }

            // Poll interval while waiting for swtpm to bind its sockets; the loop ends on the condition, not the delay.
            await Task.Delay(50, cancellationToken);
        }
    }

    /// <summary>
    /// Stops swtpm. Graceful (the default) sends the control channel's shutdown command, so swtpm writes its state
    /// and exits; otherwise the process is killed, like pulling the power.
    /// </summary>
    public async Task StopAsync(bool graceful = true)
    {
        Process? process = _process;
        if (process is null)
        {
            return;
        }

        try
        {
            if (!process.HasExited && graceful)
            {
                await TryControlAsync(CmdShutdown, responseLength: 4, CancellationToken.None);
            }

            if (!process.HasExited && !graceful)
            {
                process.Kill(entireProcessTree: true);
            }

            using var cts = new CancellationTokenSource(s_stopTimeout);
            try
            {
                await process.WaitForExitAsync(cts.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync(CancellationToken.None);
            }

            // The sockets close with the process; wait until the port is really free so a restart can bind it.
            DateTime deadline = DateTime.UtcNow + s_stopTimeout;
            while (await CanConnectAsync(ServerPort) && DateTime.UtcNow < deadline)
            {
                await Task.Delay(50);
            }
        }
        finally
        {
            process.Dispose();
            _process = null;
        }
    }

    /// <summary>Stops and starts swtpm on the same state and ports.</summary>
    public async Task RestartAsync(bool graceful = true, CancellationToken cancellationToken = default)
    {
        await StopAsync(graceful);
        await StartAsync(cancellationToken);
    }

    /// <inheritdoc />
    public async Task DisposeAsync()
    {
        await StopAsync(graceful: false);
        _root.Dispose();
    }

    /// <inheritdoc />
    async ValueTask IAsyncDisposable.DisposeAsync() => await DisposeAsync();

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.AppendLine(line);
        }
    }

    private async Task<bool> TryControlAsync(uint command, int responseLength, CancellationToken cancellationToken)
    {
        try
        {
            using var client = new TcpClient();
            using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            cts.CancelAfter(TimeSpan.FromSeconds(10));
            await client.ConnectAsync("127.0.0.1", ControlPort, cts.Token);
            NetworkStream stream = client.GetStream();
            byte[] request = new byte[4];
            BinaryPrimitives.WriteUInt32BigEndian(request, command);
            await stream.WriteAsync(request, cts.Token);
            byte[] response = new byte[responseLength];
            await stream.ReadExactlyAsync(response, cts.Token);
            return BinaryPrimitives.ReadUInt32BigEndian(response) == 0;
        }
        catch (Exception e) when (e is SocketException or IOException or OperationCanceledException)
        {
            cancellationToken.ThrowIfCancellationRequested();
            return false;
        }
    }

    private static async Task<bool> CanConnectAsync(int port)
    {
        try
        {
            using var client = new TcpClient();
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await client.ConnectAsync("127.0.0.1", port, cts.Token);
            return true;
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException)
        {
            return false;
        }
    }
}
