// SPDX-License-Identifier: Apache-2.0
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Google.Protobuf;
using KeyCustody.Core;
using KeyCustody.Grpc.Client;
using KeyCustody.Protocol.V1;

namespace KeyCustody.Cli.Connection;

/// <summary><see cref="IApplianceClient"/> over our own gRPC channel (TLS with a CA or a pinned certificate, mTLS, or a Unix socket).</summary>
public sealed class GrpcApplianceClient : IApplianceClient
{
    private const string Signing = "/keycustody.v1.SigningService/";
    private const string Approvals = "/keycustody.v1.ApprovalService/";
    private const string Keys = "/keycustody.v1.KeyService/";
    private const string Audit = "/keycustody.v1.AuditService/";

    private readonly GrpcChannel _channel;
    private readonly TimeSpan _callTimeout;

    private GrpcApplianceClient(GrpcChannel channel, TimeSpan callTimeout)
    {
        _channel = channel;
        _callTimeout = callTimeout;
    }

    /// <summary>Opens a channel to <see cref="ConnectionSettings.Address"/> with the configured TLS material.</summary>
    /// <exception cref="CustodyException">InvalidArgument when a certificate or key file cannot be read.</exception>
    public static GrpcApplianceClient Create(ConnectionSettings settings, TimeSpan callTimeout)
    {
        string address = settings.RequireAddress();
        var options = new GrpcChannelOptions
        {
            TrustedCertificateAuthorities = settings.CaCertificatePath is { } ca ? LoadCertificates(ca) : [],
            PinnedServerCertificate = settings.PinnedCertificatePath is { } pinned ? LoadCertificates(pinned)[0] : null,
            ClientCertificate = settings.ClientCertificatePath is { } cert ? LoadClientCertificate(cert, settings.ClientKeyPath) : null,
        };
        var channel = GrpcChannel.ForAddress(address, options);
        return new GrpcApplianceClient(channel, callTimeout);
    }

    /// <inheritdoc />
    public Task<Key> GetKeyAsync(string name, CancellationToken cancellationToken) =>
        UnaryAsync(Keys + "GetKey", new GetKeyRequest { Name = name }, Key.Parser, cancellationToken);

    /// <inheritdoc />
    public Task<ListKeysResponse> ListKeysAsync(CancellationToken cancellationToken) =>
        UnaryAsync(Keys + "ListKeys", new ListKeysRequest(), ListKeysResponse.Parser, cancellationToken);

    /// <inheritdoc />
    public Task<SignResponse> SignAsync(SignRequest request, CancellationToken cancellationToken) =>
        UnaryAsync(Signing + "Sign", request, SignResponse.Parser, cancellationToken);

    /// <inheritdoc />
    public Task<SubmitSigningRequestResponse> SubmitSigningRequestAsync(SubmitSigningRequestRequest request, CancellationToken cancellationToken) =>
        UnaryAsync(Signing + "SubmitSigningRequest", request, SubmitSigningRequestResponse.Parser, cancellationToken);

    /// <inheritdoc />
    public Task<SigningRequest> GetSigningRequestAsync(string requestId, CancellationToken cancellationToken) =>
        UnaryAsync(Signing + "GetSigningRequest", new GetSigningRequestRequest { RequestId = requestId }, SigningRequest.Parser, cancellationToken);

    /// <inheritdoc />
    public async IAsyncEnumerable<SigningRequest> WatchSigningRequestAsync(string requestId, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        // No deadline: the stream lasts as long as the request waits for people.
        var call = _channel.ServerStreamingAsync(Signing + "WatchSigningRequest", new WatchSigningRequestRequest { RequestId = requestId },
            SigningRequest.Parser, new CallOptions { CancellationToken = cancellationToken });
        await foreach (SigningRequest update in call.WithCancellation(cancellationToken))
        {
            yield return update;
        }
    }

    /// <inheritdoc />
    public Task<ListPendingRequestsResponse> ListPendingRequestsAsync(string? officer, CancellationToken cancellationToken) =>
        UnaryAsync(Approvals + "ListPendingRequests", new ListPendingRequestsRequest { Officer = officer ?? string.Empty },
            ListPendingRequestsResponse.Parser, cancellationToken);

    /// <inheritdoc />
    public Task<ApprovalStatement> GetApprovalStatementAsync(string requestId, bool deny, CancellationToken cancellationToken) =>
        UnaryAsync(Approvals + "GetApprovalStatement", new GetApprovalStatementRequest { RequestId = requestId, Deny = deny },
            ApprovalStatement.Parser, cancellationToken);

    /// <inheritdoc />
    public Task<ApproveResponse> ApproveAsync(ApproveRequest request, CancellationToken cancellationToken) =>
        UnaryAsync(Approvals + "Approve", request, ApproveResponse.Parser, cancellationToken);

    /// <inheritdoc />
    public Task<DenyResponse> DenyAsync(DenyRequest request, CancellationToken cancellationToken) =>
        UnaryAsync(Approvals + "Deny", request, DenyResponse.Parser, cancellationToken);

    /// <inheritdoc />
    public Task<Receipt> GetReceiptAsync(string requestId, CancellationToken cancellationToken) =>
        UnaryAsync(Audit + "GetReceipt", new GetReceiptRequest { RequestId = requestId }, Receipt.Parser, cancellationToken);

    /// <inheritdoc />
    public Task<GetAuditKeyResponse> GetAuditKeyAsync(CancellationToken cancellationToken) =>
        UnaryAsync(Audit + "GetAuditKey", new GetAuditKeyRequest(), GetAuditKeyResponse.Parser, cancellationToken);

    /// <inheritdoc />
    public ValueTask DisposeAsync()
    {
        _channel.Dispose();
        return ValueTask.CompletedTask;
    }

    private Task<TResponse> UnaryAsync<TRequest, TResponse>(string method, TRequest request, MessageParser<TResponse> parser, CancellationToken cancellationToken)
        where TRequest : IMessage<TRequest>
        where TResponse : IMessage<TResponse> =>
        _channel.UnaryAsync(method, request, parser, CallOptions.WithTimeout(_callTimeout, cancellationToken: cancellationToken));

    private static X509Certificate2[] LoadCertificates(string path)
    {
        try
        {
            var collection = new X509Certificate2Collection();
            collection.ImportFromPemFile(path);
            return collection.Count > 0
                ? [.. collection]
                : throw new CustodyException(CustodyStatus.InvalidArgument, $"'{path}' holds no PEM certificate");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or CryptographicException)
        {
            throw new CustodyException(CustodyStatus.InvalidArgument, $"cannot read the certificate '{path}': {e.Message}", e);
        }
    }

    private static X509Certificate2 LoadClientCertificate(string certificatePath, string? keyPath)
    {
        try
        {
            using X509Certificate2 withKey = X509Certificate2.CreateFromPemFile(certificatePath, keyPath);

            // SslStream on Linux needs the key in a form it can hand to OpenSSL; a PKCS#12 round trip gives that.
            return X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pkcs12), null);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or CryptographicException or ArgumentException)
        {
            throw new CustodyException(CustodyStatus.InvalidArgument,
                $"cannot load the client certificate '{certificatePath}'{(keyPath is null ? string.Empty : $" with key '{keyPath}'")}: {e.Message}", e);
        }
    }
}
