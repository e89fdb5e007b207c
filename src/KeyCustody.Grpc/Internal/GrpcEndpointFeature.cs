// SPDX-License-Identifier: Apache-2.0
namespace KeyCustody.Grpc.Internal;

/// <summary>Connection feature naming the endpoint a connection arrived on (set by connection middleware per endpoint).</summary>
internal sealed class GrpcEndpointFeature(GrpcEndpoint endpoint)
{
    public GrpcEndpoint Endpoint { get; } = endpoint;
}
