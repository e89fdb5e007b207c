// SPDX-License-Identifier: Apache-2.0
namespace KeyCustody.Audit;

/// <summary>
/// An in-memory Merkle tree that keeps every complete subtree hash: roots, inclusion and consistency proofs for
/// any earlier size. For tests, vector generation and tools; the appliance's log lives in KeyCustody.Storage.
/// </summary>
public sealed class MerkleTree : IMerkleNodeSource
{
    private readonly List<List<byte[]>> _levels = [];
    private readonly MerkleCompactRange _range = new();

    /// <summary>The number of leaves.</summary>
    public long Size => _range.Size;

    /// <summary>Appends an entry (hashed as a leaf) and returns its index.</summary>
    public long AppendEntry(ReadOnlySpan<byte> entry) => AppendLeafHash(MerkleHash.HashLeaf(entry));

    /// <summary>Appends an already computed leaf hash and returns its index.</summary>
    public long AppendLeafHash(ReadOnlySpan<byte> leafHash)
    {
        long index = _range.Size;
        _range.Append(leafHash, (level, _, hash) =>
        {
            if (_levels.Count == level)
            {
                _levels.Add([]);
            }

            _levels[level].Add(hash.ToArray());
        });
        return index;
    }

    /// <summary>The root at the current size.</summary>
    public byte[] Root() => _range.Root();

    /// <summary>The root at an earlier size.</summary>
    public byte[] Root(long size) => MerkleProof.Root(this, CheckSize(size));

    /// <summary>The inclusion proof for leaf <paramref name="index"/> at tree size <paramref name="size"/>.</summary>
    public IReadOnlyList<byte[]> InclusionProof(long index, long size) => MerkleProof.Inclusion(this, index, CheckSize(size));

    /// <summary>The consistency proof from <paramref name="oldSize"/> to <paramref name="newSize"/>.</summary>
    public IReadOnlyList<byte[]> ConsistencyProof(long oldSize, long newSize) => MerkleProof.Consistency(this, oldSize, CheckSize(newSize));

    /// <inheritdoc />
    public byte[] ReadNode(int level, long index)
    {
        if (level >= _levels.Count || index >= _levels[level].Count)
        {
            throw new ArgumentOutOfRangeException(nameof(index), $"No complete subtree at level {level}, index {index}.");
        }

        return (byte[])_levels[level][(int)index].Clone();
    }

    private long CheckSize(long size) =>
        size >= 0 && size <= Size ? size : throw new ArgumentOutOfRangeException(nameof(size), $"The tree has {Size} leaves, not {size}.");
}
