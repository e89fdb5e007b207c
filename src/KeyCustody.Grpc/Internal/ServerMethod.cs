// SPDX-License-Identifier: Apache-2.0
namespace KeyCustody.Grpc.Internal;

/// <summary>One registered method: parses the request payload, runs the handler, writes responses through the call.</summary>
internal sealed class ServerMethod(string name, bool isServerStreaming, Func<GrpcServerCall, byte[], Task> invoke)
{
    public string Name { get; } = name;

    public bool IsServerStreaming { get; } = isServerStreaming;

    public Task InvokeAsync(GrpcServerCall call, byte[] payload) => invoke(call, payload);
}
