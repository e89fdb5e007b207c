// SPDX-License-Identifier: Apache-2.0
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using KeyCustody.Core;
using KeyCustody.Daemon.Edge;
using KeyCustody.Governance;
using KeyCustody.Governance.Ceremonies;
using KeyCustody.Grpc;
using Microsoft.Extensions.Logging;
using Pb = KeyCustody.Protocol.V1;

namespace KeyCustody.Daemon.Services;

/// <summary>
/// keycustody.v1.CeremonyService: custodians propose ceremonies and endorse them with SSHSIG signatures over the
/// canonical statement (namespace <c>keycustody-ceremony</c>); the signature is their authentication. Proposing
/// needs no custodian identity: a proposal changes nothing until M custodians endorse it.
/// </summary>
internal sealed class CeremonyServiceHandler(ServiceContext services, ILogger logger)
{
    private const string Service = "/keycustody.v1.CeremonyService/";
    private readonly Lock _lock = new();
    private CeremonyEngine? _engine;

    /// <summary>Registers the methods.</summary>
    public void Register(GrpcServiceRegistry registry, GrpcEdge edge)
    {
        registry.AddUnary(Service + "ProposeCeremony", Pb.ProposeCeremonyRequest.Parser, edge.Unary<Pb.ProposeCeremonyRequest, Pb.Ceremony>(ProposeAsync));
        registry.AddUnary(Service + "EndorseCeremony", Pb.EndorseCeremonyRequest.Parser, edge.Unary<Pb.EndorseCeremonyRequest, Pb.Ceremony>(EndorseAsync));
        registry.AddUnary(Service + "GetCeremony", Pb.GetCeremonyRequest.Parser, edge.Unary<Pb.GetCeremonyRequest, Pb.Ceremony>(GetAsync));
    }

    // Built on first use: the signing engine exists only once the start-up sequence has finished.
    private CeremonyEngine Engine
    {
        get
        {
            SigningEngine signing = services.Engine;
            lock (_lock)
            {
                return _engine ??= new CeremonyEngine(signing, services.AuditSigner, services.Time, logger) { SoPin = services.SoPin };
            }
        }
    }

    private async Task<Pb.Ceremony> ProposeAsync(Pb.ProposeCeremonyRequest request, ServerCallContext context) =>
        ToProto(await Engine.ProposeAsync((CeremonyKind)(int)request.Kind, request.ParametersJson, request.Comment, context.CancellationToken).ConfigureAwait(false));

    private async Task<Pb.Ceremony> EndorseAsync(Pb.EndorseCeremonyRequest request, ServerCallContext context) =>
        ToProto(await Engine.EndorseAsync(request.CeremonyId, request.Statement.ToByteArray(), request.SshSignature, context.CancellationToken).ConfigureAwait(false));

    private async Task<Pb.Ceremony> GetAsync(Pb.GetCeremonyRequest request, ServerCallContext context) =>
        ToProto(await Engine.GetAsync(request.CeremonyId, context.CancellationToken).ConfigureAwait(false));

    /// <summary>The API form of a proposal.</summary>
    internal static Pb.Ceremony ToProto(CeremonyProposal proposal)
    {
        var ceremony = new Pb.Ceremony
        {
            CeremonyId = proposal.Id,
            Kind = (Pb.CeremonyKind)(int)proposal.Kind,
            State = (Pb.CeremonyState)(int)proposal.State,
            ParametersJson = proposal.ParametersJson,
            Statement = ByteString.CopyFrom(proposal.Statement.ToBytes()),
            Namespace = SshNamespaces.Ceremony,
            EndorsementsRequired = proposal.EndorsementsRequired,
            PresenceRequired = proposal.PresenceRequired,
            CreatedAt = Timestamp.FromDateTimeOffset(proposal.CreatedAt),
            ExpiresAt = Timestamp.FromDateTimeOffset(proposal.ExpiresAt),
            ResultJson = proposal.ResultJson ?? string.Empty,
            StateReason = proposal.StateReason ?? string.Empty,
        };
        foreach (CeremonyEndorsement e in proposal.Endorsements)
        {
            ceremony.Endorsements.Add(new Pb.Endorsement { Custodian = e.Custodian, SshKeyFingerprint = e.KeyFingerprint, At = Timestamp.FromDateTimeOffset(e.At) });
        }

        return ceremony;
    }
}
