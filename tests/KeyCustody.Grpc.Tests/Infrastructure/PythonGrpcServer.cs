// SPDX-License-Identifier: Apache-2.0
using System.Diagnostics;
using KeyCustody.Testing;
using Xunit;

namespace KeyCustody.Grpc.Tests.Infrastructure;

/// <summary>
/// The echo service served by python3-grpcio (python_peer.py server) on a plaintext and a mutual-TLS port, so our
/// client is checked against a real server. Stopped by closing its stdin (killed if it lingers).
/// </summary>
public sealed class PythonGrpcServer : IAsyncLifetime
{
    private readonly PythonPeer _peer = new();
    private Process? _process;
    private Task<string>? _stderr;

    public TestPki Pki { get; } = new();

    public int PlainPort { get; private set; }

    public int TlsPort { get; private set; }

    public async Task InitializeAsync()
    {
        await _peer.InitializeAsync();
        var start = new ProcessStartInfo(RequiredTool.Find(InteropPaths.Python))
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string argument in new[]
        {
            InteropPaths.File("python_peer.py"), "server", "--stubs", _peer.StubsDirectory,
            "--ca", Pki.CaPem, "--cert", Pki.ServerCertPem, "--key", Pki.ServerKeyPem,
        })
        {
            start.ArgumentList.Add(argument);
        }

        foreach ((string key, string value) in PythonPeer.Environment)
        {
            start.Environment[key] = value;
        }

        _process = Process.Start(start) ?? throw new InvalidOperationException("Could not start the Python gRPC server.");
        _stderr = _process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        string? line = await _process.StandardOutput.ReadLineAsync(cts.Token);
        string[] parts = line?.Split(' ') ?? [];
        if (parts.Length != 3 || parts[0] != "LISTENING")
        {
            _process.Kill(entireProcessTree: true);
            throw new InvalidOperationException($"The Python gRPC server did not start: '{line}'. stderr: {await _stderr}");
        }

        PlainPort = int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture);
        TlsPort = int.Parse(parts[2], System.Globalization.CultureInfo.InvariantCulture);
    }

    public async Task DisposeAsync()
    {
        if (_process is not null)
        {
            try
            {
                _process.StandardInput.Close();
                using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
                await _process.WaitForExitAsync(cts.Token);
            }
            catch (OperationCanceledException)
            {
                _process.Kill(entireProcessTree: true);
            }

            _process.Dispose();
        }

        await _peer.DisposeAsync();
        Pki.Dispose();
    }
}
