// SPDX-License-Identifier: Apache-2.0
using System.Numerics;
using System.Security.Cryptography;

namespace KeyCustody.Audit;

/// <summary>Receives a complete subtree hash the moment it becomes complete.</summary>
/// <param name="level">The subtree's height (0 = a leaf).</param>
/// <param name="index">Its index within the level.</param>
/// <param name="hash">Its 32-byte hash (valid only during the call).</param>
public delegate void MerkleNodeSink(int level, long index, ReadOnlySpan<byte> hash);

/// <summary>
/// The right border of a growing tree: one complete subtree hash per set bit of <see cref="Size"/>. Appending a leaf
/// costs O(1) amortised hashes and reports every subtree it completes, and <see cref="Root()"/> folds the border
/// in O(log n). A streaming verifier needs nothing else to recompute a whole log; the writer uses it to know
/// which nodes to store.
/// </summary>
public sealed class MerkleCompactRange
{
    private readonly byte[][] _border = new byte[64][];
    private IncrementalHash? _hasher;

    /// <summary>The number of leaves appended so far.</summary>
    public long Size { get; private set; }

    /// <summary>Rebuilds the border of a tree of <paramref name="size"/> leaves from stored complete subtrees.</summary>
    public static MerkleCompactRange FromNodes(IMerkleNodeSource source, long size)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentOutOfRangeException.ThrowIfNegative(size);
        var range = new MerkleCompactRange { Size = size };
        long start = 0;
        for (int level = 63; level >= 0; level--)
        {
            if ((size & (1L << level)) != 0)
            {
                range._border[level] = source.ReadNode(level, start >> level);
                start += 1L << level;
            }
        }

        return range;
    }

    /// <summary>A copy that can grow independently (the writer stages a batch on a copy).</summary>
    public MerkleCompactRange Clone()
    {
        var copy = new MerkleCompactRange { Size = Size };
        for (int level = 0; level < 64; level++)
        {
            if (_border[level] is { } hash)
            {
                copy._border[level] = (byte[])hash.Clone();
            }
        }

        return copy;
    }

    /// <summary>Appends a leaf hash; <paramref name="sink"/> sees the leaf and every subtree it completes, bottom-up.</summary>
    public void Append(ReadOnlySpan<byte> leafHash, MerkleNodeSink? sink = null)
    {
        if (leafHash.Length != MerkleHash.Size)
        {
            throw new ArgumentException("A leaf hash is 32 bytes.", nameof(leafHash));
        }

        long index = Size;
        Span<byte> current = stackalloc byte[MerkleHash.Size];
        leafHash.CopyTo(current);
        sink?.Invoke(0, index, current);
        int level = 0;
        while ((Size & (1L << level)) != 0)
        {
            MerkleHash.HashChildren(_border[level], current, current, _hasher ??= IncrementalHash.CreateHash(HashAlgorithmName.SHA256));
            level++;
            sink?.Invoke(level, index >> level, current);
        }

        byte[] slot = _border[level] ??= new byte[MerkleHash.Size];
        current.CopyTo(slot);
        Size++;
    }

    /// <summary>The root of the tree of <see cref="Size"/> leaves.</summary>
    public byte[] Root()
    {
        var root = new byte[MerkleHash.Size];
        Root(root);
        return root;
    }

    /// <summary>Writes the root of the tree of <see cref="Size"/> leaves into <paramref name="destination"/>.</summary>
    public void Root(Span<byte> destination)
    {
        if (Size == 0)
        {
            MerkleHash.EmptyRoot.CopyTo(destination);
            return;
        }

        int lowest = BitOperations.TrailingZeroCount(Size);
        _border[lowest].CopyTo(destination);
        for (int level = lowest + 1; level < 64; level++)
        {
            if ((Size & (1L << level)) != 0)
            {
                MerkleHash.HashChildren(_border[level], destination, destination);
            }
        }
    }
}
