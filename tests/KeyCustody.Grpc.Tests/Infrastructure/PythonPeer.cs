// SPDX-License-Identifier: Apache-2.0
using System.Text.Json;
using KeyCustody.Testing;
using Xunit;

namespace KeyCustody.Grpc.Tests.Infrastructure;

/// <summary>
/// Debian's python3-grpcio as a peer: generates the echo and health stubs with grpc_tools.protoc into a private
/// temp folder (once per test class), then runs python_peer.py.
/// </summary>
public sealed class PythonPeer : IAsyncLifetime
{
    private readonly TempDirectory _stubs = new("keycustody-grpc-pystubs");

    public string StubsDirectory => _stubs.Path;

    public static IReadOnlyDictionary<string, string> Environment { get; } = new Dictionary<string, string>
    {
        ["PYTHONUTF8"] = "1",
        ["PYTHONDONTWRITEBYTECODE"] = "1",
        // Keep the peer off any proxy configured on the machine.
        ["no_proxy"] = "*",
        ["NO_PROXY"] = "*",
        ["http_proxy"] = string.Empty,
        ["https_proxy"] = string.Empty,
        ["grpc_proxy"] = string.Empty,
    };

    public async Task InitializeAsync()
    {
        // health.proto is copied to a neutral path: generating it as grpc/health/v1/... would shadow the grpc package.
        File.Copy(InteropPaths.HealthProto, _stubs.File("health.proto"));
        File.Copy(InteropPaths.File("echo.proto"), _stubs.File("echo.proto"));
        await ProcessRunner.RunAsync(InteropPaths.Python,
            ["-m", "grpc_tools.protoc", "-I", _stubs.Path, "--python_out=" + _stubs.Path, "--grpc_python_out=" + _stubs.Path,
             _stubs.File("echo.proto"), _stubs.File("health.proto")],
            Environment).ContinueWith(t => t.Result.EnsureSuccess("grpc_tools.protoc"));
    }

    /// <summary>Runs one client scenario and returns its JSON result.</summary>
    public async Task<JsonElement> RunClientAsync(string target, string scenario, TestPki? tlsWithClientCert = null, params string[] extra)
    {
        var arguments = new List<string>
        {
            InteropPaths.File("python_peer.py"), "client", "--stubs", _stubs.Path, "--target", target, "--scenario", scenario,
        };
        if (tlsWithClientCert is not null)
        {
            arguments.AddRange(["--ca", tlsWithClientCert.CaPem, "--cert", tlsWithClientCert.ClientCertPem, "--key", tlsWithClientCert.ClientKeyPem]);
        }

        arguments.AddRange(extra);
        ProcessResult result = (await ProcessRunner.RunAsync(InteropPaths.Python, arguments, Environment, timeout: TimeSpan.FromMinutes(2)))
            .EnsureSuccess("python_peer.py client " + scenario);
        string line = result.StandardOutput.Trim().Split('\n').Last();
        return JsonDocument.Parse(line).RootElement.Clone();
    }

    public Task DisposeAsync()
    {
        _stubs.Dispose();
        return Task.CompletedTask;
    }
}
