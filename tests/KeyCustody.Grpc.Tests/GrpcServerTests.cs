// SPDX-License-Identifier: Apache-2.0
using System.Net;
using KeyCustody.Grpc.Client;
using KeyCustody.Grpc.Health;
using KeyCustody.Grpc.Tests.Echo;
using KeyCustody.Grpc.Tests.Infrastructure;
using KeyCustody.Testing;
using Microsoft.Extensions.Logging;
using Xunit;
using ServingStatus = KeyCustody.Grpc.Health.V1.HealthCheckResponse.Types.ServingStatus;

namespace KeyCustody.Grpc.Tests;

/// <summary>Server configuration and lifecycle: start checks, bound ports, shutdown, logging hygiene.</summary>
public sealed class GrpcServerTests
{
    private static readonly TimeSpan s_generous = TimeSpan.FromSeconds(60);

    [Theory]
    [InlineData("0.0.0.0")]
    [InlineData("::")]
    [InlineData("192.0.2.10")]
    public async Task StartAsync_PlaintextOnNonLoopback_RefusesWithClearError(string address)
    {
        // Arrange
        var options = new GrpcServerOptions();
        options.Endpoints.Add(GrpcEndpoint.Tcp(new IPEndPoint(IPAddress.Parse(address), 0)));
        await using var server = new GrpcServer(options, new GrpcServiceRegistry());

        // Act
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => server.StartAsync());

        // Assert
        Assert.Contains("plaintext", error.Message, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("loopback", error.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task StartAsync_ClientCertificatesWithoutTrustedCa_Refuses()
    {
        // Arrange
        using var pki = new TestPki();
        var options = new GrpcServerOptions();
        options.Endpoints.Add(GrpcEndpoint.Tcp(new IPEndPoint(IPAddress.Loopback, 0),
            new GrpcTlsOptions(pki.Server) { ClientCertificateMode = GrpcClientCertificateMode.Required }));
        await using var server = new GrpcServer(options, new GrpcServiceRegistry());

        // Act
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => server.StartAsync());

        // Assert
        Assert.Contains("TrustedClientCertificateAuthorities", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StartAsync_NoEndpoints_Refuses()
    {
        // Arrange
        await using var server = new GrpcServer(new GrpcServerOptions(), new GrpcServiceRegistry());

        // Act / Assert
        await Assert.ThrowsAsync<InvalidOperationException>(() => server.StartAsync());
    }

    [Fact]
    public void GrpcTlsOptions_CertificateWithoutPrivateKey_Throws()
    {
        // Arrange
        using var pki = new TestPki();

        // Act / Assert
        Assert.Throws<ArgumentException>(() => new GrpcTlsOptions(System.Security.Cryptography.X509Certificates.X509CertificateLoader.LoadCertificate(pki.Server.RawData)));
    }

    [Fact]
    public async Task StartAsync_PortZero_ReportsBoundPortsAndServesOnThem()
    {
        // Arrange
        var registry = new GrpcServiceRegistry();
        new HealthService().AddTo(registry);
        var options = new GrpcServerOptions();
        options.Endpoints.Add(GrpcEndpoint.Tcp(new IPEndPoint(IPAddress.Loopback, 0)));
        options.Endpoints.Add(GrpcEndpoint.Tcp(new IPEndPoint(IPAddress.IPv6Loopback, 0)));
        await using var server = new GrpcServer(options, registry);

        // Act
        await server.StartAsync();
        var statuses = new List<ServingStatus>();
        foreach (GrpcBoundEndpoint bound in server.BoundEndpoints)
        {
            using var channel = GrpcChannel.ForAddress(bound.Address);
            statuses.Add(await new HealthClient(channel).CheckAsync(string.Empty, CallOptions.WithTimeout(s_generous)));
        }

        // Assert
        Assert.Equal(2, server.BoundEndpoints.Count);
        Assert.All(server.BoundEndpoints, b => Assert.NotEqual(0, b.Port));
        Assert.StartsWith("http://[::1]:", server.BoundEndpoints[1].Address, StringComparison.Ordinal);
        Assert.Equal([ServingStatus.Serving, ServingStatus.Serving], statuses);
    }

    [Fact]
    public async Task StartAsync_StaleSocketFile_IsReplaced()
    {
        // Arrange
        using var dir = new TempDirectory("keycustody-grpc-stale");
        string path = dir.File("stale.sock");
        await ProcessRunner.RunAsync(InteropPaths.Python, "-c",
            $"import socket; s = socket.socket(socket.AF_UNIX); s.bind({System.Text.Json.JsonSerializer.Serialize(path)}); s.close()")
            .ContinueWith(t => t.Result.EnsureSuccess("python3 bind"));
        var registry = new GrpcServiceRegistry();
        new HealthService().AddTo(registry);
        var options = new GrpcServerOptions();
        options.Endpoints.Add(GrpcEndpoint.UnixSocket(path));
        await using var server = new GrpcServer(options, registry);

        // Act
        await server.StartAsync();
        using var channel = GrpcChannel.ForAddress("unix:" + path);
        ServingStatus status = await new HealthClient(channel).CheckAsync(string.Empty, CallOptions.WithTimeout(s_generous));

        // Assert
        Assert.Equal(ServingStatus.Serving, status);
    }

    [Fact]
    public async Task StartAsync_RegularFileAtSocketPath_RefusesAndKeepsFile()
    {
        // Arrange
        using var dir = new TempDirectory("keycustody-grpc-regular");
        string path = dir.File("data.sock");
        File.WriteAllText(path, "precious");
        var options = new GrpcServerOptions();
        options.Endpoints.Add(GrpcEndpoint.UnixSocket(path));
        await using var server = new GrpcServer(options, new GrpcServiceRegistry());

        // Act
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => server.StartAsync());

        // Assert
        Assert.Contains("not a socket", error.Message, StringComparison.Ordinal);
        Assert.Equal("precious", File.ReadAllText(path));
    }

    [Fact]
    public async Task StartAsync_SocketServedByAnotherProcess_Refuses()
    {
        // Arrange
        using var dir = new TempDirectory("keycustody-grpc-inuse");
        string path = dir.File("busy.sock");
        using var other = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.Unix, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Unspecified);
        other.Bind(new System.Net.Sockets.UnixDomainSocketEndPoint(path));
        other.Listen();
        var options = new GrpcServerOptions();
        options.Endpoints.Add(GrpcEndpoint.UnixSocket(path));
        await using var server = new GrpcServer(options, new GrpcServiceRegistry());

        // Act
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => server.StartAsync());

        // Assert
        Assert.Contains("already serving", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StartAsync_Twice_Throws()
    {
        // Arrange
        var options = new GrpcServerOptions();
        options.Endpoints.Add(GrpcEndpoint.Tcp(new IPEndPoint(IPAddress.Loopback, 0)));
        await using var server = new GrpcServer(options, new GrpcServiceRegistry());
        await server.StartAsync();

        // Act / Assert
        await Assert.ThrowsAsync<InvalidOperationException>(() => server.StartAsync());
    }

    [Fact]
    public async Task Registry_AddAfterStart_Throws()
    {
        // Arrange
        var registry = new GrpcServiceRegistry();
        var options = new GrpcServerOptions();
        options.Endpoints.Add(GrpcEndpoint.Tcp(new IPEndPoint(IPAddress.Loopback, 0)));
        await using var server = new GrpcServer(options, registry);
        await server.StartAsync();

        // Act / Assert
        Assert.Throws<InvalidOperationException>(() => new HealthService().AddTo(registry));
    }

    [Theory]
    [InlineData("noslash")]
    [InlineData("/OnlyService")]
    [InlineData("/a/b/c")]
    [InlineData("//Method")]
    [InlineData("/Service/")]
    public void Registry_InvalidMethodName_Throws(string name)
    {
        // Arrange
        var registry = new GrpcServiceRegistry();

        // Act / Assert
        Assert.Throws<ArgumentException>(() => registry.AddUnary<EchoRequest, EchoResponse>(
            name, EchoRequest.Parser, (r, c) => Task.FromResult(new EchoResponse())));
    }

    [Fact]
    public void Registry_DuplicateMethod_Throws()
    {
        // Arrange
        var registry = new GrpcServiceRegistry();
        registry.AddUnary<EchoRequest, EchoResponse>(EchoTestService.EchoMethod, EchoRequest.Parser, (r, c) => Task.FromResult(new EchoResponse()));

        // Act / Assert
        Assert.Throws<InvalidOperationException>(() => registry.AddUnary<EchoRequest, EchoResponse>(
            EchoTestService.EchoMethod, EchoRequest.Parser, (r, c) => Task.FromResult(new EchoResponse())));
    }

    [Fact]
    public async Task StopAsync_OpenWatchStream_EndsWithUnavailable()
    {
        // Arrange
        using var dir = new TempDirectory("keycustody-grpc-stop");
        var registry = new GrpcServiceRegistry();
        new HealthService().AddTo(registry);
        var options = new GrpcServerOptions();
        options.Endpoints.Add(GrpcEndpoint.UnixSocket(dir.File("stop.sock")));
        var server = new GrpcServer(options, registry);
        await server.StartAsync();
        using var channel = GrpcChannel.ForAddress(server.BoundEndpoints[0].Address);
        IAsyncEnumerator<ServingStatus> watch = new HealthClient(channel).WatchAsync(string.Empty, CallOptions.WithTimeout(s_generous)).GetAsyncEnumerator();
        Assert.True(await watch.MoveNextAsync());
        Assert.Equal(ServingStatus.Serving, watch.Current);

        // Act
        Task stop = server.StopAsync();
        var error = await Assert.ThrowsAsync<RpcException>(async () => await watch.MoveNextAsync());
        await stop.WaitAsync(s_generous);
        await watch.DisposeAsync();
        await server.DisposeAsync();

        // Assert
        Assert.Equal(StatusCode.Unavailable, error.StatusCode);
        Assert.Equal("The server is shutting down.", error.Detail);
        Assert.False(File.Exists(dir.File("stop.sock")));
    }

    [Fact]
    public async Task StopAsync_UnaryInFlight_FinishesNormally()
    {
        // Arrange
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var registry = new GrpcServiceRegistry();
        registry.AddUnary<EchoRequest, EchoResponse>(EchoTestService.EchoMethod, EchoRequest.Parser, async (request, context) =>
        {
            entered.TrySetResult();
            await release.Task.WaitAsync(context.CancellationToken);
            return new EchoResponse { Text = request.Text };
        });
        var options = new GrpcServerOptions { ShutdownTimeout = TimeSpan.FromSeconds(60) };
        options.Endpoints.Add(GrpcEndpoint.Tcp(new IPEndPoint(IPAddress.Loopback, 0)));
        await using var server = new GrpcServer(options, registry);
        await server.StartAsync();
        using var channel = GrpcChannel.ForAddress(server.BoundEndpoints[0].Address);
        Task<EchoResponse> call = channel.UnaryAsync(EchoTestService.EchoMethod, new EchoRequest { Text = "last one" }, EchoResponse.Parser,
            CallOptions.WithTimeout(s_generous));
        await entered.Task.WaitAsync(s_generous);

        // Act
        Task stop = server.StopAsync();
        release.SetResult();
        EchoResponse response = await call;
        await stop.WaitAsync(s_generous);

        // Assert
        Assert.Equal("last one", response.Text);
    }

    [Fact]
    public async Task StopAsync_UnaryPastShutdownTimeout_EndsWithUnavailable()
    {
        // Arrange
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var registry = new GrpcServiceRegistry();
        registry.AddUnary<EchoRequest, EchoResponse>(EchoTestService.EchoMethod, EchoRequest.Parser, async (request, context) =>
        {
            entered.TrySetResult();
            await Task.Delay(Timeout.Infinite, context.CancellationToken);
            return new EchoResponse();
        });
        var options = new GrpcServerOptions { ShutdownTimeout = TimeSpan.FromMilliseconds(200) };
        options.Endpoints.Add(GrpcEndpoint.Tcp(new IPEndPoint(IPAddress.Loopback, 0)));
        await using var server = new GrpcServer(options, registry);
        await server.StartAsync();
        using var channel = GrpcChannel.ForAddress(server.BoundEndpoints[0].Address);
        Task<EchoResponse> call = channel.UnaryAsync(EchoTestService.EchoMethod, new EchoRequest(), EchoResponse.Parser, CallOptions.WithTimeout(s_generous));
        await entered.Task.WaitAsync(s_generous);

        // Act
        Task stop = server.StopAsync();
        var error = await Assert.ThrowsAsync<RpcException>(() => call);
        await stop.WaitAsync(s_generous);

        // Assert
        Assert.Equal(StatusCode.Unavailable, error.StatusCode);
        Assert.Equal("The server is shutting down.", error.Detail);
    }

    [Fact]
    public async Task Logs_MetadataValuesAndPayloads_NeverAppear()
    {
        // Arrange
        await using var fixture = new TestGrpcServerScope();
        using GrpcChannel channel = fixture.Server.CreateChannel("h2c");
        const string Secret = "s3cr3t-pin-value-4711";
        var headers = new Metadata().Add("authorization", "Bearer " + Secret).Add("x-pin-bin", System.Text.Encoding.ASCII.GetBytes(Secret));

        // Act
        await channel.UnaryAsync(EchoTestService.EchoMethod, new EchoRequest { Text = Secret }, EchoResponse.Parser,
            CallOptions.WithTimeout(s_generous, headers));
        await Assert.ThrowsAsync<RpcException>(() => channel.UnaryAsync(EchoTestService.EchoMethod,
            new EchoRequest { Text = Secret, FailCode = 3, FailMessage = "bad request" }, EchoResponse.Parser, CallOptions.WithTimeout(s_generous, headers)));

        // Assert
        Assert.NotEmpty(fixture.Server.Logs.Lines);
        Assert.DoesNotContain(Secret, fixture.Server.Logs.AllText, StringComparison.Ordinal);
        Assert.DoesNotContain(Convert.ToBase64String(System.Text.Encoding.ASCII.GetBytes(Secret)), fixture.Server.Logs.AllText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Logs_FrameworkLevelWarning_HidesPerRequestKestrelLogs()
    {
        // Arrange
        var logs = new CapturingLoggerProvider();
        var registry = new GrpcServiceRegistry();
        new HealthService().AddTo(registry);
        var options = new GrpcServerOptions { LoggerFactory = LoggerFactory.Create(b => b.AddProvider(logs).SetMinimumLevel(LogLevel.Debug)) };
        options.Endpoints.Add(GrpcEndpoint.Tcp(new IPEndPoint(IPAddress.Loopback, 0)));
        await using var server = new GrpcServer(options, registry);
        await server.StartAsync();
        using var channel = GrpcChannel.ForAddress(server.BoundEndpoints[0].Address);

        // Act
        await Assert.ThrowsAsync<RpcException>(() => new HealthClient(channel).CheckAsync("missing", CallOptions.WithTimeout(s_generous)));

        // Assert
        Assert.Contains(logs.Lines, l => l.Contains("KeyCustody.Grpc.Server", StringComparison.Ordinal) && l.Contains("NotFound", StringComparison.Ordinal));
        Assert.DoesNotContain(logs.Lines, l => l.StartsWith("Information Microsoft.", StringComparison.Ordinal) || l.StartsWith("Debug Microsoft.", StringComparison.Ordinal));
    }

    /// <summary>A <see cref="TestGrpcServer"/> for one test.</summary>
    private sealed class TestGrpcServerScope : IAsyncDisposable
    {
        public TestGrpcServer Server { get; } = new();

        public TestGrpcServerScope() => Server.InitializeAsync().GetAwaiter().GetResult();

        public async ValueTask DisposeAsync() => await Server.DisposeAsync();
    }
}
