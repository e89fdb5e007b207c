// SPDX-License-Identifier: Apache-2.0
using Google.Protobuf;
using KeyCustody.Audit;
using KeyCustody.Core;
using KeyCustody.Daemon.Edge;
using KeyCustody.Governance;
using KeyCustody.Grpc;
using CallerIdentity = KeyCustody.Governance.CallerIdentity;
using Pb = KeyCustody.Protocol.V1;

namespace KeyCustody.Daemon.Services;

/// <summary>keycustody.v1.SigningService: CI clients, authenticated by their mTLS certificate.</summary>
internal sealed class SigningServiceHandler(ServiceContext services)
{
    private const string Service = "/keycustody.v1.SigningService/";

    /// <summary>Registers the methods.</summary>
    public void Register(GrpcServiceRegistry registry, GrpcEdge edge)
    {
        registry.AddUnary(Service + "SubmitSigningRequest", Pb.SubmitSigningRequestRequest.Parser,
            edge.Unary<Pb.SubmitSigningRequestRequest, Pb.SubmitSigningRequestResponse>(SubmitAsync));
        registry.AddUnary(Service + "GetSigningRequest", Pb.GetSigningRequestRequest.Parser,
            edge.Unary<Pb.GetSigningRequestRequest, Pb.SigningRequest>(GetAsync));
        registry.AddServerStreaming(Service + "WatchSigningRequest", Pb.WatchSigningRequestRequest.Parser,
            edge.Streaming<Pb.WatchSigningRequestRequest, Pb.SigningRequest>(WatchAsync));
        registry.AddUnary(Service + "CancelSigningRequest", Pb.CancelSigningRequestRequest.Parser,
            edge.Unary<Pb.CancelSigningRequestRequest, Pb.SigningRequest>(CancelAsync));
        registry.AddUnary(Service + "Sign", Pb.SignRequest.Parser, edge.Unary<Pb.SignRequest, Pb.SignResponse>(SignAsync));
    }

    private async Task<Pb.SubmitSigningRequestResponse> SubmitAsync(Pb.SubmitSigningRequestRequest request, ServerCallContext context)
    {
        (CallerIdentity caller, string sha256) = ProtoMapping.RequireCaller(context);
        (DigestAlgorithm algorithm, byte[] digest) = ProtoMapping.Digest(request.Digest);
        var submission = new Submission(caller, sha256, request.Key, algorithm, digest, ProtoMapping.Scheme(request.Scheme),
            request.Metadata?.ToByteArray(), request.Provenance?.ToByteArray(), ProtoMapping.Summary(request.Metadata),
            request.ClientToken.Length > 0 ? request.ClientToken : null);
        RequestView view = await services.Engine.SubmitAsync(submission, context.CancellationToken).ConfigureAwait(false);
        return new Pb.SubmitSigningRequestResponse { Request = await ToMessageAsync(view, context.CancellationToken).ConfigureAwait(false) };
    }

    private async Task<Pb.SigningRequest> GetAsync(Pb.GetSigningRequestRequest request, ServerCallContext context)
    {
        // Reading a request is open to every caller that reaches the API, as ListPendingRequests is for officers.
        RequestView view = await services.Engine.GetAsync(request.RequestId, context.CancellationToken).ConfigureAwait(false);
        return await ToMessageAsync(view, context.CancellationToken).ConfigureAwait(false);
    }

    private async Task WatchAsync(Pb.WatchSigningRequestRequest request, IServerStreamWriter<Pb.SigningRequest> writer, ServerCallContext context)
    {
        SigningEngine engine = services.Engine;
        var changed = new SemaphoreSlim(0);
        void OnChanged(string id)
        {
            if (id == request.RequestId)
            {
                changed.Release();
            }
        }

        engine.RequestChanged += OnChanged;
        try
        {
            Pb.SigningRequest? last = null;
            while (true)
            {
                RequestView view = await engine.GetAsync(request.RequestId, context.CancellationToken).ConfigureAwait(false);
                Pb.SigningRequest message = await ToMessageAsync(view, context.CancellationToken).ConfigureAwait(false);
                if (!message.Equals(last))
                {
                    await writer.WriteAsync(message, context.CancellationToken).ConfigureAwait(false);
                    last = message;
                }

                if (view.Request.IsTerminal)
                {
                    return;
                }

                // Wake on a change, or every few seconds so approval counts that lapse with time are seen too.
                await changed.WaitAsync(TimeSpan.FromSeconds(5), context.CancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            engine.RequestChanged -= OnChanged;
        }
    }

    private async Task<Pb.SigningRequest> CancelAsync(Pb.CancelSigningRequestRequest request, ServerCallContext context)
    {
        (CallerIdentity caller, _) = ProtoMapping.RequireCaller(context);
        RequestView view = await services.Engine.CancelAsync(caller, request.RequestId, request.Reason, context.CancellationToken).ConfigureAwait(false);
        return await ToMessageAsync(view, context.CancellationToken).ConfigureAwait(false);
    }

    private async Task<Pb.SignResponse> SignAsync(Pb.SignRequest request, ServerCallContext context)
    {
        (CallerIdentity caller, string sha256) = ProtoMapping.RequireCaller(context);
        (DigestAlgorithm algorithm, byte[] digest) = ProtoMapping.Digest(request.Digest);
        var submission = new Submission(caller, sha256, request.Key, algorithm, digest, ProtoMapping.Scheme(request.Scheme),
            request.Metadata?.ToByteArray(), request.Provenance?.ToByteArray(), ProtoMapping.Summary(request.Metadata), null);
        SignOutcome outcome = await services.Engine.SignNowAsync(submission, context.CancellationToken).ConfigureAwait(false);
        return new Pb.SignResponse
        {
            RequestId = outcome.Request.Id,
            Signature = ByteString.CopyFrom(outcome.Signature),
            Receipt = ProtoMapping.Receipt(outcome.Receipt),
            Scheme = (Pb.SignatureScheme)(int)outcome.Scheme,
        };
    }

    private async Task<Pb.SigningRequest> ToMessageAsync(RequestView view, CancellationToken cancellationToken)
    {
        AuditReceipt? receipt = view.SignedIndex is { } index
            ? await services.Audit.GetReceiptAsync(index, cancellationToken).ConfigureAwait(false)
            : null;
        return ProtoMapping.Request(view, services.Time.GetUtcNow(), receipt);
    }
}
