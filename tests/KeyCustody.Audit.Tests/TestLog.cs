// SPDX-License-Identifier: Apache-2.0
using KeyCustody.Audit;
using KeyCustody.Core.Ports;

namespace KeyCustody.Audit.Tests;

/// <summary>An in-memory log with signed checkpoints, for producing receipts, proofs and exports in tests.</summary>
internal sealed class TestLog : IDisposable
{
    private static readonly DateTimeOffset s_start = new(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private readonly CheckpointSigner _signer;

    public TestLog(IAuditSigner signer, string origin)
    {
        _signer = new CheckpointSigner(signer, origin);
        Origin = origin;
    }

    public string Origin { get; }

    public MerkleTree Tree { get; } = new();

    public List<byte[]> Entries { get; } = [];

    public List<SignedCheckpoint> Checkpoints { get; } = [];

    /// <summary>A log of <paramref name="size"/> entries with a checkpoint every <paramref name="every"/> entries and at the end.</summary>
    public static async Task<TestLog> BuildAsync(IAuditSigner signer, string origin, int size, int every, string tag = "a")
    {
        var log = new TestLog(signer, origin);
        for (int i = 0; i < size; i++)
        {
            log.Append(Entry(i, tag));
            if ((i + 1) % every == 0 || i + 1 == size)
            {
                await log.CheckpointAsync();
            }
        }

        return log;
    }

    public static byte[] Entry(long n, string tag = "a") =>
        AuditEntry.Create("test.vector", s_start.AddSeconds(n)).Add("n", n).Add("tag", tag).ToUtf8();

    public void Append(byte[] entry)
    {
        Entries.Add(entry);
        Tree.AppendEntry(entry);
    }

    public async Task<SignedCheckpoint> CheckpointAsync()
    {
        SignedCheckpoint checkpoint = await _signer.SignAsync(Tree.Size, Tree.Root());
        Checkpoints.Add(checkpoint);
        return checkpoint;
    }

    public AuditReceipt Receipt(long index, SignedCheckpoint checkpoint) =>
        new(index, checkpoint.Checkpoint.TreeSize, Entries[(int)index], Tree.InclusionProof(index, checkpoint.Checkpoint.TreeSize), checkpoint.Note);

    public ConsistencyProofDocument Consistency(long oldSize, long newSize) => new(oldSize, newSize, Tree.ConsistencyProof(oldSize, newSize));

    /// <summary>The export of every entry and checkpoint (the log must end at a checkpoint).</summary>
    public byte[] Export()
    {
        using var stream = new MemoryStream();
        var writer = new AuditLogExportWriter(stream, Origin, Tree.Size, Checkpoints.Count);
        int next = 0;
        for (long i = 0; i <= Entries.Count; i++)
        {
            while (next < Checkpoints.Count && Checkpoints[next].Checkpoint.TreeSize == i)
            {
                writer.WriteCheckpoint(next + 1, Checkpoints[next]);
                next++;
            }

            if (i < Entries.Count)
            {
                writer.WriteEntry(i, Entries[(int)i]);
            }
        }

        writer.Complete();
        return stream.ToArray();
    }

    public void Dispose() => _signer.Dispose();
}
