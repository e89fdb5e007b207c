// SPDX-License-Identifier: Apache-2.0
using System.Net;
using KeyCustody.Grpc.Client;
using KeyCustody.Grpc.Internal;
using Xunit;

namespace KeyCustody.Grpc.Tests;

public sealed class ClientMappingTests
{
    [Theory]
    [InlineData(400, StatusCode.Internal)]
    [InlineData(401, StatusCode.Unauthenticated)]
    [InlineData(403, StatusCode.PermissionDenied)]
    [InlineData(404, StatusCode.Unimplemented)]
    [InlineData(415, StatusCode.Unknown)]
    [InlineData(429, StatusCode.Unavailable)]
    [InlineData(502, StatusCode.Unavailable)]
    [InlineData(503, StatusCode.Unavailable)]
    [InlineData(504, StatusCode.Unavailable)]
    [InlineData(500, StatusCode.Unknown)]
    public void MapHttpStatus_NonGrpcResponse_FollowsSpecTable(int http, StatusCode expected)
    {
        // Arrange / Act / Assert
        Assert.Equal(expected, GrpcClientCall.MapHttpStatus((HttpStatusCode)http));
    }

    [Theory]
    [InlineData(0x0, StatusCode.Internal)]
    [InlineData(0x2, StatusCode.Internal)]
    [InlineData(0x7, StatusCode.Unavailable)]
    [InlineData(0x8, StatusCode.Cancelled)]
    [InlineData(0xb, StatusCode.ResourceExhausted)]
    [InlineData(0xc, StatusCode.PermissionDenied)]
    public void MapHttp2Error_ResetCode_FollowsSpecTable(long code, StatusCode expected)
    {
        // Arrange / Act / Assert
        Assert.Equal(expected, GrpcClientCall.MapHttp2Error(code));
    }

    [Theory]
    [InlineData("ftp://host:1")]
    [InlineData("host:50051")]
    [InlineData("http://host:1/prefix")]
    [InlineData("unix:")]
    public void ForAddress_UnsupportedAddress_Throws(string address)
    {
        // Arrange / Act / Assert
        Assert.Throws<ArgumentException>(() => GrpcChannel.ForAddress(address));
    }

    [Fact]
    public async Task UnaryAsync_NothingListening_Unavailable()
    {
        // Arrange
        int port = KeyCustody.Testing.FreePort.Next();
        using var channel = GrpcChannel.ForAddress($"http://127.0.0.1:{port}");

        // Act
        var error = await Assert.ThrowsAsync<RpcException>(() => channel.UnaryAsync("/grpc.health.v1.Health/Check",
            new KeyCustody.Grpc.Health.V1.HealthCheckRequest(), KeyCustody.Grpc.Health.V1.HealthCheckResponse.Parser,
            CallOptions.WithTimeout(TimeSpan.FromSeconds(60))));

        // Assert
        Assert.Equal(StatusCode.Unavailable, error.StatusCode);
    }

    [Fact]
    public async Task UnaryAsync_InvalidMethodName_Throws()
    {
        // Arrange
        using var channel = GrpcChannel.ForAddress("http://127.0.0.1:1");

        // Act / Assert
        await Assert.ThrowsAsync<ArgumentException>(() => channel.UnaryAsync("not-a-method",
            new KeyCustody.Grpc.Health.V1.HealthCheckRequest(), KeyCustody.Grpc.Health.V1.HealthCheckResponse.Parser));
    }
}
