// SPDX-License-Identifier: Apache-2.0
using Google.Protobuf;
using KeyCustody.Audit;
using KeyCustody.Core;
using KeyCustody.Daemon.Edge;
using KeyCustody.Grpc;
using KeyCustody.Storage;
using Pb = KeyCustody.Protocol.V1;

namespace KeyCustody.Daemon.Services;

/// <summary>
/// keycustody.v1.AuditService: checkpoints, receipts and proofs anyone can verify offline with the audit key.
/// Served whenever the log is open, even while the appliance does not sign.
/// </summary>
internal sealed class AuditServiceHandler(ServiceContext services, GovernanceStoreAccessor store)
{
    private const string Service = "/keycustody.v1.AuditService/";

    /// <summary>Registers the methods (none needs the appliance to be SERVING).</summary>
    public void Register(GrpcServiceRegistry registry, GrpcEdge edge)
    {
        registry.AddUnary(Service + "GetCheckpoint", Pb.GetCheckpointRequest.Parser,
            edge.Unary<Pb.GetCheckpointRequest, Pb.GetCheckpointResponse>(CheckpointAsync, requiresServing: false));
        registry.AddUnary(Service + "GetReceipt", Pb.GetReceiptRequest.Parser,
            edge.Unary<Pb.GetReceiptRequest, Pb.Receipt>(ReceiptAsync, requiresServing: false));
        registry.AddUnary(Service + "GetInclusionProof", Pb.GetInclusionProofRequest.Parser,
            edge.Unary<Pb.GetInclusionProofRequest, Pb.GetInclusionProofResponse>(InclusionAsync, requiresServing: false));
        registry.AddUnary(Service + "GetConsistencyProof", Pb.GetConsistencyProofRequest.Parser,
            edge.Unary<Pb.GetConsistencyProofRequest, Pb.GetConsistencyProofResponse>(ConsistencyAsync, requiresServing: false));
        registry.AddUnary(Service + "ListEntries", Pb.ListEntriesRequest.Parser,
            edge.Unary<Pb.ListEntriesRequest, Pb.ListEntriesResponse>(EntriesAsync, requiresServing: false));
        registry.AddUnary(Service + "GetAuditKey", Pb.GetAuditKeyRequest.Parser,
            edge.Unary<Pb.GetAuditKeyRequest, Pb.GetAuditKeyResponse>(KeyAsync, requiresServing: false));
    }

    private async Task<Pb.GetCheckpointResponse> CheckpointAsync(Pb.GetCheckpointRequest request, ServerCallContext context)
    {
        SignedCheckpoint checkpoint = await CurrentAsync(context.CancellationToken).ConfigureAwait(false);
        return new Pb.GetCheckpointResponse
        {
            Checkpoint = checkpoint.Note,
            TreeSize = checkpoint.Checkpoint.TreeSize,
            RootHash = ByteString.CopyFrom(checkpoint.Checkpoint.RootHash),
        };
    }

    private async Task<Pb.Receipt> ReceiptAsync(Pb.GetReceiptRequest request, ServerCallContext context)
    {
        long index;
        switch (request.TargetCase)
        {
            case Pb.GetReceiptRequest.TargetOneofCase.LeafIndex:
                index = request.LeafIndex;
                break;
            case Pb.GetReceiptRequest.TargetOneofCase.RequestId:
                StoredRequest stored = await store.Store.GetRequestAsync(request.RequestId, context.CancellationToken).ConfigureAwait(false)
                    ?? throw new CustodyException(CustodyStatus.NotFound, $"There is no signing request '{request.RequestId}'.");
                index = stored.SignedIndex ?? stored.LastIndex
                    ?? throw new CustodyException(CustodyStatus.NotFound, $"Request '{request.RequestId}' has no audit entry yet.");
                break;
            default:
                throw new CustodyException(CustodyStatus.InvalidArgument, "Set request_id or leaf_index.");
        }

        AuditReceipt receipt = await services.Audit.GetReceiptAsync(index, context.CancellationToken).ConfigureAwait(false);
        return ProtoMapping.Receipt(receipt);
    }

    private async Task<Pb.GetInclusionProofResponse> InclusionAsync(Pb.GetInclusionProofRequest request, ServerCallContext context)
    {
        SignedCheckpoint checkpoint = await CurrentAsync(context.CancellationToken).ConfigureAwait(false);
        long size = request.TreeSize == 0 ? checkpoint.Checkpoint.TreeSize : request.TreeSize;
        if (request.LeafIndex < 0 || request.LeafIndex >= size || size > checkpoint.Checkpoint.TreeSize)
        {
            throw new CustodyException(CustodyStatus.InvalidArgument,
                $"Leaf {request.LeafIndex} is not inside a published tree of size {size} (the latest checkpoint has {checkpoint.Checkpoint.TreeSize}).");
        }

        IReadOnlyList<byte[]> proof = await services.Audit.GetInclusionProofAsync(request.LeafIndex, size, context.CancellationToken).ConfigureAwait(false);
        var response = new Pb.GetInclusionProofResponse { LeafIndex = request.LeafIndex, TreeSize = size, Checkpoint = checkpoint.Note };
        response.Hashes.AddRange(proof.Select(h => ByteString.CopyFrom(h)));
        return response;
    }

    private async Task<Pb.GetConsistencyProofResponse> ConsistencyAsync(Pb.GetConsistencyProofRequest request, ServerCallContext context)
    {
        SignedCheckpoint checkpoint = await CurrentAsync(context.CancellationToken).ConfigureAwait(false);
        long second = request.SecondSize == 0 ? checkpoint.Checkpoint.TreeSize : request.SecondSize;
        if (request.FirstSize < 1 || request.FirstSize > second || second > checkpoint.Checkpoint.TreeSize)
        {
            throw new CustodyException(CustodyStatus.InvalidArgument,
                $"Sizes {request.FirstSize} and {second} must satisfy 1 <= first <= second <= {checkpoint.Checkpoint.TreeSize} (the latest checkpoint).");
        }

        IReadOnlyList<byte[]> proof = await services.Audit.GetConsistencyProofAsync(request.FirstSize, second, context.CancellationToken).ConfigureAwait(false);
        var response = new Pb.GetConsistencyProofResponse { FirstSize = request.FirstSize, SecondSize = second, Checkpoint = checkpoint.Note };
        response.Hashes.AddRange(proof.Select(h => ByteString.CopyFrom(h)));
        return response;
    }

    private async Task<Pb.ListEntriesResponse> EntriesAsync(Pb.ListEntriesRequest request, ServerCallContext context)
    {
        SqliteAuditLog audit = services.Audit;
        if (request.Start < 0 || request.Limit < 0)
        {
            throw new CustodyException(CustodyStatus.InvalidArgument, "start and limit must not be negative.");
        }

        long size = audit.Size;
        int limit = request.Limit == 0 ? 100 : Math.Min(request.Limit, SqliteAuditLog.MaxEntriesPerRead);
        int count = (int)Math.Max(0, Math.Min(limit, size - request.Start));
        var response = new Pb.ListEntriesResponse { TreeSize = size };
        if (count > 0)
        {
            foreach (AuditLogEntry entry in await audit.GetEntriesAsync(request.Start, count, context.CancellationToken).ConfigureAwait(false))
            {
                response.Entries.Add(new Pb.AuditEntry { Index = entry.Index, Entry = ByteString.CopyFrom(entry.Entry) });
            }
        }

        return response;
    }

    private Task<Pb.GetAuditKeyResponse> KeyAsync(Pb.GetAuditKeyRequest request, ServerCallContext context)
    {
        SqliteAuditLog audit = services.Audit;
        return Task.FromResult(new Pb.GetAuditKeyResponse
        {
            PublicKeyPem = audit.PublicKey.ToPem(),
            KeyName = audit.Origin,
            KeyIdHex = audit.KeyId.ToString("x8", System.Globalization.CultureInfo.InvariantCulture),
        });
    }

    private async Task<SignedCheckpoint> CurrentAsync(CancellationToken cancellationToken)
    {
        SqliteAuditLog audit = services.Audit;
        return await audit.GetCheckpointAsync(cancellationToken).ConfigureAwait(false)
            ?? await audit.PublishCheckpointAsync(cancellationToken).ConfigureAwait(false);
    }
}

/// <summary>The governance store once the audit log is open (reads only).</summary>
internal sealed class GovernanceStoreAccessor
{
    private volatile GovernanceStore? _store;

    /// <summary>The store; AuditUnavailable before the log is open.</summary>
    public GovernanceStore Store => _store ?? throw new CustodyException(CustodyStatus.AuditUnavailable, "The state store is not open.");

    /// <summary>Publishes the store.</summary>
    public void Set(GovernanceStore? store) => _store = store;
}
