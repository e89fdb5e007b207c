// SPDX-License-Identifier: Apache-2.0
using System.Text.Json;
using KeyCustody.Grpc.Tests.Infrastructure;
using KeyCustody.Testing;
using Xunit;

namespace KeyCustody.Grpc.Tests;

/// <summary>Node's @grpc/grpc-js calling our server over h2c and over TLS with a client certificate.</summary>
public sealed class NodeInteropTests(TestGrpcServer server) : IClassFixture<TestGrpcServer>
{
    private const string NonAsciiMessage = "Freigabe abgelehnt – Schlüssel ‘release’: 100% ✓ 鍵";

    public static TheoryData<bool> Tls => [false, true];

    [Theory]
    [MemberData(nameof(Tls))]
    public async Task Unary_Success_NodeGetsResponseMetadataAndTrailers(bool tls)
    {
        // Arrange / Act
        JsonElement result = await RunAsync("unary", tls);

        // Assert
        Assert.True(result.GetProperty("ok").GetBoolean(), result.ToString());
        Assert.Equal("from node", result.GetProperty("text").GetString());
        Assert.Equal("node-header", result.GetProperty("header").GetString());
        Assert.Equal("0001feff", result.GetProperty("header_bin").GetString());
        Assert.Equal("node-trailer", result.GetProperty("trailers").GetProperty("x-echo-trailer").GetString());
        Assert.Equal(tls ? TestPki.ClientSubject : string.Empty, result.GetProperty("caller").GetString());
        Assert.Equal(tls ? "Tls" : "Tcp", result.GetProperty("transport").GetString());
    }

    [Theory]
    [MemberData(nameof(Tls))]
    public async Task Unary_ErrorWithNonAsciiMessage_NodeSeesDecodedText(bool tls)
    {
        // Arrange / Act
        JsonElement result = await RunAsync("error", tls, "--code", "7", "--message", NonAsciiMessage);

        // Assert
        Assert.Equal("PERMISSION_DENIED", result.GetProperty("code").GetString());
        Assert.Equal(NonAsciiMessage, result.GetProperty("details").GetString());
    }

    [Theory]
    [MemberData(nameof(Tls))]
    public async Task Unary_Deadline_NodeGetsDeadlineExceeded(bool tls)
    {
        // Arrange / Act
        JsonElement result = await RunAsync("deadline", tls, "--timeout", "0.5");

        // Assert
        Assert.Equal("DEADLINE_EXCEEDED", result.GetProperty("code").GetString());
    }

    [Theory]
    [MemberData(nameof(Tls))]
    public async Task ServerStreaming_Count_NodeReceivesAllInOrder(bool tls)
    {
        // Arrange / Act
        JsonElement result = await RunAsync("stream", tls, "--count", "40");

        // Assert
        Assert.True(result.GetProperty("ok").GetBoolean(), result.ToString());
        Assert.Equal(Enumerable.Range(0, 40), result.GetProperty("indexes").EnumerateArray().Select(e => e.GetInt32()));
    }

    [Theory]
    [MemberData(nameof(Tls))]
    public async Task ServerStreaming_ErrorAfterMessages_NodeGetsMessagesThenStatus(bool tls)
    {
        // Arrange / Act
        JsonElement result = await RunAsync("stream-error", tls, "--count", "3", "--code", "10", "--message", NonAsciiMessage);

        // Assert
        Assert.Equal("ABORTED", result.GetProperty("code").GetString());
        Assert.Equal(NonAsciiMessage, result.GetProperty("details").GetString());
        Assert.Equal([0, 1, 2], result.GetProperty("indexes").EnumerateArray().Select(e => e.GetInt32()));
    }

    [Theory]
    [MemberData(nameof(Tls))]
    public async Task ServerStreaming_Deadline_NodeGetsMessagesThenDeadlineExceeded(bool tls)
    {
        // Arrange / Act
        JsonElement result = await RunAsync("stream-deadline", tls, "--count", "2", "--timeout", "3.0");

        // Assert
        Assert.Equal("DEADLINE_EXCEEDED", result.GetProperty("code").GetString());
        Assert.Equal([0, 1], result.GetProperty("indexes").EnumerateArray().Select(e => e.GetInt32()));
    }

    [Theory]
    [MemberData(nameof(Tls))]
    public async Task HealthCheck_Node_Serving(bool tls)
    {
        // Arrange / Act
        JsonElement result = await RunAsync("health", tls);

        // Assert
        Assert.Equal("SERVING", result.GetProperty("status").GetString());
    }

    [Fact]
    public async Task UnknownMethod_Node_Unimplemented()
    {
        // Arrange / Act
        JsonElement result = await RunAsync("unimplemented", tls: false);

        // Assert
        Assert.Equal("UNIMPLEMENTED", result.GetProperty("code").GetString());
    }

    [Fact]
    public async Task UnhandledException_Node_InternalWithGenericText()
    {
        // Arrange / Act
        JsonElement result = await RunAsync("unhandled", tls: false);

        // Assert
        Assert.Equal("INTERNAL", result.GetProperty("code").GetString());
        Assert.DoesNotContain(EchoTestService.SecretExceptionText, result.GetProperty("details").GetString(), StringComparison.Ordinal);
    }

    private async Task<JsonElement> RunAsync(string scenario, bool tls, params string[] extra)
    {
        InteropPaths.RequireNodeModules();
        var arguments = new List<string>
        {
            InteropPaths.File("node_peer.js"), "--target", $"127.0.0.1:{(tls ? server.MutualTlsPort : server.H2cPort)}",
            "--proto-root", InteropPaths.ProtoRoot, "--scenario", scenario,
        };
        if (tls)
        {
            arguments.AddRange(["--ca", server.Pki.CaPem, "--cert", server.Pki.ClientCertPem, "--key", server.Pki.ClientKeyPem]);
        }

        arguments.AddRange(extra);
        var environment = new Dictionary<string, string> { ["no_proxy"] = "*", ["grpc_proxy"] = string.Empty, ["http_proxy"] = string.Empty, ["https_proxy"] = string.Empty };
        ProcessResult result = (await ProcessRunner.RunAsync("node", arguments, environment, workingDirectory: InteropPaths.Directory, timeout: TimeSpan.FromMinutes(2)))
            .EnsureSuccess("node_peer.js " + scenario);
        return JsonDocument.Parse(result.StandardOutput.Trim().Split('\n').Last()).RootElement.Clone();
    }
}
