// SPDX-License-Identifier: Apache-2.0
using Xunit;

namespace KeyCustody.Grpc.Tests;

public sealed class ServerCallContextTests
{
    [Fact]
    public void Create_Defaults_LocalUnixSocketWithEmptyMetadata()
    {
        // Arrange / Act
        ServerCallContext context = ServerCallContext.Create("/keycustody.v1.SigningService/Sign");

        // Assert
        Assert.Equal("/keycustody.v1.SigningService/Sign", context.Method);
        Assert.True(context.IsLocal);
        Assert.Equal(GrpcTransportKind.UnixSocket, context.Transport);
        Assert.Empty(context.RequestHeaders);
        Assert.Empty(context.ResponseTrailers);
        Assert.Null(context.Caller);
        Assert.Null(context.Deadline);
    }

    [Fact]
    public void Create_RemoteTlsPeer_IsNotLocal()
    {
        // Arrange / Act
        ServerCallContext context = ServerCallContext.Create("/a.B/C", peer: "ipv4:192.0.2.7:5000", transport: GrpcTransportKind.Tls);

        // Assert
        Assert.False(context.IsLocal);
        Assert.Equal(GrpcTransportKind.Tls, context.Transport);
    }
}
