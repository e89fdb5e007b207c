// SPDX-License-Identifier: Apache-2.0
using KeyCustody.Audit;
using KeyCustody.Core;
using KeyCustody.Core.Ports;
using KeyCustody.Storage;
using Microsoft.Data.Sqlite;
using Xunit;

namespace KeyCustody.Storage.Tests;

public sealed class SqliteAuditLogTests : IAsyncLifetime
{
    private static readonly TimeSpan s_patience = TimeSpan.FromSeconds(60);
    private readonly AuditLogFixture _fixture = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _fixture.DisposeAsync();

    [Fact]
    public async Task AppendAsync_Sequential_ReturnsConsecutiveIndicesAndDurableSize()
    {
        // Arrange
        SqliteAuditLog log = await _fixture.OpenAsync();

        // Act
        var results = new List<AuditAppendResult>();
        for (int i = 0; i < 5; i++)
        {
            results.Add(await log.AppendAsync(AuditLogFixture.Entry(i)));
        }

        // Assert
        Assert.Equal([0L, 1, 2, 3, 4], results.Select(r => r.Index));
        Assert.Equal([1L, 2, 3, 4, 5], results.Select(r => r.TreeSize));
        Assert.Equal(5, log.Size);
        Assert.True(log.IsWritable);
        IReadOnlyList<AuditLogEntry> stored = await log.GetEntriesAsync(0, 10);
        Assert.Equal(Enumerable.Range(0, 5).Select(i => AuditLogFixture.Entry(i)), stored.Select(e => e.Entry));
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("[1,2]")]
    [InlineData("{\"a\":1} {\"b\":2}")]
    [InlineData("")]
    public async Task AppendAsync_NotASingleJsonObject_ThrowsInvalidArgument(string entry)
    {
        // Arrange
        SqliteAuditLog log = await _fixture.OpenAsync();

        // Act
        var ex = await Assert.ThrowsAsync<CustodyException>(() => log.AppendAsync(System.Text.Encoding.UTF8.GetBytes(entry)).AsTask());

        // Assert
        Assert.Equal(CustodyStatus.InvalidArgument, ex.Status);
        Assert.Equal(0, log.Size);
    }

    [Fact]
    public async Task AppendAsync_TooLarge_ThrowsMessageTooLarge()
    {
        // Arrange
        SqliteAuditLog log = await _fixture.OpenAsync();
        byte[] entry = System.Text.Encoding.UTF8.GetBytes("{\"x\":\"" + new string('a', AuditEntry.MaxSize) + "\"}");

        // Act
        var ex = await Assert.ThrowsAsync<CustodyException>(() => log.AppendAsync(entry).AsTask());

        // Assert
        Assert.Equal(CustodyStatus.MessageTooLarge, ex.Status);
    }

    [Fact]
    public async Task AppendAsync_64ConcurrentCallers_ShareOneCommit()
    {
        // Arrange: hold the writer inside a first batch while 64 more callers queue up behind it.
        SqliteAuditLog log = await _fixture.OpenAsync(_fixture.Options(checkpointInterval: TimeSpan.FromHours(1)));
        using var inside = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        Task<AuditAppendResult> first = log.AppendAsync(AuditLogFixture.Entry(0), (_, _) =>
        {
            inside.Set();
            release.Wait(s_patience);
        }).AsTask();
        Assert.True(inside.Wait(s_patience));

        // Act
        Task<AuditAppendResult>[] queued = [.. Enumerable.Range(1, 64).Select(i => log.AppendAsync(AuditLogFixture.Entry(i)).AsTask())];
        release.Set();
        AuditAppendResult[] results = await Task.WhenAll(queued).WaitAsync(s_patience);
        await first;

        // Assert: two commits carried 65 entries, and every caller was answered with the size of its own commit.
        Assert.Equal(2, log.CommitCount);
        Assert.Equal(Enumerable.Range(1, 64).Select(i => (long)i), results.Select(r => r.Index).Order());
        Assert.All(results, r => Assert.Equal(65, r.TreeSize));
        Assert.Equal(65, log.Size);
    }

    [Fact]
    public async Task AppendAsync_WithStateChange_CommitsBothTogether()
    {
        // Arrange
        SqliteAuditLog log = await _fixture.OpenAsync(_fixture.Options(migrations: [RequestsTable]));

        // Act
        AuditAppendResult result = await log.AppendAsync(AuditLogFixture.Entry(0), (connection, transaction) =>
            InsertRequest(connection, transaction, "req-1"));

        // Assert
        using SqliteConnection reader = log.OpenReadConnection();
        Assert.Equal(0, result.Index);
        Assert.Equal(["req-1"], ReadRequests(reader));
    }

    [Fact]
    public async Task AppendAsync_StateChangeThrows_FailsOnlyThatCallerInTheBatch()
    {
        // Arrange: three callers land in one batch; the middle one's state change fails.
        SqliteAuditLog log = await _fixture.OpenAsync(_fixture.Options(migrations: [RequestsTable], checkpointInterval: TimeSpan.FromHours(1)));
        using var inside = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        Task<AuditAppendResult> holder = log.AppendAsync(AuditLogFixture.Entry(0), (_, _) =>
        {
            inside.Set();
            release.Wait(s_patience);
        }).AsTask();
        Assert.True(inside.Wait(s_patience));

        // Act
        Task<AuditAppendResult> before = log.AppendAsync(AuditLogFixture.Entry(1), (c, t) => InsertRequest(c, t, "req-a")).AsTask();
        Task<AuditAppendResult> failing = log.AppendAsync(AuditLogFixture.Entry(2), (c, t) =>
        {
            InsertRequest(c, t, "req-b");
            throw new InvalidOperationException("policy store says no");
        }).AsTask();
        Task<AuditAppendResult> duplicate = log.AppendAsync(AuditLogFixture.Entry(3), (c, t) => InsertRequest(c, t, "req-a")).AsTask();
        Task<AuditAppendResult> after = log.AppendAsync(AuditLogFixture.Entry(4), (c, t) => InsertRequest(c, t, "req-c")).AsTask();
        release.Set();
        await holder.WaitAsync(s_patience);

        // Assert: the thrower gets its own exception, the constraint violation its SqliteException, the rest commit.
        var thrown = await Assert.ThrowsAsync<InvalidOperationException>(() => failing.WaitAsync(s_patience));
        Assert.Equal("policy store says no", thrown.Message);
        var constraint = await Assert.ThrowsAsync<SqliteException>(() => duplicate.WaitAsync(s_patience));
        Assert.Equal(19, constraint.SqliteErrorCode);
        Assert.Equal(1, (await before).Index);
        Assert.Equal(2, (await after).Index);
        Assert.Equal(3, log.Size);
        Assert.True(log.IsWritable);
        using SqliteConnection reader = log.OpenReadConnection();
        Assert.Equal(["req-a", "req-c"], ReadRequests(reader));
        IReadOnlyList<AuditLogEntry> entries = await log.GetEntriesAsync(0, 10);
        Assert.Equal([AuditLogFixture.Entry(0), AuditLogFixture.Entry(1), AuditLogFixture.Entry(4)], entries.Select(e => e.Entry));
    }

    [Fact]
    public async Task AppendAsync_CancelledWhileQueued_IsNotAppended()
    {
        // Arrange
        SqliteAuditLog log = await _fixture.OpenAsync(_fixture.Options(checkpointInterval: TimeSpan.FromHours(1)));
        using var inside = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        Task<AuditAppendResult> holder = log.AppendAsync(AuditLogFixture.Entry(0), (_, _) =>
        {
            inside.Set();
            release.Wait(s_patience);
        }).AsTask();
        Assert.True(inside.Wait(s_patience));
        using var cancellation = new CancellationTokenSource();

        // Act
        Task<AuditAppendResult> withdrawn = log.AppendAsync(AuditLogFixture.Entry(1), cancellation.Token).AsTask();
        await cancellation.CancelAsync();
        release.Set();
        await holder.WaitAsync(s_patience);
        AuditAppendResult next = await log.AppendAsync(AuditLogFixture.Entry(2));

        // Assert
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => withdrawn);
        Assert.Equal(1, next.Index);
        Assert.Equal(2, log.Size);
    }

    [Fact]
    public async Task DisposeAsync_WithQueuedAppends_CommitsThemThenRefusesMore()
    {
        // Arrange
        SqliteAuditLog log = await _fixture.OpenAsync(_fixture.Options(checkpointInterval: TimeSpan.FromHours(1)));
        using var inside = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        Task<AuditAppendResult> holder = log.AppendAsync(AuditLogFixture.Entry(0), (_, _) =>
        {
            inside.Set();
            release.Wait(s_patience);
        }).AsTask();
        Assert.True(inside.Wait(s_patience));
        Task<AuditAppendResult>[] queued = [.. Enumerable.Range(1, 3).Select(i => log.AppendAsync(AuditLogFixture.Entry(i)).AsTask())];

        // Act
        Task disposing = log.DisposeAsync().AsTask();
        release.Set();
        await disposing.WaitAsync(s_patience);

        // Assert: what was queued before closing is durable; nothing is accepted afterwards.
        Assert.Equal([1L, 2, 3], (await Task.WhenAll(queued)).Select(r => r.Index));
        Assert.Equal(0, (await holder).Index);
        Assert.False(log.IsWritable);
        await Assert.ThrowsAsync<ObjectDisposedException>(() => log.AppendAsync(AuditLogFixture.Entry(4)).AsTask());
        SqliteAuditLog reopened = await _fixture.OpenAsync();
        Assert.Equal(4, reopened.Size);
    }

    [Fact]
    public async Task Proofs_EveryIndexAndSizeTo33_MatchTheInMemoryTree()
    {
        // Arrange
        SqliteAuditLog log = await _fixture.OpenAsync();
        var tree = new MerkleTree();
        for (int i = 0; i < 33; i++)
        {
            await log.AppendAsync(AuditLogFixture.Entry(i));
            tree.AppendEntry(AuditLogFixture.Entry(i));
        }

        // Act / Assert
        for (long size = 0; size <= 33; size++)
        {
            Assert.Equal(tree.Root(size), await log.GetRootAsync(size));
            for (long index = 0; index < size; index++)
            {
                Assert.Equal(tree.InclusionProof(index, size), await log.GetInclusionProofAsync(index, size));
            }

            for (long old = 0; old <= size; old++)
            {
                Assert.Equal(tree.ConsistencyProof(old, size), await log.GetConsistencyProofAsync(old, size));
            }
        }
    }

    [Fact]
    public async Task Proofs_OutsideTheDurableLog_ThrowInvalidArgument()
    {
        // Arrange
        SqliteAuditLog log = await _fixture.OpenAsync();
        await log.AppendAsync(AuditLogFixture.Entry(0));

        // Act / Assert
        Assert.Equal(CustodyStatus.InvalidArgument, (await Assert.ThrowsAsync<CustodyException>(() => log.GetInclusionProofAsync(0, 2))).Status);
        Assert.Equal(CustodyStatus.InvalidArgument, (await Assert.ThrowsAsync<CustodyException>(() => log.GetInclusionProofAsync(1, 1))).Status);
        Assert.Equal(CustodyStatus.InvalidArgument, (await Assert.ThrowsAsync<CustodyException>(() => log.GetConsistencyProofAsync(2, 1))).Status);
        Assert.Equal(CustodyStatus.NotFound, (await Assert.ThrowsAsync<CustodyException>(() => log.GetReceiptAsync(1))).Status);
    }

    [Fact]
    public async Task GetReceiptAsync_AppendedEntry_VerifiesOffline()
    {
        // Arrange
        SqliteAuditLog log = await _fixture.OpenAsync();
        for (int i = 0; i < 9; i++)
        {
            await log.AppendAsync(AuditLogFixture.Entry(i));
        }

        // Act
        AuditReceipt receipt = await log.GetReceiptAsync(6).WaitAsync(s_patience);
        ReceiptVerification verified = _fixture.Verifier(log).VerifyReceipt(receipt.ToJson());

        // Assert
        Assert.Equal(6, verified.LeafIndex);
        Assert.Equal(AuditLogFixture.Entry(6), verified.Entry);
        Assert.True(verified.Checkpoint.TreeSize >= 7);
        Assert.Equal((ulong)log.Health.PublishedCheckpoints, await _fixture.Counter.ReadAsync());
    }

    [Fact]
    public async Task ExportAsync_AfterManyCheckpoints_VerifiesWithEveryCheckpoint()
    {
        // Arrange: publish after every append so the export interleaves many checkpoints.
        SqliteAuditLog log = await _fixture.OpenAsync(_fixture.Options(checkpointInterval: TimeSpan.Zero));
        for (int i = 0; i < 12; i++)
        {
            await log.AppendAsync(AuditLogFixture.Entry(i));
            await log.PublishCheckpointAsync().WaitAsync(s_patience);
        }

        using var export = new MemoryStream();

        // Act
        await log.ExportAsync(export);
        export.Position = 0;
        LogVerification verified = _fixture.Verifier(log).VerifyLogExport(export);

        // Assert
        Assert.Equal(12, verified.TreeSize);
        Assert.Equal(12, verified.Checkpoints);
        Assert.Equal(12UL, await _fixture.Counter.ReadAsync());
        Assert.Equal(await log.GetRootAsync(12), verified.RootHash);
    }

    [Fact]
    public async Task ConsistencyProof_BetweenPublishedCheckpoints_Verifies()
    {
        // Arrange
        SqliteAuditLog log = await _fixture.OpenAsync();
        for (int i = 0; i < 5; i++)
        {
            await log.AppendAsync(AuditLogFixture.Entry(i));
        }

        SignedCheckpoint old = await log.PublishCheckpointAsync().WaitAsync(s_patience);
        for (int i = 5; i < 23; i++)
        {
            await log.AppendAsync(AuditLogFixture.Entry(i));
        }

        SignedCheckpoint @new = await log.PublishCheckpointAsync().WaitAsync(s_patience);

        // Act
        IReadOnlyList<byte[]> proof = await log.GetConsistencyProofAsync(old.Checkpoint.TreeSize, @new.Checkpoint.TreeSize);
        ConsistencyVerification verified = _fixture.Verifier(log).VerifyConsistency(old.Note, @new.Note,
            new ConsistencyProofDocument(old.Checkpoint.TreeSize, @new.Checkpoint.TreeSize, proof));

        // Assert
        Assert.Equal(5, verified.Old.TreeSize);
        Assert.Equal(23, verified.New.TreeSize);
    }

    [Fact]
    public async Task Reopen_AfterAppends_KeepsEverythingAndContinues()
    {
        // Arrange
        SqliteAuditLog first = await _fixture.OpenAsync();
        for (int i = 0; i < 10; i++)
        {
            await first.AppendAsync(AuditLogFixture.Entry(i));
        }

        SignedCheckpoint published = await first.PublishCheckpointAsync().WaitAsync(s_patience);
        await first.DisposeAsync();

        // Act
        SqliteAuditLog second = await _fixture.OpenAsync();
        AuditAppendResult next = await second.AppendAsync(AuditLogFixture.Entry(10));

        // Assert
        Assert.Equal(10, next.Index);
        Assert.Equal(published.Note, (await second.GetCheckpointAsync())!.Note);
        AuditReceipt receipt = await second.GetReceiptAsync(10).WaitAsync(s_patience);
        Assert.Equal(10, _fixture.Verifier(second).VerifyReceipt(receipt).LeafIndex);
    }

    [Fact]
    public async Task Open_RestoredOlderCopy_ThrowsAuditRolledBack()
    {
        // Arrange: copy the database after one checkpoint, then publish two more.
        SqliteAuditLog log = await _fixture.OpenAsync(_fixture.Options(checkpointInterval: TimeSpan.Zero));
        await log.AppendAsync(AuditLogFixture.Entry(0));
        await log.PublishCheckpointAsync().WaitAsync(s_patience);
        await log.DisposeAsync();
        File.Copy(_fixture.DatabasePath, _fixture.Temp.File("old-copy.db"));
        log = await _fixture.OpenAsync(_fixture.Options(checkpointInterval: TimeSpan.Zero));
        for (int i = 1; i < 3; i++)
        {
            await log.AppendAsync(AuditLogFixture.Entry(i));
            await log.PublishCheckpointAsync().WaitAsync(s_patience);
        }

        await log.DisposeAsync();
        File.Copy(_fixture.Temp.File("old-copy.db"), _fixture.DatabasePath, overwrite: true);

        // Act
        var ex = await Assert.ThrowsAsync<CustodyException>(() => _fixture.OpenAsync());

        // Assert
        Assert.Equal(CustodyStatus.AuditRolledBack, ex.Status);
        Assert.Contains("holds 1 checkpoints but the TPM counter proves 3 were published", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Open_DeletedDatabaseWithCounterAhead_ThrowsAuditRolledBack()
    {
        // Arrange
        SqliteAuditLog log = await _fixture.OpenAsync();
        await log.AppendAsync(AuditLogFixture.Entry(0));
        await log.PublishCheckpointAsync().WaitAsync(s_patience);
        await log.DisposeAsync();
        File.Delete(_fixture.DatabasePath);

        // Act
        var ex = await Assert.ThrowsAsync<CustodyException>(() => _fixture.OpenAsync());

        // Assert
        Assert.Equal(CustodyStatus.AuditRolledBack, ex.Status);
    }

    [Theory]
    [InlineData("UPDATE audit_entries SET entry = CAST(replace(CAST(entry AS TEXT), '\"n\":3', '\"n\":4') AS BLOB) WHERE idx = 3;", "an entry's bytes")]
    [InlineData("UPDATE audit_entries SET hashes = unhex(hex(substr(hashes, 1, 32)) || hex(zeroblob(32))) WHERE idx = 5;", "a stored tree node")]
    [InlineData("DELETE FROM audit_entries WHERE idx = 7;", "a deleted entry")]
    [InlineData("UPDATE audit_checkpoints SET note = replace(note, 'storage', 'st0rage') WHERE seq = 1;", "a checkpoint note")]
    [InlineData("UPDATE audit_entries SET hashes = unhex(hex(hashes) || hex(zeroblob(32))) WHERE idx = 4;", "a stray extra node hash")]
    [InlineData("UPDATE audit_entries SET hashes = substr(hashes, 1, 32) WHERE idx = 7;", "a missing node hash")]
    public async Task Open_TamperedDatabase_ThrowsAuditCorrupt(string tamper, string what)
    {
        // Arrange
        SqliteAuditLog log = await _fixture.OpenAsync();
        for (int i = 0; i < 10; i++)
        {
            await log.AppendAsync(AuditLogFixture.Entry(i));
        }

        await log.PublishCheckpointAsync().WaitAsync(s_patience);
        await log.DisposeAsync();
        using (SqliteConnection connection = SqliteDatabase.OpenWriteConnection(_fixture.DatabasePath))
        {
            SqliteDatabase.Execute(connection, tamper);
        }

        // Act
        var ex = await Assert.ThrowsAsync<CustodyException>(() => _fixture.OpenAsync());

        // Assert
        Assert.True(ex.Status == CustodyStatus.AuditCorrupt, $"{what}: {ex.Status} {ex.Message}");
    }

    [Fact]
    public async Task Open_CounterReset_ThrowsAuditCorrupt()
    {
        // Arrange
        SqliteAuditLog log = await _fixture.OpenAsync(_fixture.Options(checkpointInterval: TimeSpan.Zero));
        for (int i = 0; i < 3; i++)
        {
            await log.AppendAsync(AuditLogFixture.Entry(i));
            await log.PublishCheckpointAsync().WaitAsync(s_patience);
        }

        await log.DisposeAsync();
        _fixture.Counter = new InMemoryMonotonicCounter();

        // Act
        var ex = await Assert.ThrowsAsync<CustodyException>(() => _fixture.OpenAsync());

        // Assert
        Assert.Equal(CustodyStatus.AuditCorrupt, ex.Status);
        Assert.Contains("counter is only at 0", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Open_CheckpointStoredButNotCounted_AdvancesTheCounter()
    {
        // Arrange: as after a crash between storing checkpoint 2 and incrementing the counter.
        SqliteAuditLog log = await _fixture.OpenAsync(_fixture.Options(checkpointInterval: TimeSpan.Zero));
        for (int i = 0; i < 2; i++)
        {
            await log.AppendAsync(AuditLogFixture.Entry(i));
            await log.PublishCheckpointAsync().WaitAsync(s_patience);
        }

        await log.DisposeAsync();
        await File.WriteAllTextAsync(_fixture.Temp.File("counter"), "1\n");

        // Act
        SqliteAuditLog reopened = await _fixture.OpenAsync();

        // Assert
        Assert.Equal(2UL, await _fixture.Counter.ReadAsync());
        Assert.Equal(2, reopened.Health.PublishedCheckpoints);
        Assert.Equal(2, reopened.Health.PublishedSize);
    }

    [Fact]
    public async Task Open_WithAnotherAuditKey_ThrowsAuditCorrupt()
    {
        // Arrange
        SqliteAuditLog log = await _fixture.OpenAsync();
        await log.AppendAsync(AuditLogFixture.Entry(0));
        await log.DisposeAsync();
        using EcdsaAuditSigner other = EcdsaAuditSigner.Generate();
        SqliteAuditLogOptions options = _fixture.Options();

        // Act
        var ex = await Assert.ThrowsAsync<CustodyException>(() => SqliteAuditLog.OpenAsync(new SqliteAuditLogOptions
        {
            DatabasePath = options.DatabasePath,
            Origin = options.Origin,
            Signer = other,
            Counter = options.Counter,
        }));

        // Assert
        Assert.Equal(CustodyStatus.AuditCorrupt, ex.Status);
        Assert.Contains("different audit key", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Open_LatestCheckpointMode_ChecksRootAgainstStoredNodes()
    {
        // Arrange
        SqliteAuditLog log = await _fixture.OpenAsync();
        for (int i = 0; i < 6; i++)
        {
            await log.AppendAsync(AuditLogFixture.Entry(i));
        }

        await log.PublishCheckpointAsync().WaitAsync(s_patience);
        await log.DisposeAsync();
        SqliteAuditLog quick = await _fixture.OpenAsync(_fixture.Options(verification: AuditOpenVerification.LatestCheckpoint));
        long size = quick.Size;
        await quick.DisposeAsync();
        using (SqliteConnection connection = SqliteDatabase.OpenWriteConnection(_fixture.DatabasePath))
        {
            // Node (level 2, index 0) is stored third in row 3.
            SqliteDatabase.Execute(connection, "UPDATE audit_entries SET hashes = unhex(hex(substr(hashes, 1, 64)) || hex(zeroblob(32))) WHERE idx = 3;");
        }

        // Act
        var ex = await Assert.ThrowsAsync<CustodyException>(() => _fixture.OpenAsync(_fixture.Options(verification: AuditOpenVerification.LatestCheckpoint)));

        // Assert
        Assert.Equal(6, size);
        Assert.Equal(CustodyStatus.AuditCorrupt, ex.Status);
    }

    [Fact]
    public async Task Health_AfterPublishing_ReportsCounterAnchoredSize()
    {
        // Arrange
        SqliteAuditLog log = await _fixture.OpenAsync();
        for (int i = 0; i < 4; i++)
        {
            await log.AppendAsync(AuditLogFixture.Entry(i));
        }

        // Act
        SignedCheckpoint checkpoint = await log.PublishCheckpointAsync().WaitAsync(s_patience);
        AuditLogHealth health = log.Health;

        // Assert
        Assert.True(health.IsWritable);
        Assert.Null(health.Failure);
        Assert.Equal(4, health.Size);
        Assert.Equal(4, checkpoint.Checkpoint.TreeSize);
        Assert.Equal(4, health.PublishedSize);
        Assert.Equal((long)await _fixture.Counter.ReadAsync(), health.PublishedCheckpoints);
    }

    [Fact]
    public async Task PublishCheckpointAsync_SignerFails_ReportsAuditUnavailableAndRecovers()
    {
        // Arrange
        var flaky = new FlakySigner(_fixture.Signer);
        SqliteAuditLogOptions options = _fixture.Options();
        SqliteAuditLog log = await _fixture.OpenAsync(new SqliteAuditLogOptions
        {
            DatabasePath = options.DatabasePath,
            Origin = options.Origin,
            Signer = flaky,
            Counter = options.Counter,
            CheckpointInterval = TimeSpan.FromMilliseconds(5),
        });
        flaky.Fail = true;
        await log.AppendAsync(AuditLogFixture.Entry(0));

        // Act
        var ex = await Assert.ThrowsAsync<CustodyException>(() => log.PublishCheckpointAsync().WaitAsync(s_patience));
        flaky.Fail = false;
        SignedCheckpoint checkpoint = await log.PublishCheckpointAsync().WaitAsync(s_patience);

        // Assert
        Assert.Equal(CustodyStatus.TpmUnavailable, ex.Status);
        Assert.Equal(1, checkpoint.Checkpoint.TreeSize);
        Assert.Null(log.Health.PublishFailure);
        Assert.True(log.IsWritable);
    }

    private static readonly SchemaMigration RequestsTable = new("test-requests", 1, "a table a state change writes",
        "CREATE TABLE test_requests (id TEXT PRIMARY KEY) STRICT;");

    private static void InsertRequest(SqliteConnection connection, SqliteTransaction transaction, string id)
    {
        using SqliteCommand insert = connection.CreateCommand();
        insert.Transaction = transaction;
        insert.CommandText = "INSERT INTO test_requests (id) VALUES ($id);";
        insert.Parameters.AddWithValue("$id", id);
        insert.ExecuteNonQuery();
    }

    private static List<string> ReadRequests(SqliteConnection connection)
    {
        using SqliteCommand query = connection.CreateCommand();
        query.CommandText = "SELECT id FROM test_requests ORDER BY id;";
        using SqliteDataReader reader = query.ExecuteReader();
        var ids = new List<string>();
        while (reader.Read())
        {
            ids.Add(reader.GetString(0));
        }

        return ids;
    }

    private sealed class FlakySigner(IAuditSigner inner) : IAuditSigner
    {
        public volatile bool Fail;

        public ReadOnlyMemory<byte> SubjectPublicKeyInfo => inner.SubjectPublicKeyInfo;

        public ValueTask<byte[]> SignDigestAsync(ReadOnlyMemory<byte> sha256Digest, CancellationToken cancellationToken = default) =>
            Fail ? throw new CustodyException(CustodyStatus.TpmUnavailable, "the TPM is not answering") : inner.SignDigestAsync(sha256Digest, cancellationToken);
    }
}
