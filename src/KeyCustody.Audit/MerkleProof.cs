// SPDX-License-Identifier: Apache-2.0
using System.Numerics;

namespace KeyCustody.Audit;

/// <summary>
/// Where proof generation reads hashes of complete subtrees. Node (<c>level</c>, <c>index</c>) is the root of
/// the perfect subtree over leaves <c>[index·2^level, (index+1)·2^level)</c>; level 0 holds the leaf hashes.
/// A log stores exactly these nodes (they never change once complete), so any proof needs O(log n) reads.
/// </summary>
public interface IMerkleNodeSource
{
    /// <summary>Returns the 32-byte hash of the complete subtree at (<paramref name="level"/>, <paramref name="index"/>).</summary>
    byte[] ReadNode(int level, long index);
}

/// <summary>
/// RFC 9162 Merkle proofs: generation from complete-subtree hashes (§2.1.3.1, §2.1.4.1) and verification with the
/// RFC's iterative algorithms (§2.1.3.2, §2.1.4.2). https://www.rfc-editor.org/rfc/rfc9162#section-2.1
/// </summary>
public static class MerkleProof
{
    /// <summary>The root hash of the first <paramref name="size"/> leaves (MTH(D[0:size])).</summary>
    public static byte[] Root(IMerkleNodeSource source, long size)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentOutOfRangeException.ThrowIfNegative(size);
        return size == 0 ? MerkleHash.EmptyRoot.ToArray() : RangeHash(source, 0, size);
    }

    /// <summary>The audit path for leaf <paramref name="index"/> in the tree of <paramref name="size"/> leaves, leaf-side first.</summary>
    public static IReadOnlyList<byte[]> Inclusion(IMerkleNodeSource source, long index, long size)
    {
        ArgumentNullException.ThrowIfNull(source);
        if (index < 0 || index >= size)
        {
            throw new ArgumentOutOfRangeException(nameof(index), $"Leaf {index} is not in a tree of size {size}.");
        }

        // PATH(m, D[a:b]) = PATH(m, left) : MTH(right) or PATH(m, right) : MTH(left). The recursion only narrows
        // the range, so walk it top-down and reverse: the RFC lists the deepest sibling first.
        var siblings = new List<byte[]>();
        long start = 0;
        long end = size;
        while (end - start > 1)
        {
            long k = LargestPowerOfTwoBelow(end - start);
            if (index < start + k)
            {
                siblings.Add(RangeHash(source, start + k, end));
                end = start + k;
            }
            else
            {
                siblings.Add(RangeHash(source, start, start + k));
                start += k;
            }
        }

        siblings.Reverse();
        return siblings;
    }

    /// <summary>The consistency proof from the tree of <paramref name="oldSize"/> leaves to the one of <paramref name="newSize"/>.</summary>
    public static IReadOnlyList<byte[]> Consistency(IMerkleNodeSource source, long oldSize, long newSize)
    {
        ArgumentNullException.ThrowIfNull(source);
        if (oldSize < 0 || oldSize > newSize)
        {
            throw new ArgumentOutOfRangeException(nameof(oldSize), $"No consistency proof from size {oldSize} to size {newSize}.");
        }

        var hashes = new List<byte[]>();
        if (oldSize == 0 || oldSize == newSize)
        {
            return hashes;
        }

        // SUBPROOF(m, D[a:b], b) from RFC 9162 §2.1.4.1, unrolled: `m` is relative to the current range.
        long m = oldSize;
        long start = 0;
        long end = newSize;
        bool wholeOldTree = true;
        while (m != end - start)
        {
            long k = LargestPowerOfTwoBelow(end - start);
            if (m <= k)
            {
                hashes.Add(RangeHash(source, start + k, end));
                end = start + k;
            }
            else
            {
                hashes.Add(RangeHash(source, start, start + k));
                start += k;
                m -= k;
                wholeOldTree = false;
            }
        }

        if (!wholeOldTree)
        {
            hashes.Add(RangeHash(source, start, end));
        }

        hashes.Reverse();
        return hashes;
    }

    /// <summary>
    /// Verifies that <paramref name="leafHash"/> is leaf <paramref name="index"/> of the tree of <paramref name="size"/>
    /// leaves whose root is <paramref name="root"/> (RFC 9162 §2.1.3.2).
    /// </summary>
    public static bool VerifyInclusion(ReadOnlySpan<byte> leafHash, long index, long size, IReadOnlyList<byte[]> proof, ReadOnlySpan<byte> root)
    {
        ArgumentNullException.ThrowIfNull(proof);
        if (index < 0 || index >= size || leafHash.Length != MerkleHash.Size || root.Length != MerkleHash.Size)
        {
            return false;
        }

        long fn = index;
        long sn = size - 1;
        Span<byte> r = stackalloc byte[MerkleHash.Size];
        leafHash.CopyTo(r);
        foreach (byte[] p in proof)
        {
            if (sn == 0 || p is not { Length: MerkleHash.Size })
            {
                return false;
            }

            if ((fn & 1) == 1 || fn == sn)
            {
                MerkleHash.HashChildren(p, r, r);
                if ((fn & 1) == 0)
                {
                    // fn is a left child at the ragged right edge: climb until it becomes a right child.
                    while ((fn & 1) == 0 && fn != 0)
                    {
                        fn >>= 1;
                        sn >>= 1;
                    }
                }
            }
            else
            {
                MerkleHash.HashChildren(r, p, r);
            }

            fn >>= 1;
            sn >>= 1;
        }

        return sn == 0 && r.SequenceEqual(root);
    }

    /// <summary>
    /// Verifies that the tree of <paramref name="newSize"/> leaves with root <paramref name="newRoot"/> extends the tree of
    /// <paramref name="oldSize"/> leaves with root <paramref name="oldRoot"/> (RFC 9162 §2.1.4.2). Equal sizes need equal
    /// roots and an empty proof; an old size of 0 needs the empty-tree root and an empty proof.
    /// </summary>
    public static bool VerifyConsistency(long oldSize, long newSize, ReadOnlySpan<byte> oldRoot, ReadOnlySpan<byte> newRoot, IReadOnlyList<byte[]> proof)
    {
        ArgumentNullException.ThrowIfNull(proof);
        if (oldSize < 0 || oldSize > newSize || oldRoot.Length != MerkleHash.Size || newRoot.Length != MerkleHash.Size)
        {
            return false;
        }

        if (oldSize == newSize)
        {
            return proof.Count == 0 && oldRoot.SequenceEqual(newRoot);
        }

        if (oldSize == 0)
        {
            return proof.Count == 0 && oldRoot.SequenceEqual(MerkleHash.EmptyRoot);
        }

        if (proof.Count == 0)
        {
            return false;
        }

        foreach (byte[] p in proof)
        {
            if (p is not { Length: MerkleHash.Size })
            {
                return false;
            }
        }

        // Step 2: when the old tree is a complete subtree its root is the proof's implicit first element.
        int next = 0;
        ReadOnlySpan<byte> first;
        if (BitOperations.IsPow2(oldSize))
        {
            first = oldRoot;
        }
        else
        {
            first = proof[0];
            next = 1;
        }

        long fn = oldSize - 1;
        long sn = newSize - 1;
        while ((fn & 1) == 1)
        {
            fn >>= 1;
            sn >>= 1;
        }

        Span<byte> fr = stackalloc byte[MerkleHash.Size];
        Span<byte> sr = stackalloc byte[MerkleHash.Size];
        first.CopyTo(fr);
        first.CopyTo(sr);
        for (; next < proof.Count; next++)
        {
            byte[] c = proof[next];
            if (sn == 0)
            {
                return false;
            }

            if ((fn & 1) == 1 || fn == sn)
            {
                MerkleHash.HashChildren(c, fr, fr);
                MerkleHash.HashChildren(c, sr, sr);
                if ((fn & 1) == 0)
                {
                    while ((fn & 1) == 0 && fn != 0)
                    {
                        fn >>= 1;
                        sn >>= 1;
                    }
                }
            }
            else
            {
                MerkleHash.HashChildren(sr, c, sr);
            }

            fn >>= 1;
            sn >>= 1;
        }

        return sn == 0 && fr.SequenceEqual(oldRoot) && sr.SequenceEqual(newRoot);
    }

    /// <summary>
    /// MTH(D[start:end]) for a range the RFC recursion produces: <paramref name="start"/> is a multiple of the
    /// smallest power of two ≥ the length, so the range splits into aligned complete subtrees, one per set bit of
    /// the length from the highest, and MTH folds them right to left.
    /// </summary>
    internal static byte[] RangeHash(IMerkleNodeSource source, long start, long end)
    {
        long length = end - start;
        int count = BitOperations.PopCount((ulong)length);
        if (count == 1)
        {
            return source.ReadNode(BitOperations.Log2((ulong)length), start >> BitOperations.Log2((ulong)length));
        }

        Span<long> starts = stackalloc long[count];
        Span<int> levels = stackalloc int[count];
        long at = start;
        int n = 0;
        for (int level = 63; level >= 0; level--)
        {
            if ((length & (1L << level)) != 0)
            {
                starts[n] = at;
                levels[n] = level;
                n++;
                at += 1L << level;
            }
        }

        byte[] hash = source.ReadNode(levels[count - 1], starts[count - 1] >> levels[count - 1]);
        for (int i = count - 2; i >= 0; i--)
        {
            byte[] left = source.ReadNode(levels[i], starts[i] >> levels[i]);
            MerkleHash.HashChildren(left, hash, hash);
        }

        return hash;
    }

    /// <summary>The largest power of two strictly less than <paramref name="n"/> (n ≥ 2).</summary>
    internal static long LargestPowerOfTwoBelow(long n) => 1L << BitOperations.Log2((ulong)(n - 1));
}
