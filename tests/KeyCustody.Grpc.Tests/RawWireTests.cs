// SPDX-License-Identifier: Apache-2.0
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Text;
using Google.Protobuf;
using KeyCustody.Grpc.Internal;
using KeyCustody.Grpc.Tests.Echo;
using KeyCustody.Grpc.Tests.Infrastructure;
using Xunit;

namespace KeyCustody.Grpc.Tests;

/// <summary>
/// Hand-made requests against a running server: each malformed one gets the right status, and the server still
/// answers a normal call afterwards.
/// </summary>
public sealed class RawWireTests(TestGrpcServer server) : IClassFixture<TestGrpcServer>
{
    private static readonly TimeSpan s_generous = TimeSpan.FromSeconds(60);

    private static byte[] EchoBody(string text = "raw", bool waitForCancellation = false) =>
        GrpcFraming.Frame(new EchoRequest { Text = text, WaitForCancellation = waitForCancellation }.ToByteArray());

    [Fact]
    public async Task Post_ValidRequest_StatusInTrailersAndAcceptEncodingAdvertised()
    {
        // Arrange
        using var raw = new RawGrpcClient(server.H2cAddress);

        // Act
        RawGrpcResponse response = await raw.SendAsync(EchoTestService.EchoMethod, EchoBody("hello"));

        // Assert
        Assert.Equal(HttpStatusCode.OK, response.HttpStatus);
        Assert.Null(response.StatusInHeaders);
        Assert.Equal("0", response.StatusInTrailers);
        Assert.Equal("hello", EchoResponse.Parser.ParseFrom(Assert.Single(response.Messages)).Text);
        Assert.Contains("gzip", response.Headers.GetValues("grpc-accept-encoding").Single(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Post_HandlerError_TrailersOnlyWithStatusInHeaders()
    {
        // Arrange
        using var raw = new RawGrpcClient(server.H2cAddress);
        byte[] body = GrpcFraming.Frame(new EchoRequest { FailCode = 5, FailMessage = "nicht gefunden: 鍵" }.ToByteArray());

        // Act
        RawGrpcResponse response = await raw.SendAsync(EchoTestService.EchoMethod, body);

        // Assert
        Assert.Equal(HttpStatusCode.OK, response.HttpStatus);
        Assert.Equal("5", response.StatusInHeaders);
        Assert.Null(response.StatusInTrailers);
        Assert.Empty(response.Body);
        Assert.Equal("nicht gefunden: %E9%8D%B5", response.Message);
        Assert.Equal("nicht gefunden: 鍵", response.DecodedMessage);
    }

    [Theory]
    [InlineData(2)]
    [InlineData(0xFF)]
    public async Task Post_BadCompressedFlag_InternalThenStillServes(byte flag)
    {
        // Arrange
        using var raw = new RawGrpcClient(server.H2cAddress);
        byte[] body = EchoBody();
        body[0] = flag;

        // Act
        RawGrpcResponse response = await raw.SendAsync(EchoTestService.EchoMethod, body);

        // Assert
        Assert.Equal(13, response.GrpcStatus);
        Assert.Contains("compressed flag", response.DecodedMessage, StringComparison.Ordinal);
        await AssertStillServesAsync(raw);
    }

    [Fact]
    public async Task Post_CompressedFlagWithoutEncoding_InternalThenStillServes()
    {
        // Arrange
        using var raw = new RawGrpcClient(server.H2cAddress);
        byte[] body = EchoBody();
        body[0] = 1;

        // Act
        RawGrpcResponse response = await raw.SendAsync(EchoTestService.EchoMethod, body);

        // Assert
        Assert.Equal(13, response.GrpcStatus);
        await AssertStillServesAsync(raw);
    }

    [Fact]
    public async Task Post_GzipEncoding_IsAccepted()
    {
        // Arrange
        using var raw = new RawGrpcClient(server.H2cAddress);
        byte[] body = GrpcFraming.Frame(GrpcFraming.Compress(new EchoRequest { Text = "zipped" }.ToByteArray()), compressed: true);

        // Act
        RawGrpcResponse response = await raw.SendAsync(EchoTestService.EchoMethod, body, headers: [("grpc-encoding", "gzip")]);

        // Assert
        Assert.Equal(0, response.GrpcStatus);
        Assert.Equal("zipped", EchoResponse.Parser.ParseFrom(Assert.Single(response.Messages)).Text);
    }

    [Fact]
    public async Task Post_UnknownEncoding_UnimplementedWithAcceptEncodingThenStillServes()
    {
        // Arrange
        using var raw = new RawGrpcClient(server.H2cAddress);
        byte[] body = EchoBody();
        body[0] = 1;

        // Act
        RawGrpcResponse response = await raw.SendAsync(EchoTestService.EchoMethod, body, headers: [("grpc-encoding", "snappy")]);

        // Assert
        Assert.Equal(12, response.GrpcStatus);
        Assert.Contains("gzip", response.Headers.GetValues("grpc-accept-encoding").Single(), StringComparison.Ordinal);
        await AssertStillServesAsync(raw);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(4)]
    [InlineData(7)]
    public async Task Post_TruncatedFrame_InternalThenStillServes(int keep)
    {
        // Arrange
        using var raw = new RawGrpcClient(server.H2cAddress);
        byte[] body = EchoBody("a longer text so the frame can be cut")[..keep];

        // Act
        RawGrpcResponse response = await raw.SendAsync(EchoTestService.EchoMethod, body);

        // Assert
        Assert.Equal(13, response.GrpcStatus);
        Assert.Contains("Incomplete", response.DecodedMessage, StringComparison.Ordinal);
        await AssertStillServesAsync(raw);
    }

    [Theory]
    [InlineData(new byte[] { 0 })]
    [InlineData(new byte[] { 0, 0, 0, 0, 0 })]
    public async Task Post_TrailingDataAfterMessage_InternalThenStillServes(byte[] extra)
    {
        // Arrange
        using var raw = new RawGrpcClient(server.H2cAddress);
        byte[] body = [.. EchoBody(), .. extra];

        // Act
        RawGrpcResponse response = await raw.SendAsync(EchoTestService.EchoMethod, body);

        // Assert
        Assert.Equal(13, response.GrpcStatus);
        Assert.Contains("Additional data", response.DecodedMessage, StringComparison.Ordinal);
        await AssertStillServesAsync(raw);
    }

    [Fact]
    public async Task Post_EmptyBody_InternalThenStillServes()
    {
        // Arrange
        using var raw = new RawGrpcClient(server.H2cAddress);

        // Act
        RawGrpcResponse response = await raw.SendAsync(EchoTestService.EchoMethod, []);

        // Assert
        Assert.Equal(13, response.GrpcStatus);
        await AssertStillServesAsync(raw);
    }

    [Fact]
    public async Task Post_InvalidProtobuf_InternalThenStillServes()
    {
        // Arrange
        using var raw = new RawGrpcClient(server.H2cAddress);
        byte[] body = GrpcFraming.Frame([0x0A, 0x7F, 0x01]);

        // Act
        RawGrpcResponse response = await raw.SendAsync(EchoTestService.EchoMethod, body);

        // Assert
        Assert.Equal(13, response.GrpcStatus);
        await AssertStillServesAsync(raw);
    }

    [Fact]
    public async Task Post_OversizePrefix_ResourceExhaustedThenStillServes()
    {
        // Arrange
        using var raw = new RawGrpcClient(server.H2cAddress);
        byte[] body = [0, 0x7F, 0xFF, 0xFF, 0xFF, 1, 2, 3];

        // Act
        RawGrpcResponse response = await raw.SendAsync(EchoTestService.EchoMethod, body);

        // Assert
        Assert.Equal(8, response.GrpcStatus);
        await AssertStillServesAsync(raw);
    }

    [Fact]
    public async Task Post_OversizeMessage_ResourceExhaustedThenStillServes()
    {
        // Arrange
        using var raw = new RawGrpcClient(server.H2cAddress);
        byte[] body = GrpcFraming.Frame(new EchoRequest { Payload = ByteString.CopyFrom(new byte[TestGrpcServer.MaxMessageSize * 2]) }.ToByteArray());

        // Act
        RawGrpcResponse response = await raw.SendAsync(EchoTestService.EchoMethod, body);

        // Assert
        Assert.Equal(8, response.GrpcStatus);
        await AssertStillServesAsync(raw);
    }

    [Theory]
    [InlineData("application/json")]
    [InlineData("text/plain")]
    [InlineData("application/grpc-web")]
    public async Task Post_WrongContentType_Http415ThenStillServes(string contentType)
    {
        // Arrange
        using var raw = new RawGrpcClient(server.H2cAddress);

        // Act
        RawGrpcResponse response = await raw.SendAsync(EchoTestService.EchoMethod, EchoBody(), contentType);

        // Assert
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.HttpStatus);
        await AssertStillServesAsync(raw);
    }

    [Fact]
    public async Task Post_UnknownMethod_UnimplementedTrailersOnlyThenStillServes()
    {
        // Arrange
        using var raw = new RawGrpcClient(server.H2cAddress);

        // Act
        RawGrpcResponse response = await raw.SendAsync("/keycustody.test.v1.EchoService/DoesNotExist", EchoBody());

        // Assert
        Assert.Equal(HttpStatusCode.OK, response.HttpStatus);
        Assert.Equal("12", response.StatusInHeaders);
        Assert.Empty(response.Body);
        await AssertStillServesAsync(raw);
    }

    [Theory]
    [InlineData("1x")]
    [InlineData("S")]
    [InlineData("123456789S")]
    public async Task Post_MalformedTimeout_InternalThenStillServes(string timeout)
    {
        // Arrange
        using var raw = new RawGrpcClient(server.H2cAddress);

        // Act
        RawGrpcResponse response = await raw.SendAsync(EchoTestService.EchoMethod, EchoBody(), headers: [("grpc-timeout", timeout)]);

        // Assert
        Assert.Equal(13, response.GrpcStatus);
        await AssertStillServesAsync(raw);
    }

    [Theory]
    [InlineData("300m")]
    [InlineData("300000u")]
    [InlineData("300000000n")]
    public async Task Post_Timeout_ServerAloneSendsDeadlineExceededAndCancelsHandler(string timeout)
    {
        // Arrange
        using var raw = new RawGrpcClient(server.H2cAddress);
        server.Echo.ResetSignals();

        // Act
        RawGrpcResponse response = await raw.SendAsync(EchoTestService.EchoMethod, EchoBody(waitForCancellation: true),
            headers: [("grpc-timeout", timeout == "300000000n" ? "300000u" : timeout)]);
        bool cancelled = await server.Echo.HandlerCancelled.WaitAsync(s_generous);

        // Assert
        Assert.Equal(4, response.GrpcStatus);
        Assert.True(cancelled);
        await AssertStillServesAsync(raw);
    }

    [Fact]
    public async Task Post_StreamingPastTimeout_MessagesThenDeadlineExceededAndNoLaterWrite()
    {
        // Arrange
        using var raw = new RawGrpcClient(server.H2cAddress);
        server.Echo.ResetSignals();
        byte[] body = GrpcFraming.Frame(new EchoRequest { StreamUntilWriteFails = true, ResponsePadding = 100 }.ToByteArray());

        // Act
        RawGrpcResponse response = await raw.SendAsync(EchoTestService.EchoStreamMethod, body, headers: [("grpc-timeout", "1S")]);
        StatusCode writeStatus = await server.Echo.WriteFailed.WaitAsync(s_generous);

        // Assert
        Assert.Equal(4, response.GrpcStatus);
        Assert.Equal("4", response.StatusInTrailers);
        Assert.NotEmpty(response.Messages);
        Assert.Equal(StatusCode.DeadlineExceeded, writeStatus);
        Assert.Equal(0, server.Echo.WritesAfterCallEnded);
    }

    [Fact]
    public async Task Post_BodyNeverEnds_DeadlineExceededWhileReadingThenStillServes()
    {
        // Arrange
        using var http = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { Timeout = Timeout.InfiniteTimeSpan };
        using var testEnd = new CancellationTokenSource(s_generous);
        using var request = new HttpRequestMessage(HttpMethod.Post, server.H2cAddress + EchoTestService.EchoMethod)
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = new OpenEndedContent(EchoBody()[..3]),
        };
        request.Content.Headers.TryAddWithoutValidation("content-type", "application/grpc");
        request.Headers.TryAddWithoutValidation("grpc-timeout", "300m");

        // Act
        using HttpResponseMessage response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, testEnd.Token);
        await response.Content.ReadAsByteArrayAsync(testEnd.Token);
        string? status = response.Headers.NonValidated.TryGetValues("grpc-status", out var inHeaders) ? inHeaders.First()
            : response.TrailingHeaders.NonValidated.TryGetValues("grpc-status", out var inTrailers) ? inTrailers.First() : null;

        // Assert
        Assert.Equal("4", status);
        using var raw = new RawGrpcClient(server.H2cAddress);
        await AssertStillServesAsync(raw);
    }

    [Fact]
    public async Task Http11_PlainTcp_Gets426ThenStillServes()
    {
        // Arrange
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, server.H2cPort);
        NetworkStream stream = tcp.GetStream();
        byte[] request = Encoding.ASCII.GetBytes(
            $"POST {EchoTestService.EchoMethod} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/grpc\r\nContent-Length: 0\r\n\r\n");

        // Act
        await stream.WriteAsync(request);
        string answer = await ReadToEndAsync(stream);

        // Assert
        Assert.StartsWith("HTTP/1.1 426 ", answer, StringComparison.Ordinal);
        Assert.Contains("HTTP/2", answer, StringComparison.Ordinal);
        using var raw = new RawGrpcClient(server.H2cAddress);
        await AssertStillServesAsync(raw);
    }

    [Fact]
    public async Task Http11_OverTls_Gets426()
    {
        // Arrange
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, server.TlsPort);
        await using var tls = new SslStream(tcp.GetStream());
        await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
        {
            TargetHost = "localhost",
            ApplicationProtocols = [SslApplicationProtocol.Http11],
            RemoteCertificateValidationCallback = (_, cert, _, _) => cert is not null && cert.GetRawCertData().AsSpan().SequenceEqual(server.Pki.Server.RawData),
            EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
        });
        byte[] request = Encoding.ASCII.GetBytes(
            $"POST {EchoTestService.EchoMethod} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/grpc\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");

        // Act
        await tls.WriteAsync(request);
        string answer = await ReadToEndAsync(tls);

        // Assert
        Assert.StartsWith("HTTP/1.1 426 ", answer, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Get_Http2_RejectedWith405ThenStillServes()
    {
        // Arrange
        using var http = new HttpClient(new SocketsHttpHandler { UseProxy = false });
        using var request = new HttpRequestMessage(HttpMethod.Get, server.H2cAddress + EchoTestService.EchoMethod)
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };

        // Act
        using HttpResponseMessage response = await http.SendAsync(request);

        // Assert
        Assert.Equal(HttpStatusCode.MethodNotAllowed, response.StatusCode);
        using var raw = new RawGrpcClient(server.H2cAddress);
        await AssertStillServesAsync(raw);
    }

    /// <summary>Sends a prefix of a message and never ends the request body (until HttpClient gives up the upload).</summary>
    private sealed class OpenEndedContent(byte[] prefix) : HttpContent
    {
        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
        {
            await stream.WriteAsync(prefix, cancellationToken);
            await stream.FlushAsync(cancellationToken);
            try
            {
                await Task.Delay(Timeout.Infinite, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                // HttpClient stops the upload once the server has answered.
            }
        }

        protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
            SerializeToStreamAsync(stream, context, CancellationToken.None);

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }

    private static async Task<string> ReadToEndAsync(Stream stream)
    {
        using var cts = new CancellationTokenSource(s_generous);
        var buffer = new MemoryStream();
        byte[] chunk = new byte[4096];
        int read;
        while ((read = await stream.ReadAsync(chunk, cts.Token)) > 0)
        {
            buffer.Write(chunk, 0, read);
        }

        return Encoding.ASCII.GetString(buffer.ToArray());
    }

    private static async Task AssertStillServesAsync(RawGrpcClient raw)
    {
        RawGrpcResponse response = await raw.SendAsync(EchoTestService.EchoMethod, EchoBody("still here"));
        Assert.Equal(0, response.GrpcStatus);
        Assert.Equal("still here", EchoResponse.Parser.ParseFrom(Assert.Single(response.Messages)).Text);
    }
}
