// SPDX-License-Identifier: Apache-2.0
using KeyCustody.Daemon.Edge;
using KeyCustody.Grpc;
using Pb = KeyCustody.Protocol.V1;

namespace KeyCustody.Daemon.Services;

/// <summary>keycustody.v1.CeremonyService: not offered by this release; every method answers UNIMPLEMENTED.</summary>
internal static class CeremonyServiceHandler
{
    private const string Service = "/keycustody.v1.CeremonyService/";

    /// <summary>Registers the methods.</summary>
    public static void Register(GrpcServiceRegistry registry)
    {
        registry.AddUnary<Pb.ProposeCeremonyRequest, Pb.Ceremony>(Service + "ProposeCeremony", Pb.ProposeCeremonyRequest.Parser, (_, _) => Refuse());
        registry.AddUnary<Pb.EndorseCeremonyRequest, Pb.Ceremony>(Service + "EndorseCeremony", Pb.EndorseCeremonyRequest.Parser, (_, _) => Refuse());
        registry.AddUnary<Pb.GetCeremonyRequest, Pb.Ceremony>(Service + "GetCeremony", Pb.GetCeremonyRequest.Parser, (_, _) => Refuse());
    }

    private static Task<Pb.Ceremony> Refuse() => Task.FromException<Pb.Ceremony>(new RpcException(StatusCode.Unimplemented,
        "Custodian ceremonies are not available in this release; the dev appliance applies its genesis at first start.",
        new Metadata().Add(StatusTable.StatusTrailer, nameof(Core.CustodyStatus.Unsupported))));
}
