// SPDX-License-Identifier: Apache-2.0
using System.Diagnostics;
using System.Security.Cryptography;
using System.Threading.Channels;
using KeyCustody.Audit;
using KeyCustody.Storage;
using KeyCustody.Testing;
using Xunit;
using Xunit.Abstractions;

namespace KeyCustody.Storage.Tests;

/// <summary>
/// Crash consistency: a separate writer process appends from eight concurrent callers and prints each index only
/// after its append returned; the test SIGKILLs it at random points — during open and verification, mid-batch,
/// between storing a checkpoint and counting it — and restarts it, over a hundred times. Every acknowledged entry
/// must survive byte-exact, no index may ever be handed out twice, every restart must pass the full open-time
/// verification and counter check, and the final log must verify offline.
/// <para>
/// SIGKILL leaves the page cache intact, so this proves the process-crash half of durability (nothing acknowledged
/// before the commit returned, SQLite's atomic commit, the checkpoint/counter ordering); power loss depends on the
/// fsync that <c>synchronous=FULL</c> issues before the commit returns.
/// </para>
/// </summary>
public sealed class SqliteAuditLogCrashTests(ITestOutputHelper output) : IDisposable
{
    private const int Kills = 110;
    private const string Origin = "keycustody.test/crash";
    private static readonly TimeSpan s_patience = TimeSpan.FromSeconds(60);
    private readonly TempDirectory _temp = new("keycustody-crash");

    [Fact]
    public async Task WriterProcess_KilledAtRandomPoints_LosesNoAcknowledgedEntry()
    {
        // Arrange
        using EcdsaAuditSigner signer = EcdsaAuditSigner.Generate();
        await File.WriteAllTextAsync(_temp.File("key.pem"), signer.ExportPrivateKeyPem());
        string writer = Path.Combine(AppContext.BaseDirectory, "KeyCustody.Storage.CrashWriter.dll");
        RequiredTool.FindFile(writer);
        var acknowledged = new Dictionary<long, string>();
        var random = new Random(20250601);
        int killedBeforeReady = 0;
        int rolledForward = 0;
        var clock = Stopwatch.StartNew();

        // Act
        for (int run = 0; run < Kills; run++)
        {
            // One run in five is killed after a random delay (often while opening, verifying or rolling the counter
            // forward); the rest after a random number of acknowledgements (mid-stream, mid-batch, mid-publication).
            bool byTime = random.Next(5) == 0;
            TimeSpan delay = TimeSpan.FromMilliseconds(random.Next(0, 400));
            int acksBeforeKill = random.Next(1, 40);
            RunOutcome outcome = await RunAndKillAsync(writer, $"run{run}", byTime ? delay : null, acksBeforeKill);
            Assert.True(outcome.Error is null, $"run {run}: the writer refused to start: {outcome.Error}");
            if (!outcome.Ready)
            {
                killedBeforeReady++;
            }

            if (outcome.RolledForward)
            {
                rolledForward++;
            }

            foreach ((long index, string sha) in outcome.Acks)
            {
                // An index acknowledged twice with different bytes means an acknowledged entry was lost and reused.
                Assert.True(!acknowledged.TryGetValue(index, out string? earlier) || earlier == sha,
                    $"run {run}: index {index} was acknowledged for two different entries");
                acknowledged[index] = sha;
            }
        }

        // Assert: a final open passes full verification; every acknowledged entry is there, byte for byte.
        await using SqliteAuditLog log = await SqliteAuditLog.OpenAsync(new SqliteAuditLogOptions
        {
            DatabasePath = _temp.File("state.db"),
            Origin = Origin,
            Signer = signer,
            Counter = new FileMonotonicCounter(_temp.File("counter")),
            CheckpointInterval = TimeSpan.Zero,
        });
        output.WriteLine($"{Kills} kills ({killedBeforeReady} before the writer was ready) in {clock.Elapsed.TotalSeconds:F0} s; {rolledForward} opens completed an interrupted publication; " +
            $"{acknowledged.Count} acknowledged entries, {log.Size} durable, {log.Health.PublishedCheckpoints} checkpoints");
        Assert.True(acknowledged.Count >= Kills, $"only {acknowledged.Count} entries were acknowledged");
        Assert.True(log.Size >= acknowledged.Keys.Max() + 1);
        for (long start = 0; start < log.Size; start += SqliteAuditLog.MaxEntriesPerRead)
        {
            foreach (AuditLogEntry entry in await log.GetEntriesAsync(start, SqliteAuditLog.MaxEntriesPerRead))
            {
                if (acknowledged.TryGetValue(entry.Index, out string? sha))
                {
                    Assert.Equal(sha, Convert.ToHexStringLower(SHA256.HashData(entry.Entry)));
                }
            }
        }

        await log.PublishCheckpointAsync().WaitAsync(s_patience);
        using var export = new MemoryStream();
        await log.ExportAsync(export);
        export.Position = 0;
        LogVerification verified = new AuditVerifier(log.PublicKey, Origin).VerifyLogExport(export);
        Assert.Equal(log.Size, verified.TreeSize);
        Assert.Equal((ulong)verified.Checkpoints, await new FileMonotonicCounter(_temp.File("counter")).ReadAsync());
    }

    private async Task<RunOutcome> RunAndKillAsync(string writer, string tag, TimeSpan? killAfter, int acksBeforeKill)
    {
        var start = new ProcessStartInfo(RequiredTool.Find("dotnet"))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string argument in new[] { writer, _temp.File("state.db"), _temp.File("key.pem"), _temp.File("counter"), Origin, tag })
        {
            start.ArgumentList.Add(argument);
        }

        var lines = Channel.CreateUnbounded<string>();
        using var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                lines.Writer.TryWrite(e.Data);
            }
        };
        process.ErrorDataReceived += (_, _) => { };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        var outcome = new RunOutcome();
        try
        {
            using var deadline = new CancellationTokenSource(s_patience);
            Task killTimer = killAfter is { } delay ? Task.Delay(delay, deadline.Token) : Task.Delay(Timeout.Infinite, deadline.Token);
            int acks = 0;
            while (acks < acksBeforeKill && !killTimer.IsCompleted && !process.HasExited)
            {
                Task<bool> next = lines.Reader.WaitToReadAsync(deadline.Token).AsTask();
                if (await Task.WhenAny(next, killTimer) == killTimer || !await next)
                {
                    break;
                }

                while (lines.Reader.TryRead(out string? line))
                {
                    acks += Record(outcome, line);
                }
            }
        }
        finally
        {
            // SIGKILL: no chance to flush, close or finish anything.
            if (!process.HasExited)
            {
                process.Kill();
            }

            await process.WaitForExitAsync().WaitAsync(s_patience);
        }

        // Acknowledgements printed before the kill are still in the pipe; they count too.
        lines.Writer.TryComplete();
        while (lines.Reader.TryRead(out string? line))
        {
            Record(outcome, line);
        }

        return outcome;
    }

    private static int Record(RunOutcome outcome, string line)
    {
        string[] parts = line.Split(' ', 3);
        switch (parts[0])
        {
            case "ack" when parts.Length == 3:
                outcome.Acks.Add((long.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture), parts[2]));
                return 1;
            case "ready":
                outcome.Ready = true;
                string[] state = line.Split(' ');
                outcome.RolledForward = state.Length == 4 && state[2] != state[3];
                return 0;
            case "error":
                outcome.Error = line;
                return 0;
            default:
                return 0;
        }
    }

    public void Dispose() => _temp.Dispose();

    private sealed class RunOutcome
    {
        public List<(long Index, string Sha)> Acks { get; } = [];

        public bool Ready { get; set; }

        public bool RolledForward { get; set; }

        public string? Error { get; set; }
    }
}
