// SPDX-License-Identifier: Apache-2.0
using KeyCustody.Grpc.Client;
using KeyCustody.Grpc.Tests.Echo;
using KeyCustody.Grpc.Tests.Infrastructure;
using Xunit;

namespace KeyCustody.Grpc.Tests;

/// <summary>Our client against a server written in python3-grpcio: plaintext and mutual TLS.</summary>
public sealed class PythonServerInteropTests(PythonGrpcServer python) : IClassFixture<PythonGrpcServer>
{
    private static readonly TimeSpan s_generous = TimeSpan.FromSeconds(60);
    private const string NonAsciiMessage = "Zugriff verweigert – 100% ‘nein’ ✓ 鍵";

    public static TheoryData<bool> Tls => [false, true];

    [Theory]
    [MemberData(nameof(Tls))]
    public async Task Unary_Success_ResponseMetadataAndTrailers(bool tls)
    {
        // Arrange
        using GrpcChannel channel = CreateChannel(tls);
        var headers = new Metadata().Add("x-echo-header", "dotnet-header").Add("x-echo-bin", new byte[] { 9, 0, 255 });

        // Act
        UnaryResult<EchoResponse> result = await channel.UnaryCallAsync(EchoTestService.EchoMethod,
            new EchoRequest { Text = "to python", TrailerValue = "tv" }, EchoResponse.Parser, CallOptions.WithTimeout(s_generous, headers));

        // Assert
        Assert.Equal("to python", result.Response.Text);
        Assert.Equal("dotnet-header", result.Response.HeaderValue);
        Assert.Equal("0900ff", result.Response.HeaderBinHex);
        Assert.Equal("tv", result.Trailers.GetValue("x-echo-trailer"));
        Assert.Equal("tv"u8.ToArray(), result.Trailers.GetValueBytes("x-echo-trailer-bin"));
        Assert.Equal(tls ? "ci-runner" : string.Empty, result.Response.CallerSubject);
    }

    [Theory]
    [MemberData(nameof(Tls))]
    public async Task Unary_ErrorWithNonAsciiMessage_DecodedDetailAndCode(bool tls)
    {
        // Arrange
        using GrpcChannel channel = CreateChannel(tls);

        // Act
        var error = await Assert.ThrowsAsync<RpcException>(() => channel.UnaryAsync(EchoTestService.EchoMethod,
            new EchoRequest { FailCode = (int)StatusCode.PermissionDenied, FailMessage = NonAsciiMessage }, EchoResponse.Parser,
            CallOptions.WithTimeout(s_generous)));

        // Assert
        Assert.Equal(StatusCode.PermissionDenied, error.StatusCode);
        Assert.Equal(NonAsciiMessage, error.Detail);
    }

    [Theory]
    [MemberData(nameof(Tls))]
    public async Task Unary_Deadline_DeadlineExceeded(bool tls)
    {
        // Arrange
        using GrpcChannel channel = CreateChannel(tls);

        // Act
        var error = await Assert.ThrowsAsync<RpcException>(() => channel.UnaryAsync(EchoTestService.EchoMethod,
            new EchoRequest { WaitForCancellation = true }, EchoResponse.Parser, CallOptions.WithTimeout(TimeSpan.FromMilliseconds(500))));

        // Assert
        Assert.Equal(StatusCode.DeadlineExceeded, error.StatusCode);
    }

    [Theory]
    [MemberData(nameof(Tls))]
    public async Task ServerStreaming_Count_AllInOrder(bool tls)
    {
        // Arrange
        using GrpcChannel channel = CreateChannel(tls);
        var indexes = new List<int>();

        // Act
        await foreach (EchoResponse response in channel.ServerStreamingAsync(EchoTestService.EchoStreamMethod,
            new EchoRequest { Count = 30 }, EchoResponse.Parser, CallOptions.WithTimeout(s_generous)))
        {
            indexes.Add(response.Index);
        }

        // Assert
        Assert.Equal(Enumerable.Range(0, 30), indexes);
    }

    [Fact]
    public async Task ServerStreaming_ErrorAfterMessages_MessagesThenStatus()
    {
        // Arrange
        using GrpcChannel channel = CreateChannel(tls: false);
        var indexes = new List<int>();

        // Act
        var error = await Assert.ThrowsAsync<RpcException>(async () =>
        {
            await foreach (EchoResponse response in channel.ServerStreamingAsync(EchoTestService.EchoStreamMethod,
                new EchoRequest { Count = 4, FailCode = (int)StatusCode.Unavailable, FailMessage = NonAsciiMessage }, EchoResponse.Parser,
                CallOptions.WithTimeout(s_generous)))
            {
                indexes.Add(response.Index);
            }
        });

        // Assert
        Assert.Equal([0, 1, 2, 3], indexes);
        Assert.Equal(StatusCode.Unavailable, error.StatusCode);
        Assert.Equal(NonAsciiMessage, error.Detail);
    }

    [Fact]
    public async Task ServerStreaming_Deadline_MessagesThenDeadlineExceeded()
    {
        // Arrange
        using GrpcChannel channel = CreateChannel(tls: false);
        var indexes = new List<int>();

        // Act
        var error = await Assert.ThrowsAsync<RpcException>(async () =>
        {
            await foreach (EchoResponse response in channel.ServerStreamingAsync(EchoTestService.EchoStreamMethod,
                new EchoRequest { Count = 2, WaitForCancellation = true }, EchoResponse.Parser, CallOptions.WithTimeout(TimeSpan.FromSeconds(3))))
            {
                indexes.Add(response.Index);
            }
        });

        // Assert
        Assert.Equal([0, 1], indexes);
        Assert.Equal(StatusCode.DeadlineExceeded, error.StatusCode);
    }

    [Fact]
    public async Task UnknownMethod_Unimplemented()
    {
        // Arrange
        using GrpcChannel channel = CreateChannel(tls: false);

        // Act
        var error = await Assert.ThrowsAsync<RpcException>(() => channel.UnaryAsync("/keycustody.test.v1.EchoService/Missing",
            new EchoRequest(), EchoResponse.Parser, CallOptions.WithTimeout(s_generous)));

        // Assert
        Assert.Equal(StatusCode.Unimplemented, error.StatusCode);
    }

    [Fact]
    public async Task Unary_GzipRequest_PythonDecompresses()
    {
        // Arrange
        using GrpcChannel channel = GrpcChannel.ForAddress($"http://127.0.0.1:{python.PlainPort}", new GrpcChannelOptions { CompressRequests = true });

        // Act
        EchoResponse response = await channel.UnaryAsync(EchoTestService.EchoMethod,
            new EchoRequest { Text = "gz", Payload = Google.Protobuf.ByteString.CopyFrom(new byte[5000]) }, EchoResponse.Parser,
            CallOptions.WithTimeout(s_generous));

        // Assert
        Assert.Equal(5000, response.PayloadSize);
    }

    [Fact]
    public async Task GzipResponses_ClientDecompresses()
    {
        // Arrange
        using GrpcChannel channel = CreateChannel(tls: false);
        var indexes = new List<int>();
        using var raw = new RawGrpcClient($"http://127.0.0.1:{python.PlainPort}");
        RawGrpcResponse probe = await raw.SendAsync(EchoTestService.EchoMethod,
            KeyCustody.Grpc.Internal.GrpcFraming.Frame(Google.Protobuf.MessageExtensions.ToByteArray(new EchoRequest { CompressResponse = true, ResponsePadding = 10_000 })),
            headers: [("grpc-accept-encoding", "identity,gzip")]);

        // Act
        EchoResponse unary = await channel.UnaryAsync(EchoTestService.EchoMethod,
            new EchoRequest { Text = "zip me", CompressResponse = true, ResponsePadding = 10_000 }, EchoResponse.Parser, CallOptions.WithTimeout(s_generous));
        ServerStreamingCall<EchoResponse> call = channel.ServerStreamingAsync(EchoTestService.EchoStreamMethod,
            new EchoRequest { Count = 5, CompressResponse = true, ResponsePadding = 5_000 }, EchoResponse.Parser, CallOptions.WithTimeout(s_generous));
        await foreach (EchoResponse response in call)
        {
            indexes.Add(response.Index);
        }

        // Assert
        Assert.Equal("zip me", unary.Text);
        Assert.Equal(10_000, unary.Padding.Length);
        Assert.Equal([0, 1, 2, 3, 4], indexes);
        // The same request seen raw: the server really compressed (flag 1, far fewer bytes than the padding).
        Assert.Equal("gzip", probe.Headers.GetValues("grpc-encoding").Single());
        Assert.Equal(1, probe.Body[0]);
        Assert.True(probe.Body.Length < 2_000, $"{probe.Body.Length} bytes");
    }

    [Fact]
    public async Task GzipResponse_OverClientLimitAfterDecompression_ResourceExhausted()
    {
        // Arrange
        using GrpcChannel channel = GrpcChannel.ForAddress($"http://127.0.0.1:{python.PlainPort}", new GrpcChannelOptions { MaxReceiveMessageSize = 4096 });

        // Act: 100 kB of zeros compress far below the limit, and must still be refused once inflated.
        var error = await Assert.ThrowsAsync<RpcException>(() => channel.UnaryAsync(EchoTestService.EchoMethod,
            new EchoRequest { CompressResponse = true, ResponsePadding = 100_000 }, EchoResponse.Parser, CallOptions.WithTimeout(s_generous)));

        // Assert
        Assert.Equal(StatusCode.ResourceExhausted, error.StatusCode);
    }

    [Fact]
    public async Task Unary_ResponseOverClientLimit_ResourceExhausted()
    {
        // Arrange
        using GrpcChannel channel = GrpcChannel.ForAddress($"http://127.0.0.1:{python.PlainPort}", new GrpcChannelOptions { MaxReceiveMessageSize = 1024 });

        // Act
        var error = await Assert.ThrowsAsync<RpcException>(() => channel.UnaryAsync(EchoTestService.EchoMethod,
            new EchoRequest { ResponsePadding = 4096 }, EchoResponse.Parser, CallOptions.WithTimeout(s_generous)));

        // Assert
        Assert.Equal(StatusCode.ResourceExhausted, error.StatusCode);
    }

    private GrpcChannel CreateChannel(bool tls) => tls
        ? GrpcChannel.ForAddress($"https://127.0.0.1:{python.TlsPort}", new GrpcChannelOptions
        {
            TrustedCertificateAuthorities = [python.Pki.Ca],
            ClientCertificate = python.Pki.Client,
        })
        : GrpcChannel.ForAddress($"http://127.0.0.1:{python.PlainPort}");
}
