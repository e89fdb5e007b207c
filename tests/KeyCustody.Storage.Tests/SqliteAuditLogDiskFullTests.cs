// SPDX-License-Identifier: Apache-2.0
using System.Security.Cryptography;
using KeyCustody.Audit;
using KeyCustody.Core;
using KeyCustody.Core.Ports;
using KeyCustody.Storage;
using KeyCustody.Testing;
using Xunit;
using Xunit.Abstractions;

namespace KeyCustody.Storage.Tests;

/// <summary>
/// A full disk: appends fail closed with AuditUnavailable, the log refuses everything after, nothing acknowledged is
/// lost, and appends resume once space returns and the log is recovered. Two ways to run out of space:
/// <list type="bullet">
/// <item>SQLite's <c>PRAGMA max_page_count</c> (<see cref="SqliteAuditLogOptions.MaxPageCount"/>): works for any
/// user, SQLite reports SQLITE_FULL exactly as for a full disk.</item>
/// <item>A real size-limited filesystem: a 2 MiB tmpfs (<c>mount -t tmpfs -o size=2m</c>) filled with a ballast file,
/// so the WAL write fails with ENOSPC. Mounting needs CAP_SYS_ADMIN; where it is refused the test says so in its
/// output and runs the same scenario with max_page_count instead.</item>
/// </list>
/// </summary>
public sealed class SqliteAuditLogDiskFullTests(ITestOutputHelper output) : IAsyncLifetime
{
    private static readonly TimeSpan s_patience = TimeSpan.FromSeconds(60);
    private readonly AuditLogFixture _fixture = new("keycustody-diskfull");
    private string? _mountPoint;

    public Task InitializeAsync() => Task.CompletedTask;

    [Fact]
    public async Task AppendAsync_PageLimitReached_FailsClosedAndResumesWhenSpaceReturns()
    {
        // Arrange
        SqliteAuditLog log = await _fixture.OpenAsync(_fixture.Options(maxPageCount: 40));

        // Act
        (Dictionary<long, byte[]> acknowledged, CustodyException failure) = await AppendUntilFullAsync(log);
        var refused = await Assert.ThrowsAsync<CustodyException>(() => log.AppendAsync(AuditLogFixture.Entry(999_999)).AsTask());
        long durable = log.Size;
        await log.DisposeAsync();
        SqliteAuditLog resumed = await _fixture.OpenAsync(_fixture.Options(maxPageCount: null));
        AuditAppendResult next = await resumed.AppendAsync(AuditLogFixture.Entry(1_000_000));

        // Assert
        Assert.Equal(CustodyStatus.AuditUnavailable, failure.Status);
        Assert.Contains("nothing was recorded", failure.Message, StringComparison.Ordinal);
        Assert.Equal(CustodyStatus.AuditUnavailable, refused.Status);
        Assert.True(acknowledged.Count > 10, $"only {acknowledged.Count} appends fit");
        Assert.Equal(durable, next.Index);
        await AssertAllPresentAsync(resumed, acknowledged);
    }

    [Fact]
    public async Task RecoverAsync_StillFull_FailsClosedAgain()
    {
        // Arrange
        SqliteAuditLog log = await _fixture.OpenAsync(_fixture.Options(maxPageCount: 40));
        (Dictionary<long, byte[]> acknowledged, _) = await AppendUntilFullAsync(log);

        // Act: recovery re-verifies what is durable, but the limit still holds, so the next write fails again.
        await log.RecoverAsync();
        Exception? again = null;
        for (int i = 0; i < 200 && again is null; i++)
        {
            try
            {
                await log.AppendAsync(AuditLogFixture.Entry(500_000 + i));
            }
            catch (CustodyException ex)
            {
                again = ex;
            }
        }

        // Assert
        Assert.Equal(CustodyStatus.AuditUnavailable, Assert.IsType<CustodyException>(again).Status);
        Assert.False(log.IsWritable);
        Assert.NotNull(log.Health.Failure);
        await AssertEntriesPresentAsync(log, acknowledged);
    }

    [Fact]
    public async Task AppendAsync_FilesystemFull_FailsClosedAndRecoversWhenSpaceReturns()
    {
        // Arrange
        string directory = _fixture.Temp.File("small-fs");
        Directory.CreateDirectory(directory);
        ProcessResult mount = await ProcessRunner.RunAsync("mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", directory);
        bool tmpfs = mount.ExitCode == 0;
        if (tmpfs)
        {
            _mountPoint = directory;
        }

        output.WriteLine(tmpfs
            ? $"full disk simulated with a 2 MiB tmpfs at {directory}"
            : $"mount -t tmpfs was refused ({mount.StandardError.Trim()}); full disk simulated with PRAGMA max_page_count");
        string database = Path.Combine(directory, "state.db");
        SqliteAuditLog log = await _fixture.OpenAsync(_fixture.Options(databasePath: database, maxPageCount: tmpfs ? null : 40));
        for (int i = 0; i < 20; i++)
        {
            await log.AppendAsync(AuditLogFixture.Entry(i, "before"));
        }

        string ballast = Path.Combine(directory, "ballast");
        if (tmpfs)
        {
            FillUp(ballast);
        }

        // Act
        (Dictionary<long, byte[]> acknowledged, CustodyException failure) = await AppendUntilFullAsync(log, firstIndex: 20);
        output.WriteLine($"{acknowledged.Count} more appends acknowledged before: {failure.Message}");
        for (int i = 0; i < 20; i++)
        {
            acknowledged[i] = AuditLogFixture.Entry(i, "before");
        }

        if (tmpfs)
        {
            File.Delete(ballast);
            await log.RecoverAsync();
        }
        else
        {
            await log.DisposeAsync();
            log = await _fixture.OpenAsync(_fixture.Options(databasePath: database));
        }

        AuditAppendResult next = await log.AppendAsync(AuditLogFixture.Entry(1_000_000, "after"));

        // Assert
        Assert.Equal(CustodyStatus.AuditUnavailable, failure.Status);
        Assert.True(log.IsWritable);
        Assert.Equal(log.Size - 1, next.Index);
        await AssertAllPresentAsync(log, acknowledged);
    }

    /// <summary>Appends until the log fails closed; returns what was acknowledged and the failure.</summary>
    private static async Task<(Dictionary<long, byte[]> Acknowledged, CustodyException Failure)> AppendUntilFullAsync(SqliteAuditLog log, long firstIndex = 0)
    {
        var acknowledged = new Dictionary<long, byte[]>();
        for (long n = firstIndex; n < firstIndex + 100_000; n++)
        {
            // Several callers at once, so the failing commit carries a batch, not one entry.
            byte[][] entries = [.. Enumerable.Range(0, 4).Select(k => AuditLogFixture.Entry((n * 4) + k, "fill"))];
            Task<AuditAppendResult>[] appends = [.. entries.Select(e => log.AppendAsync(e).AsTask())];
            try
            {
                await Task.WhenAll(appends).WaitAsync(s_patience);
            }
            catch (CustodyException)
            {
                // Sort out below which of the four were acknowledged before the failure.
            }

            CustodyException? failure = null;
            for (int k = 0; k < appends.Length; k++)
            {
                if (appends[k].IsCompletedSuccessfully)
                {
                    acknowledged[appends[k].Result.Index] = entries[k];
                }
                else if (appends[k].Exception?.InnerException is CustodyException ex)
                {
                    failure = ex;
                }
            }

            if (failure is not null)
            {
                Assert.False(log.IsWritable);
                return (acknowledged, failure);
            }
        }

        throw new InvalidOperationException("The log never filled up.");
    }

    /// <summary>Every acknowledged entry is readable byte-exact (reads keep working while appends are refused).</summary>
    private static async Task AssertEntriesPresentAsync(SqliteAuditLog log, Dictionary<long, byte[]> acknowledged)
    {
        Assert.True(log.Size > acknowledged.Keys.Max());
        foreach ((long index, byte[] entry) in acknowledged)
        {
            IReadOnlyList<AuditLogEntry> stored = await log.GetEntriesAsync(index, 1);
            Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(entry)), Convert.ToHexStringLower(SHA256.HashData(stored[0].Entry)));
        }
    }

    /// <summary>As above, and a working log publishes a checkpoint over all of it whose receipts verify.</summary>
    private static async Task AssertAllPresentAsync(SqliteAuditLog log, Dictionary<long, byte[]> acknowledged)
    {
        await AssertEntriesPresentAsync(log, acknowledged);
        SignedCheckpoint checkpoint = await log.PublishCheckpointAsync().WaitAsync(s_patience);
        Assert.Equal(log.Size, checkpoint.Checkpoint.TreeSize);
        AuditReceipt receipt = await log.GetReceiptAsync(acknowledged.Keys.Max()).WaitAsync(s_patience);
        Assert.Equal(acknowledged[acknowledged.Keys.Max()], new AuditVerifier(log.PublicKey, AuditLogFixture.Origin).VerifyReceipt(receipt).Entry);
    }

    private static void FillUp(string path)
    {
        byte[] chunk = new byte[64 * 1024];
        using var ballast = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1, FileOptions.WriteThrough);
        try
        {
            while (true)
            {
                ballast.Write(chunk);
            }
        }
        catch (IOException)
        {
            // ENOSPC: the filesystem is full (down to the last partial chunk).
        }

        try
        {
            // Take the last few bytes as well, so even a one-page WAL write fails.
            while (true)
            {
                ballast.Write(chunk, 0, 512);
            }
        }
        catch (IOException)
        {
        }
    }

    public async Task DisposeAsync()
    {
        await _fixture.CloseLogsAsync();
        if (_mountPoint is not null)
        {
            await ProcessRunner.RunAsync("umount", _mountPoint);
        }

        await _fixture.DisposeAsync();
    }
}
