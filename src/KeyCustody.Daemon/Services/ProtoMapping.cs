// SPDX-License-Identifier: Apache-2.0
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using KeyCustody.Audit;
using KeyCustody.Core;
using KeyCustody.Governance;
using KeyCustody.Grpc;
using KeyCustody.Pkcs11;
using CallerIdentity = KeyCustody.Governance.CallerIdentity;
using Pb = KeyCustody.Protocol.V1;

namespace KeyCustody.Daemon.Services;

/// <summary>Conversions between the domain and the v1 protocol messages. The numeric enum values are shared by design.</summary>
internal static class ProtoMapping
{
    /// <summary>The authenticated CI caller, or Unauthenticated.</summary>
    public static (CallerIdentity Identity, string Sha256) RequireCaller(ServerCallContext context)
    {
        if (context.Caller is not { } caller)
        {
            throw new CustodyException(CustodyStatus.Unauthenticated, context.Transport == GrpcTransportKind.Tls
                ? "This call needs a client certificate issued by the appliance's CI certificate authority (mTLS); none was presented, or it is not from that authority."
                : "This call needs a client certificate (mTLS) and is only served on the TLS endpoint.");
        }

        return (new CallerIdentity(caller.Subject, caller.SubjectAlternativeNames), caller.Sha256Fingerprint);
    }

    /// <summary>Parses the digest of a request.</summary>
    public static (DigestAlgorithm Algorithm, byte[] Value) Digest(Pb.Digest? digest)
    {
        if (digest is null || digest.Algorithm == Pb.DigestAlgorithm.Unspecified || !System.Enum.IsDefined((DigestAlgorithm)(int)digest.Algorithm))
        {
            throw new CustodyException(CustodyStatus.InvalidArgument, "The request has no digest algorithm: set digest.algorithm to SHA256, SHA384 or SHA512.");
        }

        var algorithm = (DigestAlgorithm)(int)digest.Algorithm;
        int expected = Algorithms.DigestLength(algorithm);
        if (digest.Value.Length != expected)
        {
            throw new CustodyException(CustodyStatus.InvalidArgument,
                $"A {Algorithms.Name(algorithm)} digest is {expected} bytes, but {digest.Value.Length} were sent.");
        }

        return (algorithm, digest.Value.ToByteArray());
    }

    /// <summary>The requested scheme (0 = the key's default).</summary>
    public static SignatureScheme Scheme(Pb.SignatureScheme scheme) =>
        scheme == Pb.SignatureScheme.Unspecified ? 0
        : System.Enum.IsDefined((SignatureScheme)(int)scheme) ? (SignatureScheme)(int)scheme
        : throw new CustodyException(CustodyStatus.InvalidArgument, $"Signature scheme {(int)scheme} is unknown.");

    /// <summary>The metadata fields recorded in audit entries (names fixed; labels as "key=value").</summary>
    public static IReadOnlyDictionary<string, string> Summary(Pb.ArtifactMetadata? metadata)
    {
        var summary = new Dictionary<string, string>(StringComparer.Ordinal);
        if (metadata is null)
        {
            return summary;
        }

        void Put(string name, string value)
        {
            if (value.Length > 0)
            {
                summary[name] = value.Length > 1024 ? value[..1024] : value;
            }
        }

        Put("name", metadata.Name);
        Put("version", metadata.Version);
        Put("repository", metadata.Repository);
        Put("commit", metadata.Commit);
        Put("pipeline_run", metadata.PipelineRun);
        Put("labels", string.Join(';', metadata.Labels.OrderBy(l => l.Key, StringComparer.Ordinal).Select(l => $"{l.Key}={l.Value}")));
        return summary;
    }

    /// <summary>The v1 state for a governance state (Approved has no v1 value, see <see cref="SigningRequestState.Approved"/>).</summary>
    public static Pb.SigningRequestState State(SigningRequest request) => request.State switch
    {
        SigningRequestState.Approved => request.PresenceRequired ? Pb.SigningRequestState.PresenceActive : Pb.SigningRequestState.AwaitingApprovals,
        var s => (Pb.SigningRequestState)(int)s,
    };

    /// <summary>The request as the API shows it.</summary>
    public static Pb.SigningRequest Request(RequestView view, DateTimeOffset now, AuditReceipt? receipt)
    {
        SigningRequest r = view.Request;
        var message = new Pb.SigningRequest
        {
            RequestId = r.Id,
            Key = r.Key.Value,
            Digest = new Pb.Digest { Algorithm = (Pb.DigestAlgorithm)(int)r.DigestAlgorithm, Value = ByteString.CopyFrom(r.Digest.Span) },
            Scheme = (Pb.SignatureScheme)(int)view.Extras.Scheme,
            Requester = new Pb.Identity { Subject = r.Requester.Subject, CertificateSha256 = view.Extras.RequesterSha256 ?? string.Empty },
            PolicyVersion = r.PolicyVersion,
            State = State(r),
            ApprovalsRequired = r.ApprovalsRequired,
            ApprovalsReceived = r.LiveApprovals(now),
            ApproverGroup = r.ApproverGroup ?? string.Empty,
            PresenceRequired = r.PresenceRequired,
            CreatedAt = Timestamp.FromDateTimeOffset(r.CreatedAt),
            ExpiresAt = Timestamp.FromDateTimeOffset(r.ExpiresAt),
            PresenceCode = r.OwnsButton ? r.PresenceCode : string.Empty,
            StateReason = r.StateReason ?? string.Empty,
            Nonce = r.Nonce,
        };
        message.Requester.San.AddRange(r.Requester.SubjectAlternativeNames);
        if (view.Extras.Metadata is { } metadata)
        {
            message.Metadata = Pb.ArtifactMetadata.Parser.ParseFrom(metadata);
        }

        if (view.Extras.Provenance is { } provenance)
        {
            message.Provenance = Pb.Provenance.Parser.ParseFrom(provenance);
        }

        foreach (ApprovalRecord vote in r.Votes)
        {
            message.Approvals.Add(new Pb.ApprovalRecord
            {
                Officer = vote.Officer,
                SshKeyFingerprint = vote.KeyFingerprint,
                Approve = vote.Action == ApprovalAction.Approve,
                At = Timestamp.FromDateTimeOffset(vote.At),
            });
        }

        if (view.Signature is { } signature && r.State == SigningRequestState.Signed)
        {
            message.Signature = ByteString.CopyFrom(signature);
        }

        if (receipt is not null)
        {
            message.Receipt = Receipt(receipt);
        }

        return message;
    }

    /// <summary>An audit receipt.</summary>
    public static Pb.Receipt Receipt(AuditReceipt receipt)
    {
        var message = new Pb.Receipt
        {
            Entry = ByteString.CopyFrom(receipt.Entry),
            LeafIndex = receipt.LeafIndex,
            Checkpoint = receipt.Checkpoint,
            Json = System.Text.Encoding.UTF8.GetString(receipt.ToJson()),
        };
        message.InclusionProof.AddRange(receipt.InclusionProof.Select(h => ByteString.CopyFrom(h)));
        return message;
    }

    /// <summary>An approval statement.</summary>
    public static Pb.ApprovalStatement Statement(ApprovalStatement statement) => new()
    {
        RequestId = statement.RequestId,
        Statement = ByteString.CopyFrom(statement.ToBytes()),
        Namespace = ApprovalStatement.Namespace,
        ExpiresAt = Timestamp.FromDateTimeOffset(statement.ExpiresAt),
    };

    /// <summary>A key as the inventory shows it.</summary>
    public static Pb.Key Key(ServedKey key, (long Count, DateTimeOffset? LastUsed) usage)
    {
        byte[] spki = key.Record.SubjectPublicKeyInfo;
        var message = new Pb.Key
        {
            Name = key.Record.Name.Value,
            Algorithm = (Pb.KeyAlgorithm)(int)key.Record.Algorithm,
            Status = key.Record.Status switch
            {
                "active" => Pb.KeyStatus.Active,
                "retiring" => Pb.KeyStatus.Retiring,
                "retired" => Pb.KeyStatus.Retired,
                "revoked" => Pb.KeyStatus.Revoked,
                "frozen" => Pb.KeyStatus.Frozen,
                _ => Pb.KeyStatus.Unspecified,
            },
            PublicKeyPem = PublicKeyFormats.ToPem(spki),
            PublicKeySpki = ByteString.CopyFrom(spki),
            OpensshPublicKey = PublicKeyFormats.ToOpenSsh(spki, key.Record.Name.Value),
            PolicyVersion = key.Policy.Version,
            RiskTier = key.Policy.RiskTier == RiskTier.High ? "high" : "low",
            BackupCapable = key.Record.BackupCapable,
            CreatedAt = Timestamp.FromDateTimeOffset(key.Record.CreatedAt),
            SignatureCount = usage.Count,
            PolicyJson = key.Policy.ToCanonicalJson(),
        };
        if (usage.LastUsed is { } last)
        {
            message.LastUsedAt = Timestamp.FromDateTimeOffset(last);
        }

        return message;
    }
}
