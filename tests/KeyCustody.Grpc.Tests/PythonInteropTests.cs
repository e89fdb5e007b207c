// SPDX-License-Identifier: Apache-2.0
using System.Text.Json;
using KeyCustody.Grpc.Tests.Infrastructure;
using Xunit;

namespace KeyCustody.Grpc.Tests;

/// <summary>Debian's python3-grpcio (C-core) calling our server over h2c and over TLS with a client certificate.</summary>
public sealed class PythonInteropTests(TestGrpcServer server, PythonPeer python) : IClassFixture<TestGrpcServer>, IClassFixture<PythonPeer>
{
    private const string NonAsciiMessage = "Freigabe verweigert: Schlüssel ‘release’ – 100% gesperrt ✓ 鍵";

    public static TheoryData<bool> Tls => [false, true];

    [Theory]
    [MemberData(nameof(Tls))]
    public async Task Unary_Success_PythonGetsResponseMetadataAndTrailers(bool tls)
    {
        // Arrange / Act
        JsonElement result = await RunAsync("unary", tls);

        // Assert
        Assert.True(result.GetProperty("ok").GetBoolean(), result.ToString());
        Assert.Equal("from python", result.GetProperty("text").GetString());
        Assert.Equal("py-header", result.GetProperty("header").GetString());
        Assert.Equal("0001feff", result.GetProperty("header_bin").GetString());
        Assert.Equal("py-trailer", result.GetProperty("trailers").GetProperty("x-echo-trailer").GetString());
        Assert.Equal("70792d747261696c6572", result.GetProperty("trailers").GetProperty("x-echo-trailer-bin").GetString());
        Assert.Equal(tls ? TestPki.ClientSubject : string.Empty, result.GetProperty("caller").GetString());
        Assert.Equal(tls ? TestPki.ClientUri : string.Empty, result.GetProperty("caller_uris").GetString());
        Assert.Equal(tls ? "Tls" : "Tcp", result.GetProperty("transport").GetString());
    }

    [Fact]
    public async Task Unary_OverUnixSocket_PythonGetsResponse()
    {
        // Arrange / Act
        JsonElement result = await python.RunClientAsync("unix:" + server.UnixSocketPath, "unary");

        // Assert
        Assert.True(result.GetProperty("ok").GetBoolean(), result.ToString());
        Assert.Equal("from python", result.GetProperty("text").GetString());
        Assert.Equal("UnixSocket", result.GetProperty("transport").GetString());
    }

    [Theory]
    [MemberData(nameof(Tls))]
    public async Task Unary_ErrorWithNonAsciiMessage_PythonSeesDecodedText(bool tls)
    {
        // Arrange / Act
        JsonElement result = await RunAsync("error", tls, "--code", "9", "--message", NonAsciiMessage);

        // Assert
        Assert.Equal("FAILED_PRECONDITION", result.GetProperty("code").GetString());
        Assert.Equal(NonAsciiMessage, result.GetProperty("details").GetString());
    }

    [Theory]
    [MemberData(nameof(Tls))]
    public async Task Unary_Deadline_PythonGetsDeadlineExceeded(bool tls)
    {
        // Arrange / Act
        JsonElement result = await RunAsync("deadline", tls, "--timeout", "0.5");

        // Assert
        Assert.Equal("DEADLINE_EXCEEDED", result.GetProperty("code").GetString());
    }

    [Theory]
    [MemberData(nameof(Tls))]
    public async Task ServerStreaming_Count_PythonReceivesAllInOrder(bool tls)
    {
        // Arrange / Act
        JsonElement result = await RunAsync("stream", tls, "--count", "40");

        // Assert
        Assert.True(result.GetProperty("ok").GetBoolean(), result.ToString());
        Assert.Equal(Enumerable.Range(0, 40), result.GetProperty("indexes").EnumerateArray().Select(e => e.GetInt32()));
    }

    [Theory]
    [MemberData(nameof(Tls))]
    public async Task ServerStreaming_ErrorAfterMessages_PythonGetsMessagesThenStatus(bool tls)
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
    public async Task ServerStreaming_Deadline_PythonGetsMessagesThenDeadlineExceeded(bool tls)
    {
        // Arrange / Act
        JsonElement result = await RunAsync("stream-deadline", tls, "--count", "2", "--timeout", "3.0");

        // Assert
        Assert.Equal("DEADLINE_EXCEEDED", result.GetProperty("code").GetString());
        Assert.Equal([0, 1], result.GetProperty("indexes").EnumerateArray().Select(e => e.GetInt32()));
    }

    [Theory]
    [MemberData(nameof(Tls))]
    public async Task HealthCheck_Python_Serving(bool tls)
    {
        // Arrange / Act
        JsonElement result = await RunAsync("health", tls);

        // Assert
        Assert.Equal("SERVING", result.GetProperty("status").GetString());
    }

    [Fact]
    public async Task HealthWatch_Python_FirstUpdateIsServing()
    {
        // Arrange / Act
        JsonElement result = await RunAsync("health-watch", tls: false);

        // Assert
        Assert.Equal("SERVING", result.GetProperty("status").GetString());
    }

    [Fact]
    public async Task UnknownMethod_Python_Unimplemented()
    {
        // Arrange / Act
        JsonElement result = await RunAsync("unimplemented", tls: false);

        // Assert
        Assert.Equal("UNIMPLEMENTED", result.GetProperty("code").GetString());
    }

    [Theory]
    [MemberData(nameof(Tls))]
    public async Task GzipRequest_Python_IsAccepted(bool tls)
    {
        // Arrange / Act
        JsonElement result = await RunAsync("gzip", tls);

        // Assert
        Assert.True(result.GetProperty("ok").GetBoolean(), result.ToString());
        Assert.Equal(20000, result.GetProperty("payload_size").GetInt32());
    }

    [Fact]
    public async Task UnhandledException_Python_InternalWithGenericText()
    {
        // Arrange / Act
        JsonElement result = await RunAsync("unhandled", tls: false);

        // Assert
        Assert.Equal("INTERNAL", result.GetProperty("code").GetString());
        Assert.DoesNotContain(EchoTestService.SecretExceptionText, result.GetProperty("details").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task OversizeRequest_Python_ResourceExhausted()
    {
        // Arrange / Act
        JsonElement result = await RunAsync("oversize", tls: false, "--count", (TestGrpcServer.MaxMessageSize * 2).ToString(System.Globalization.CultureInfo.InvariantCulture));

        // Assert
        Assert.Equal("RESOURCE_EXHAUSTED", result.GetProperty("code").GetString());
    }

    private Task<JsonElement> RunAsync(string scenario, bool tls, params string[] extra) =>
        python.RunClientAsync($"127.0.0.1:{(tls ? server.MutualTlsPort : server.H2cPort)}", scenario, tls ? server.Pki : null, extra);
}
