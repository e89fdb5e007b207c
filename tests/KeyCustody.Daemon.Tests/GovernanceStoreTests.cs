// SPDX-License-Identifier: Apache-2.0
using System.Security.Cryptography;
using KeyCustody.Audit;
using KeyCustody.Core;
using KeyCustody.Core.Ports;
using KeyCustody.Governance;
using KeyCustody.Storage;
using KeyCustody.Testing;
using Microsoft.Data.Sqlite;

namespace KeyCustody.Daemon.Tests;

/// <summary>The governance tables beside a real SQLite audit log (software signer and counter): state and entry commit together.</summary>
public sealed class GovernanceStoreTests : IAsyncLifetime
{
    private readonly TempDirectory _dir = new("gov-store");
    private readonly EcdsaAuditSigner _signer = EcdsaAuditSigner.Generate();
    private readonly InMemoryMonotonicCounter _counter = new();
    private SqliteAuditLog _log = null!;
    private GovernanceStore _store = null!;

    public async Task InitializeAsync()
    {
        _log = await OpenAsync();
        _store = new GovernanceStore(_log.OpenReadConnection);
    }

    public async Task DisposeAsync()
    {
        await _log.DisposeAsync();
        _signer.Dispose();
        _dir.Dispose();
    }

    private Task<SqliteAuditLog> OpenAsync() => SqliteAuditLog.OpenAsync(new SqliteAuditLogOptions
    {
        DatabasePath = _dir.File("keycustody.db"),
        Origin = "test/gov",
        Signer = _signer,
        Counter = _counter,
        AdditionalMigrations = GovernanceSchema.Migrations,
        CheckpointInterval = TimeSpan.FromMilliseconds(10),
    });

    private static KeyPolicy Policy() => KeyPolicy.Parse("""
        { "version": 1, "key": "rel", "riskTier": "high", "allowedCallers": [{ "subject": "CN=ci" }],
          "allowedDigests": ["sha256"], "approvals": { "required": 2, "group": "ops" } }
        """);

    private static SigningRequest NewRequest(string id, string? nonce = null) =>
        SigningRequest.Create(id, Policy(), new CallerIdentity("CN=ci"), DigestAlgorithm.Sha256, SHA256.HashData([1, 2, 3]),
            nonce ?? StatementText.NewNonce(), DateTimeOffset.UtcNow);

    private static StoredRequest Stored(SigningRequest request, byte[]? signature = null) =>
        new(request.ToSnapshot(), (int)SignatureScheme.EcdsaDer, [7], null, "token-" + request.Id, signature, null, null);

    private static byte[] Entry(string type) => AuditEntry.Create(type, DateTimeOffset.UtcNow).Add("test", true).ToUtf8();

    [Fact]
    public async Task WriteRequest_WithItsEntry_IsReadBackWithTheEntryIndex()
    {
        // Arrange
        SigningRequest request = NewRequest("req-a");

        // Act
        AuditAppendResult appended = await _log.AppendAsync(Entry("signing.requested"), (c, t) => GovernanceStore.WriteRequest(c, t, Stored(request), signedEntry: false));
        StoredRequest? read = await _store.GetRequestAsync("req-a");

        // Assert
        Assert.NotNull(read);
        Assert.Equal(request.ToSnapshot(), read!.Snapshot);
        Assert.Equal(appended.Index, read.LastIndex);
        Assert.Null(read.SignedIndex);
        Assert.Equal([7], read.Metadata);
        Assert.Single(await _store.LoadOpenRequestsAsync());
    }

    [Fact]
    public async Task WriteRequest_Signed_RecordsSignatureAndSignedIndexAndLeavesOpenList()
    {
        // Arrange
        SigningRequest request = NewRequest("req-b");
        await _log.AppendAsync(Entry("signing.requested"), (c, t) => GovernanceStore.WriteRequest(c, t, Stored(request), signedEntry: false));
        request.MarkFailed("test", DateTimeOffset.UtcNow);

        // Act
        AuditAppendResult signed = await _log.AppendAsync(Entry("signing.failed"), (c, t) => GovernanceStore.WriteRequest(c, t, Stored(request, [9, 9]), signedEntry: true));
        StoredRequest? read = await _store.GetRequestAsync("req-b");

        // Assert
        Assert.Equal(signed.Index, read!.SignedIndex);
        Assert.Equal([9, 9], read.Signature);
        Assert.Equal(SigningRequestState.Failed, read.Snapshot.State);
        Assert.Empty(await _store.LoadOpenRequestsAsync());
    }

    [Fact]
    public async Task WriteRequest_NonceOfAnotherRequest_FailsAndNothingIsAppended()
    {
        // Arrange
        string nonce = StatementText.NewNonce();
        await _log.AppendAsync(Entry("signing.requested"), (c, t) => GovernanceStore.WriteRequest(c, t, Stored(NewRequest("req-c", nonce)), signedEntry: false));
        long size = _log.Size;

        // Act
        await Assert.ThrowsAsync<SqliteException>(async () =>
            await _log.AppendAsync(Entry("signing.requested"), (c, t) => GovernanceStore.WriteRequest(c, t, Stored(NewRequest("req-d", nonce)), signedEntry: false)));

        // Assert
        Assert.Equal(size, _log.Size);
        Assert.Null(await _store.GetRequestAsync("req-d"));
    }

    [Fact]
    public async Task History_And_ClientToken_FindEarlierRequests()
    {
        // Arrange
        SigningRequest request = NewRequest("req-e");
        await _log.AppendAsync(Entry("signing.requested"), (c, t) => GovernanceStore.WriteRequest(c, t, Stored(request), signedEntry: false));

        // Act
        IReadOnlyList<RequestHistoryEntry> history = await _store.LoadHistoryAsync(KeyName.Parse("rel"), DateTimeOffset.UtcNow.AddHours(-1));
        StoredRequest? byToken = await _store.FindByClientTokenAsync("CN=ci", "token-req-e");

        // Assert
        Assert.Single(history);
        Assert.Equal("CN=ci", history[0].Caller);
        Assert.Equal("req-e", byToken?.Snapshot.Id);
    }

    [Fact]
    public async Task Genesis_RosterKeysPolicies_SurviveReopen()
    {
        // Arrange
        var roster = new Roster([new Officer("ann", [SshPublicKey.Parse("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIIOMwu24GfT+6m8X/BPp7Ps4Z5vaFsHBPB6T1xKHwe/h ann")], ["ops"])], [], 1);
        var key = new GovernanceKeyRecord(KeyName.Parse("rel"), KeyAlgorithm.EcdsaP256, GovernanceKeyRecord.Active, 1, [1, 2], false, DateTimeOffset.UtcNow, 0, null);
        await _log.AppendAsync(Entry("ceremony.completed"), (c, t) =>
        {
            GovernanceStore.WriteRoster(c, t, roster, DateTimeOffset.UtcNow);
            GovernanceStore.WriteKey(c, t, key);
            GovernanceStore.WritePolicy(c, t, Policy(), DateTimeOffset.UtcNow);
            GovernanceStore.WriteMeta(c, t, "genesis", "now");
        });
        await _log.AppendAsync(Entry("signing.signed"), (c, t) => GovernanceStore.WriteKeyUse(c, t, key.Name, DateTimeOffset.UtcNow));

        // Act
        await _log.DisposeAsync();
        _log = await OpenAsync();
        var store = new GovernanceStore(_log.OpenReadConnection);

        // Assert
        Assert.True(await store.HasGenesisAsync());
        Assert.Equal("ann", (await store.LoadRosterAsync())!.Officers.Single().Name);
        GovernanceKeyRecord loaded = (await store.LoadKeysAsync()).Single();
        Assert.Equal(1, loaded.SignatureCount);
        Assert.NotNull(loaded.LastUsedAt);
        Assert.Equal(Policy().ToCanonicalJson(), (await store.LoadCurrentPoliciesAsync()).Single().Document);
    }
}
