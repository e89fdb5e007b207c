// SPDX-License-Identifier: Apache-2.0
using KeyCustody.Daemon.Edge;
using KeyCustody.Grpc;
using Pb = KeyCustody.Protocol.V1;

namespace KeyCustody.Daemon.Services;

/// <summary>keycustody.v1.KeyService: the read-only key inventory (keys change only through ceremonies).</summary>
internal sealed class KeyServiceHandler(ServiceContext services)
{
    private const string Service = "/keycustody.v1.KeyService/";

    /// <summary>Registers the methods.</summary>
    public void Register(GrpcServiceRegistry registry, GrpcEdge edge)
    {
        registry.AddUnary(Service + "ListKeys", Pb.ListKeysRequest.Parser, edge.Unary<Pb.ListKeysRequest, Pb.ListKeysResponse>(ListAsync));
        registry.AddUnary(Service + "GetKey", Pb.GetKeyRequest.Parser, edge.Unary<Pb.GetKeyRequest, Pb.Key>(GetAsync));
    }

    private Task<Pb.ListKeysResponse> ListAsync(Pb.ListKeysRequest request, ServerCallContext context)
    {
        SigningEngine engine = services.Engine;
        var response = new Pb.ListKeysResponse();
        response.Keys.AddRange(engine.Keys.OrderBy(k => k.Record.Name.Value, StringComparer.Ordinal)
            .Select(k => ProtoMapping.Key(k, engine.Usage(k.Record.Name))));
        return Task.FromResult(response);
    }

    private Task<Pb.Key> GetAsync(Pb.GetKeyRequest request, ServerCallContext context)
    {
        SigningEngine engine = services.Engine;
        ServedKey key = engine.RequireKey(request.Name, active: false);
        return Task.FromResult(ProtoMapping.Key(key, engine.Usage(key.Record.Name)));
    }
}
