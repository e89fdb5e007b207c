// SPDX-License-Identifier: Apache-2.0
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Google.Protobuf;
using KeyCustody.Grpc;
using KeyCustody.Grpc.Client;
using KeyCustody.Grpc.Health;
using KeyCustody.Testing;
using Pb = KeyCustody.Protocol.V1;
using ServingStatus = KeyCustody.Grpc.Health.V1.HealthCheckResponse.Types.ServingStatus;

namespace KeyCustody.IntegrationTests.Infrastructure;

/// <summary>
/// One development appliance (<c>keycustodyd dev</c> as a separate process, with its own swtpm and SoftHSM2
/// token) in a private temporary state directory, shared by the tests of one class. Subclasses choose a genesis.
/// </summary>
public class DevApplianceFixture : IAsyncLifetime
{
    private readonly TempDirectory _directory = new("kc-appliance");

    /// <summary>The state directory.</summary>
    public string State => _directory.Path;

    /// <summary>The running daemon.</summary>
    public DaemonProcess Daemon { get; private set; } = null!;

    /// <summary>What the daemon printed as its start-up result ("SERVING" or "NOT_SERVING (…): …").</summary>
    public string StartStatus { get; private set; } = string.Empty;

    /// <summary>The https address of the TLS endpoint.</summary>
    public string Address { get; private set; } = string.Empty;

    /// <summary>A path under the state directory.</summary>
    public string PathOf(params string[] parts) => Path.Combine([State, .. parts]);

    /// <summary>The genesis document to start with, or null for the built-in default.</summary>
    protected virtual string? GenesisJson => null;

    /// <summary>Extra environment variables for the daemon process, or null.</summary>
    protected virtual IReadOnlyDictionary<string, string>? DaemonEnvironment => null;

    /// <inheritdoc />
    public virtual async Task InitializeAsync()
    {
        if (GenesisJson is { } genesis)
        {
            await File.WriteAllTextAsync(PathOf("genesis.json"), genesis);
        }

        await StartAsync();
    }

    /// <summary>Starts (or restarts) the daemon on the same state directory.</summary>
    public async Task StartAsync()
    {
        string[] extra = File.Exists(PathOf("genesis.json")) ? ["--genesis", PathOf("genesis.json")] : [];
        (Daemon, StartStatus) = await DaemonProcess.StartDevAsync(State, DaemonEnvironment, extra);
        using JsonDocument cli = JsonDocument.Parse(await File.ReadAllTextAsync(PathOf("cli.json")));
        Address = cli.RootElement.GetProperty("address").GetString()!;
    }

    /// <summary>Stops the daemon with SIGTERM and waits for it.</summary>
    public async Task<int> StopAsync()
    {
        int code = await Daemon.StopAsync();
        await Daemon.DisposeAsync();
        return code;
    }

    /// <summary>A channel presenting <paramref name="clientCertificate"/> (a file stem under tls/, e.g. "ci-client"), or none.</summary>
    public GrpcChannel Channel(string? clientCertificate = "ci-client")
    {
        X509Certificate2Collection ca = [];
        ca.ImportFromPemFile(PathOf("tls", "ca.pem"));
        X509Certificate2? client = clientCertificate is null
            ? null
            : X509Certificate2.CreateFromPemFile(PathOf("tls", clientCertificate + ".pem"), PathOf("tls", clientCertificate + ".key"));
        return GrpcChannel.ForAddress(Address, new GrpcChannelOptions
        {
            TrustedCertificateAuthorities = [.. ca],
            ClientCertificate = client,
        });
    }

    /// <summary>A client for the appliance's API.</summary>
    public ApplianceClient Client(string? clientCertificate = "ci-client") => new(Channel(clientCertificate));

    /// <inheritdoc />
    public virtual async Task DisposeAsync()
    {
        if (Daemon is not null)
        {
            await Daemon.DisposeAsync();
        }

        _directory.Dispose();
    }
}

/// <summary>Typed calls to the v1 API over our gRPC client.</summary>
public sealed class ApplianceClient(GrpcChannel channel) : IDisposable
{
    private static CallOptions Options => CallOptions.WithTimeout(TimeSpan.FromSeconds(60));

    /// <summary>The channel.</summary>
    public GrpcChannel Channel => channel;

    /// <summary>grpc.health.v1 Check.</summary>
    public Task<ServingStatus> HealthAsync(string service = "") => new HealthClient(channel).CheckAsync(service, Options);

    public Task<Pb.SignResponse> SignAsync(Pb.SignRequest request) =>
        channel.UnaryAsync("/keycustody.v1.SigningService/Sign", request, Pb.SignResponse.Parser, Options);

    public Task<UnaryResult<Pb.SignResponse>> SignCallAsync(Pb.SignRequest request) =>
        channel.UnaryCallAsync("/keycustody.v1.SigningService/Sign", request, Pb.SignResponse.Parser, Options);

    public async Task<Pb.SigningRequest> SubmitAsync(Pb.SubmitSigningRequestRequest request) =>
        (await channel.UnaryAsync("/keycustody.v1.SigningService/SubmitSigningRequest", request, Pb.SubmitSigningRequestResponse.Parser, Options)).Request;

    public Task<Pb.SigningRequest> GetAsync(string id) =>
        channel.UnaryAsync("/keycustody.v1.SigningService/GetSigningRequest", new Pb.GetSigningRequestRequest { RequestId = id }, Pb.SigningRequest.Parser, Options);

    public ServerStreamingCall<Pb.SigningRequest> Watch(string id, TimeSpan timeout) =>
        channel.ServerStreamingAsync("/keycustody.v1.SigningService/WatchSigningRequest", new Pb.WatchSigningRequestRequest { RequestId = id },
            Pb.SigningRequest.Parser, CallOptions.WithTimeout(timeout));

    public Task<Pb.SigningRequest> CancelAsync(string id) =>
        channel.UnaryAsync("/keycustody.v1.SigningService/CancelSigningRequest", new Pb.CancelSigningRequestRequest { RequestId = id }, Pb.SigningRequest.Parser, Options);

    public Task<Pb.ListPendingRequestsResponse> PendingAsync(string officer = "") =>
        channel.UnaryAsync("/keycustody.v1.ApprovalService/ListPendingRequests", new Pb.ListPendingRequestsRequest { Officer = officer },
            Pb.ListPendingRequestsResponse.Parser, Options);

    public Task<Pb.ApprovalStatement> StatementAsync(string id, bool deny = false) =>
        channel.UnaryAsync("/keycustody.v1.ApprovalService/GetApprovalStatement", new Pb.GetApprovalStatementRequest { RequestId = id, Deny = deny },
            Pb.ApprovalStatement.Parser, Options);

    public Task<Pb.ApproveResponse> ApproveAsync(string id, byte[] statement, string signature) =>
        channel.UnaryAsync("/keycustody.v1.ApprovalService/Approve",
            new Pb.ApproveRequest { RequestId = id, Statement = ByteString.CopyFrom(statement), SshSignature = signature }, Pb.ApproveResponse.Parser, Options);

    public Task<Pb.DenyResponse> DenyAsync(string id, byte[] statement, string signature) =>
        channel.UnaryAsync("/keycustody.v1.ApprovalService/Deny",
            new Pb.DenyRequest { RequestId = id, Statement = ByteString.CopyFrom(statement), SshSignature = signature }, Pb.DenyResponse.Parser, Options);

    public Task<Pb.Key> KeyAsync(string name) =>
        channel.UnaryAsync("/keycustody.v1.KeyService/GetKey", new Pb.GetKeyRequest { Name = name }, Pb.Key.Parser, Options);

    public Task<Pb.GetAuditKeyResponse> AuditKeyAsync() =>
        channel.UnaryAsync("/keycustody.v1.AuditService/GetAuditKey", new Pb.GetAuditKeyRequest(), Pb.GetAuditKeyResponse.Parser, Options);

    public Task<Pb.Receipt> ReceiptAsync(string requestId) =>
        channel.UnaryAsync("/keycustody.v1.AuditService/GetReceipt", new Pb.GetReceiptRequest { RequestId = requestId }, Pb.Receipt.Parser, Options);

    public Task<Pb.ListEntriesResponse> EntriesAsync(long start, int limit = 1000) =>
        channel.UnaryAsync("/keycustody.v1.AuditService/ListEntries", new Pb.ListEntriesRequest { Start = start, Limit = limit },
            Pb.ListEntriesResponse.Parser, Options);

    /// <summary>Every audit entry as parsed JSON (type, fields).</summary>
    public async Task<IReadOnlyList<JsonElement>> AllEntriesAsync()
    {
        var all = new List<JsonElement>();
        long start = 0;
        while (true)
        {
            Pb.ListEntriesResponse page = await EntriesAsync(start);
            foreach (Pb.AuditEntry entry in page.Entries)
            {
                all.Add(JsonDocument.Parse(entry.Entry.ToByteArray()).RootElement.Clone());
            }

            start += page.Entries.Count;
            if (page.Entries.Count == 0 || start >= page.TreeSize)
            {
                return all;
            }
        }
    }

    /// <inheritdoc />
    public void Dispose() => channel.Dispose();
}
