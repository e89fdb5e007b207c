// SPDX-License-Identifier: Apache-2.0
using System.Text;
using Google.Protobuf;
using KeyCustody.Grpc.Client;
using KeyCustody.Grpc.Health;
using KeyCustody.Grpc.Tests.Echo;
using KeyCustody.Grpc.Tests.Infrastructure;
using Xunit;
using ServingStatus = KeyCustody.Grpc.Health.V1.HealthCheckResponse.Types.ServingStatus;

namespace KeyCustody.Grpc.Tests;

/// <summary>Our client against our server, over every transport.</summary>
public sealed class ClientServerTests(TestGrpcServer server) : IClassFixture<TestGrpcServer>
{
    private static readonly TimeSpan s_generous = TimeSpan.FromSeconds(60);

    public static TheoryData<string> Transports => ["h2c", "tls", "mtls", "unix"];

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task Unary_Success_ReturnsResponseAndMetadata(string transport)
    {
        // Arrange
        using GrpcChannel channel = server.CreateChannel(transport);
        var headers = new Metadata().Add("x-echo-header", "hello header").Add("x-echo-bin", new byte[] { 0, 1, 0xfe, 0xff });

        // Act
        UnaryResult<EchoResponse> result = await channel.UnaryCallAsync(
            EchoTestService.EchoMethod, new EchoRequest { Text = "ping", TrailerValue = "t-value" }, EchoResponse.Parser,
            CallOptions.WithTimeout(s_generous, headers));

        // Assert
        Assert.Equal("ping", result.Response.Text);
        Assert.Equal("hello header", result.Response.HeaderValue);
        Assert.Equal("0001feff", result.Response.HeaderBinHex);
        Assert.Equal("t-value", result.Trailers.GetValue("x-echo-trailer"));
        Assert.Equal("t-value"u8.ToArray(), result.Trailers.GetValueBytes("x-echo-trailer-bin"));
        Assert.Equal(transport switch { "tls" or "mtls" => "Tls", "unix" => "UnixSocket", _ => "Tcp" }, result.Response.Transport);
    }

    [Theory]
    [InlineData("unix:")]
    [InlineData("unix://")]
    [InlineData("")]
    public async Task Unary_UnixSocketAddressForms_AllConnect(string prefix)
    {
        // Arrange
        using var channel = GrpcChannel.ForAddress(prefix + server.UnixSocketPath);

        // Act
        EchoResponse response = await channel.UnaryAsync(EchoTestService.EchoMethod, new EchoRequest { Text = "unix" }, EchoResponse.Parser,
            CallOptions.WithTimeout(s_generous));

        // Assert
        Assert.Equal("UnixSocket", response.Transport);
        Assert.Equal("unix:" + server.UnixSocketPath, response.Peer);
    }

    [Fact]
    public async Task Unary_MutualTls_ExposesCallerIdentity()
    {
        // Arrange
        using GrpcChannel channel = server.CreateChannel("mtls");

        // Act
        EchoResponse response = await channel.UnaryAsync(EchoTestService.EchoMethod, new EchoRequest { Text = "who" }, EchoResponse.Parser,
            CallOptions.WithTimeout(s_generous));

        // Assert
        Assert.Equal(TestPki.ClientSubject, response.CallerSubject);
        Assert.Equal(TestPki.ClientUri, response.CallerUris);
        Assert.StartsWith("ipv4:127.0.0.1:", response.Peer);
    }

    [Fact]
    public async Task Unary_TlsWithoutClientCertificate_HasNoCaller()
    {
        // Arrange
        using GrpcChannel channel = server.CreateChannel("tls");

        // Act
        EchoResponse response = await channel.UnaryAsync(EchoTestService.EchoMethod, new EchoRequest { Text = "anon" }, EchoResponse.Parser,
            CallOptions.WithTimeout(s_generous));

        // Assert
        Assert.Equal(string.Empty, response.CallerSubject);
    }

    [Fact]
    public async Task Unary_RequiredClientCertificateMissing_FailsUnavailable()
    {
        // Arrange
        using var channel = GrpcChannel.ForAddress(server.MutualTlsAddress, new GrpcChannelOptions { TrustedCertificateAuthorities = [server.Pki.Ca] });

        // Act
        var error = await Assert.ThrowsAsync<RpcException>(() => channel.UnaryAsync(
            EchoTestService.EchoMethod, new EchoRequest { Text = "x" }, EchoResponse.Parser, CallOptions.WithTimeout(s_generous)));

        // Assert
        Assert.Equal(StatusCode.Unavailable, error.StatusCode);
    }

    [Fact]
    public async Task Unary_ClientCertificateFromUntrustedCa_HasNoCaller()
    {
        // Arrange: optional client certificates; an untrusted one must not identify the caller (services then
        // answer UNAUTHENTICATED themselves), and the rejection is logged.
        using var channel = GrpcChannel.ForAddress(server.TlsAddress, new GrpcChannelOptions
        {
            TrustedCertificateAuthorities = [server.Pki.Ca],
            ClientCertificate = server.Pki.UntrustedClient,
        });

        // Act
        EchoResponse response = await channel.UnaryAsync(
            EchoTestService.EchoMethod, new EchoRequest { Text = "x" }, EchoResponse.Parser, CallOptions.WithTimeout(s_generous));

        // Assert
        Assert.Equal(string.Empty, response.CallerSubject);
        Assert.Contains(server.Logs.Lines, l => l.Contains("Rejected a TLS client certificate CN=intruder", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Unary_PinnedServerCertificate_Connects()
    {
        // Arrange
        using var channel = GrpcChannel.ForAddress(server.TlsAddress, new GrpcChannelOptions { PinnedServerCertificate = server.Pki.Server });

        // Act
        EchoResponse response = await channel.UnaryAsync(EchoTestService.EchoMethod, new EchoRequest { Text = "pinned" }, EchoResponse.Parser,
            CallOptions.WithTimeout(s_generous));

        // Assert
        Assert.Equal("pinned", response.Text);
    }

    [Fact]
    public async Task Unary_WrongPinnedCertificate_FailsUnavailable()
    {
        // Arrange
        using var channel = GrpcChannel.ForAddress(server.TlsAddress, new GrpcChannelOptions { PinnedServerCertificate = server.Pki.Client });

        // Act
        var error = await Assert.ThrowsAsync<RpcException>(() => channel.UnaryAsync(
            EchoTestService.EchoMethod, new EchoRequest(), EchoResponse.Parser, CallOptions.WithTimeout(s_generous)));

        // Assert
        Assert.Equal(StatusCode.Unavailable, error.StatusCode);
        Assert.Contains("TLS", error.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Unary_ServerCertificateFromOtherCa_FailsUnavailable()
    {
        // Arrange
        using var channel = GrpcChannel.ForAddress(server.TlsAddress, new GrpcChannelOptions { TrustedCertificateAuthorities = [server.Pki.OtherCa] });

        // Act
        var error = await Assert.ThrowsAsync<RpcException>(() => channel.UnaryAsync(
            EchoTestService.EchoMethod, new EchoRequest(), EchoResponse.Parser, CallOptions.WithTimeout(s_generous)));

        // Assert
        Assert.Equal(StatusCode.Unavailable, error.StatusCode);
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task Unary_ErrorWithNonAsciiMessage_ClientSeesDecodedText(string transport)
    {
        // Arrange
        using GrpcChannel channel = server.CreateChannel(transport);
        const string Message = "Schlüssel 'release' ist gesperrt: 100% sicher ✓ 鍵 \t tab";

        // Act
        var error = await Assert.ThrowsAsync<RpcException>(() => channel.UnaryAsync(EchoTestService.EchoMethod,
            new EchoRequest { FailCode = (int)StatusCode.PermissionDenied, FailMessage = Message, TrailerValue = "why" }, EchoResponse.Parser,
            CallOptions.WithTimeout(s_generous)));

        // Assert
        Assert.Equal(StatusCode.PermissionDenied, error.StatusCode);
        Assert.Equal(Message, error.Detail);
        Assert.Equal("why", error.Trailers.GetValue("x-error-trailer"));
        Assert.Equal("why", error.Trailers.GetValue("x-echo-trailer"));
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task Unary_DeadlineExceeded_FailsAndHandlerIsCancelled(string transport)
    {
        // Arrange
        using GrpcChannel channel = server.CreateChannel(transport);
        await channel.UnaryAsync(EchoTestService.EchoMethod, new EchoRequest { Text = "warm-up" }, EchoResponse.Parser, CallOptions.WithTimeout(s_generous));
        server.Echo.ResetSignals();

        // Act
        var error = await Assert.ThrowsAsync<RpcException>(() => channel.UnaryAsync(EchoTestService.EchoMethod,
            new EchoRequest { WaitForCancellation = true }, EchoResponse.Parser, CallOptions.WithTimeout(TimeSpan.FromSeconds(1))));

        // Assert
        Assert.Equal(StatusCode.DeadlineExceeded, error.StatusCode);
        if (server.Echo.HandlerWaiting.IsCompleted)
        {
            // On a very loaded machine the client's deadline can pass before the request reaches the handler;
            // RawWireTests covers the server-side deadline without a client timer.
            Assert.True(await server.Echo.HandlerCancelled.WaitAsync(s_generous));
        }
    }

    [Fact]
    public async Task Unary_CallerCancels_FailsCancelledAndHandlerIsCancelled()
    {
        // Arrange
        using GrpcChannel channel = server.CreateChannel("h2c");
        server.Echo.ResetSignals();
        using var cts = new CancellationTokenSource();
        Task<EchoResponse> call = channel.UnaryAsync(EchoTestService.EchoMethod, new EchoRequest { WaitForCancellation = true }, EchoResponse.Parser,
            new CallOptions { CancellationToken = cts.Token });

        // Act
        await server.Echo.HandlerWaiting.WaitAsync(s_generous);
        cts.Cancel();
        var error = await Assert.ThrowsAsync<RpcException>(() => call);
        bool handlerCancelled = await server.Echo.HandlerCancelled.WaitAsync(s_generous);

        // Assert
        Assert.Equal(StatusCode.Cancelled, error.StatusCode);
        Assert.True(handlerCancelled);
    }

    [Fact]
    public async Task Unary_ExpiredDeadline_FailsWithoutSending()
    {
        // Arrange
        using GrpcChannel channel = server.CreateChannel("h2c");

        // Act
        var error = await Assert.ThrowsAsync<RpcException>(() => channel.UnaryAsync(EchoTestService.EchoMethod,
            new EchoRequest(), EchoResponse.Parser, new CallOptions { Deadline = DateTimeOffset.UtcNow.AddSeconds(-1) }));

        // Assert
        Assert.Equal(StatusCode.DeadlineExceeded, error.StatusCode);
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task ServerStreaming_Count_ReceivesAllInOrder(string transport)
    {
        // Arrange
        using GrpcChannel channel = server.CreateChannel(transport);
        var received = new List<int>();

        // Act
        ServerStreamingCall<EchoResponse> call = channel.ServerStreamingAsync(EchoTestService.EchoStreamMethod,
            new EchoRequest { Text = "s", Count = 25, TrailerValue = "done" }, EchoResponse.Parser, CallOptions.WithTimeout(s_generous));
        await foreach (EchoResponse response in call)
        {
            received.Add(response.Index);
        }

        // Assert
        Assert.Equal(Enumerable.Range(0, 25), received);
        Assert.Equal("done", call.Trailers?.GetValue("x-echo-trailer"));
    }

    [Fact]
    public async Task ServerStreaming_ErrorAfterMessages_DeliversMessagesThenThrows()
    {
        // Arrange
        using GrpcChannel channel = server.CreateChannel("h2c");
        var received = new List<int>();

        // Act
        var error = await Assert.ThrowsAsync<RpcException>(async () =>
        {
            await foreach (EchoResponse response in channel.ServerStreamingAsync(EchoTestService.EchoStreamMethod,
                new EchoRequest { Count = 3, FailCode = (int)StatusCode.Aborted, FailMessage = "stopped — später" }, EchoResponse.Parser,
                CallOptions.WithTimeout(s_generous)))
            {
                received.Add(response.Index);
            }
        });

        // Assert
        Assert.Equal([0, 1, 2], received);
        Assert.Equal(StatusCode.Aborted, error.StatusCode);
        Assert.Equal("stopped — später", error.Detail);
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task ServerStreaming_HandlerIgnoresDeadline_NoWriteSucceedsAfterIt(string transport)
    {
        // Arrange
        using GrpcChannel channel = server.CreateChannel(transport);
        await channel.UnaryAsync(EchoTestService.EchoMethod, new EchoRequest { Text = "warm-up" }, EchoResponse.Parser, CallOptions.WithTimeout(s_generous));
        server.Echo.ResetSignals();

        // Act
        var error = await Assert.ThrowsAsync<RpcException>(async () =>
        {
            await foreach (EchoResponse _ in channel.ServerStreamingAsync(EchoTestService.EchoStreamMethod,
                new EchoRequest { StreamUntilWriteFails = true, ResponsePadding = 512 }, EchoResponse.Parser,
                CallOptions.WithTimeout(TimeSpan.FromSeconds(1))))
            {
            }
        });

        // Assert
        Assert.Equal(StatusCode.DeadlineExceeded, error.StatusCode);
        if (server.Echo.StreamStarted.IsCompleted)
        {
            // The client resets the stream at its own deadline, which can reach the server just before the server's
            // timer fires; either way the handler's writes stop. (On a very loaded machine the request may not
            // reach the handler before the client gives up; RawWireTests checks the server-side deadline alone.)
            StatusCode writeStatus = await server.Echo.WriteFailed.WaitAsync(s_generous);
            Assert.Contains(writeStatus, new[] { StatusCode.DeadlineExceeded, StatusCode.Cancelled });
            Assert.Equal(0, server.Echo.WritesAfterCallEnded);
        }
    }

    [Fact]
    public async Task ServerStreaming_BreakEarly_CancelsServerSide()
    {
        // Arrange
        using GrpcChannel channel = server.CreateChannel("h2c");
        server.Echo.ResetSignals();

        // Act
        await foreach (EchoResponse _ in channel.ServerStreamingAsync(EchoTestService.EchoStreamMethod,
            new EchoRequest { StreamUntilWriteFails = true }, EchoResponse.Parser, CallOptions.WithTimeout(s_generous)))
        {
            break;
        }

        StatusCode writeStatus = await server.Echo.WriteFailed.WaitAsync(s_generous);

        // Assert
        Assert.Equal(StatusCode.Cancelled, writeStatus);
    }

    [Fact]
    public async Task Unary_UnhandledException_InternalWithGenericMessageAndDetailOnlyInLog()
    {
        // Arrange
        using GrpcChannel channel = server.CreateChannel("h2c");

        // Act
        var error = await Assert.ThrowsAsync<RpcException>(() => channel.UnaryAsync(EchoTestService.EchoMethod,
            new EchoRequest { ThrowUnhandled = true }, EchoResponse.Parser, CallOptions.WithTimeout(s_generous)));

        // Assert
        Assert.Equal(StatusCode.Internal, error.StatusCode);
        Assert.DoesNotContain(EchoTestService.SecretExceptionText, error.Detail, StringComparison.Ordinal);
        Assert.Contains(server.Logs.Lines, l => l.Contains(EchoTestService.SecretExceptionText, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Unary_UnknownMethod_Unimplemented()
    {
        // Arrange
        using GrpcChannel channel = server.CreateChannel("h2c");

        // Act
        var error = await Assert.ThrowsAsync<RpcException>(() => channel.UnaryAsync("/keycustody.test.v1.EchoService/Nope",
            new EchoRequest(), EchoResponse.Parser, CallOptions.WithTimeout(s_generous)));

        // Assert
        Assert.Equal(StatusCode.Unimplemented, error.StatusCode);
    }

    [Fact]
    public async Task Unary_RequestOverServerLimit_ResourceExhausted()
    {
        // Arrange
        using GrpcChannel channel = server.CreateChannel("h2c");
        var request = new EchoRequest { Payload = ByteString.CopyFrom(new byte[TestGrpcServer.MaxMessageSize + 1]) };

        // Act
        var error = await Assert.ThrowsAsync<RpcException>(() => channel.UnaryAsync(EchoTestService.EchoMethod, request, EchoResponse.Parser,
            CallOptions.WithTimeout(s_generous)));
        EchoResponse after = await channel.UnaryAsync(EchoTestService.EchoMethod, new EchoRequest { Text = "after" }, EchoResponse.Parser,
            CallOptions.WithTimeout(s_generous));

        // Assert
        Assert.Equal(StatusCode.ResourceExhausted, error.StatusCode);
        Assert.Equal("after", after.Text);
    }

    [Fact]
    public async Task Unary_ResponseOverServerSendLimit_ResourceExhausted()
    {
        // Arrange
        using GrpcChannel channel = server.CreateChannel("h2c");

        // Act
        var error = await Assert.ThrowsAsync<RpcException>(() => channel.UnaryAsync(EchoTestService.EchoMethod,
            new EchoRequest { ResponsePadding = TestGrpcServer.MaxMessageSize + 1 }, EchoResponse.Parser, CallOptions.WithTimeout(s_generous)));

        // Assert
        Assert.Equal(StatusCode.ResourceExhausted, error.StatusCode);
    }

    [Fact]
    public async Task Unary_ResponseOverClientReceiveLimit_ResourceExhausted()
    {
        // Arrange
        using GrpcChannel channel = server.CreateChannel("h2c", new GrpcChannelOptions { MaxReceiveMessageSize = 1000 });

        // Act
        var error = await Assert.ThrowsAsync<RpcException>(() => channel.UnaryAsync(EchoTestService.EchoMethod,
            new EchoRequest { ResponsePadding = 2000 }, EchoResponse.Parser, CallOptions.WithTimeout(s_generous)));

        // Assert
        Assert.Equal(StatusCode.ResourceExhausted, error.StatusCode);
    }

    [Fact]
    public async Task Unary_RequestOverClientSendLimit_ResourceExhaustedBeforeSending()
    {
        // Arrange
        using GrpcChannel channel = server.CreateChannel("h2c", new GrpcChannelOptions { MaxSendMessageSize = 100 });

        // Act
        var error = await Assert.ThrowsAsync<RpcException>(() => channel.UnaryAsync(EchoTestService.EchoMethod,
            new EchoRequest { Payload = ByteString.CopyFrom(new byte[200]) }, EchoResponse.Parser, CallOptions.WithTimeout(s_generous)));

        // Assert
        Assert.Equal(StatusCode.ResourceExhausted, error.StatusCode);
    }

    [Theory]
    [InlineData("h2c")]
    [InlineData("mtls")]
    public async Task Unary_GzipRequest_IsDecompressed(string transport)
    {
        // Arrange
        using GrpcChannel channel = server.CreateChannel(transport, new GrpcChannelOptions { CompressRequests = true });
        byte[] payload = Encoding.ASCII.GetBytes(new string('z', 20_000));

        // Act
        EchoResponse response = await channel.UnaryAsync(EchoTestService.EchoMethod,
            new EchoRequest { Text = "gz", Payload = ByteString.CopyFrom(payload) }, EchoResponse.Parser, CallOptions.WithTimeout(s_generous));

        // Assert
        Assert.Equal("gz", response.Text);
        Assert.Equal(20_000, response.PayloadSize);
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task HealthCheck_Overall_Serving(string transport)
    {
        // Arrange
        using GrpcChannel channel = server.CreateChannel(transport);
        var health = new HealthClient(channel);

        // Act
        ServingStatus status = await health.CheckAsync(string.Empty, CallOptions.WithTimeout(s_generous));

        // Assert
        Assert.Equal(ServingStatus.Serving, status);
    }

    [Fact]
    public async Task HealthCheck_UnknownService_NotFound()
    {
        // Arrange
        using GrpcChannel channel = server.CreateChannel("h2c");
        var health = new HealthClient(channel);

        // Act
        var error = await Assert.ThrowsAsync<RpcException>(() => health.CheckAsync("no.such.Service", CallOptions.WithTimeout(s_generous)));

        // Assert
        Assert.Equal(StatusCode.NotFound, error.StatusCode);
    }

    [Fact]
    public async Task HealthWatch_StatusChanges_AreStreamed()
    {
        // Arrange
        using GrpcChannel channel = server.CreateChannel("h2c");
        var health = new HealthClient(channel);
        const string Service = "keycustody.test.v1.Watched";
        server.Health.SetStatus(Service, ServingStatus.NotServing);
        using var cts = new CancellationTokenSource(s_generous);
        var seen = new List<ServingStatus>();

        // Act
        await foreach (ServingStatus status in health.WatchAsync(Service, default, cts.Token))
        {
            seen.Add(status);
            if (seen.Count == 1)
            {
                server.Health.SetStatus(Service, ServingStatus.Serving);
            }
            else if (seen.Count == 2)
            {
                server.Health.ClearStatus(Service);
            }
            else
            {
                break;
            }
        }

        // Assert
        Assert.Equal([ServingStatus.NotServing, ServingStatus.Serving, ServingStatus.ServiceUnknown], seen);
    }
}
