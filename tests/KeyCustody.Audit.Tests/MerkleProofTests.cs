// SPDX-License-Identifier: Apache-2.0
using KeyCustody.Audit;
using Xunit;

namespace KeyCustody.Audit.Tests;

/// <summary>
/// Inclusion and consistency proofs: known answers from the Certificate Transparency reference test data over the
/// eight reference leaves (see <see cref="MerkleHashTests"/>), then generated proofs for every index and size pair of
/// larger trees, each of which must verify while every single mutation must not.
/// </summary>
public sealed class MerkleProofTests
{
    // Named hashes of the reference tree, as published with the reference proofs:
    // L1 = leaf(00); P23 = H(leaf(10), leaf(2021)); Q4567 = MTH(leaves 4..7); L4 = leaf(3031);
    // P67 = H(leaf(5051..57), leaf(6061..6f)); R4 = MTH(leaves 0..3); R2 = MTH(leaves 0..1); L0 = leaf("");
    // P45 = H(leaf(3031), leaf(40414243)).
    private const string L1 = "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7";
    private const string P23 = "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e";
    private const string Q4567 = "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4";
    private const string L4 = "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b";
    private const string P67 = "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0";
    private const string R4 = "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7";
    private const string R2 = "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125";
    private const string L0 = "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d";
    private const string P45 = "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a";

    public static TheoryData<long, long, string[]> ReferenceInclusionProofs => new()
    {
        { 0, 1, [] },
        { 0, 8, [L1, P23, Q4567] },
        { 5, 8, [L4, P67, R4] },
        { 2, 3, [R2] },
        { 1, 5, [L0, P23, L4] },
    };

    public static TheoryData<long, long, string[]> ReferenceConsistencyProofs => new()
    {
        { 1, 1, [] },
        { 1, 8, [L1, P23, Q4567] },
        { 6, 8, [P45, P67, R4] },
        { 2, 5, [P23, L4] },
    };

    [Theory]
    [MemberData(nameof(ReferenceInclusionProofs))]
    public void Inclusion_ReferenceTree_MatchesPublishedProofAndVerifies(long index, long size, string[] expected)
    {
        // Arrange
        MerkleTree tree = ReferenceTree();
        byte[] root = Convert.FromHexString(MerkleHashTests.ReferenceRoots[size]);
        byte[] leaf = MerkleHash.HashLeaf(MerkleHashTests.ReferenceLeaves[index]);

        // Act
        IReadOnlyList<byte[]> proof = tree.InclusionProof(index, size);

        // Assert
        Assert.Equal(expected, proof.Select(Convert.ToHexStringLower));
        Assert.True(MerkleProof.VerifyInclusion(leaf, index, size, proof, root));
    }

    [Theory]
    [MemberData(nameof(ReferenceConsistencyProofs))]
    public void Consistency_ReferenceTree_MatchesPublishedProofAndVerifies(long oldSize, long newSize, string[] expected)
    {
        // Arrange
        MerkleTree tree = ReferenceTree();
        byte[] oldRoot = Convert.FromHexString(MerkleHashTests.ReferenceRoots[oldSize]);
        byte[] newRoot = Convert.FromHexString(MerkleHashTests.ReferenceRoots[newSize]);

        // Act
        IReadOnlyList<byte[]> proof = tree.ConsistencyProof(oldSize, newSize);

        // Assert
        Assert.Equal(expected, proof.Select(Convert.ToHexStringLower));
        Assert.True(MerkleProof.VerifyConsistency(oldSize, newSize, oldRoot, newRoot, proof));
    }

    [Fact]
    public void Inclusion_EveryLeafOfEverySizeTo70_VerifiesAndEveryMutationFails()
    {
        // Arrange
        MerkleTree tree = Tree(70);
        int verified = 0;

        // Act / Assert
        for (long size = 1; size <= 70; size++)
        {
            byte[] root = tree.Root(size);
            for (long index = 0; index < size; index++)
            {
                byte[] leaf = MerkleHash.HashLeaf(Entry(index));
                IReadOnlyList<byte[]> proof = tree.InclusionProof(index, size);
                Assert.True(MerkleProof.VerifyInclusion(leaf, index, size, proof, root), $"inclusion {index}/{size}");
                verified++;

                foreach ((string what, long i, long s, IReadOnlyList<byte[]> p, byte[] l, byte[] r) in InclusionMutations(index, size, proof, leaf, root))
                {
                    Assert.False(MerkleProof.VerifyInclusion(l, i, s, p, r), $"{what} accepted for {index}/{size}");
                }
            }
        }

        Assert.Equal(70 * 71 / 2, verified);
    }

    [Fact]
    public void Consistency_EveryPairOfSizesTo48_VerifiesAndEveryMutationFails()
    {
        // Arrange
        MerkleTree tree = Tree(48);

        // Act / Assert
        for (long newSize = 0; newSize <= 48; newSize++)
        {
            byte[] newRoot = tree.Root(newSize);
            for (long oldSize = 0; oldSize <= newSize; oldSize++)
            {
                byte[] oldRoot = tree.Root(oldSize);
                IReadOnlyList<byte[]> proof = tree.ConsistencyProof(oldSize, newSize);
                Assert.True(MerkleProof.VerifyConsistency(oldSize, newSize, oldRoot, newRoot, proof), $"consistency {oldSize}->{newSize}");
                if (proof.Count == 0)
                {
                    continue;
                }

                foreach ((string what, long m, long n, byte[] r1, byte[] r2, IReadOnlyList<byte[]> p) in ConsistencyMutations(oldSize, newSize, oldRoot, newRoot, proof))
                {
                    Assert.False(MerkleProof.VerifyConsistency(m, n, r1, r2, p), $"{what} accepted for {oldSize}->{newSize}");
                }
            }
        }
    }

    [Fact]
    public void VerifyConsistency_DegenerateSizes_FollowTheRules()
    {
        // Arrange
        MerkleTree tree = Tree(8);
        byte[] root4 = tree.Root(4);
        byte[] root5 = tree.Root(5);
        byte[] root8 = tree.Root(8);
        byte[] empty = MerkleHash.EmptyRoot.ToArray();

        // Act / Assert: equal sizes need equal roots and no proof; size 0 needs the empty root and no proof.
        Assert.True(MerkleProof.VerifyConsistency(4, 4, root4, root4, []));
        Assert.False(MerkleProof.VerifyConsistency(4, 4, root4, root5, []));
        Assert.False(MerkleProof.VerifyConsistency(4, 4, root4, root4, [root4]));
        Assert.True(MerkleProof.VerifyConsistency(0, 8, empty, root8, []));
        Assert.False(MerkleProof.VerifyConsistency(0, 8, root4, root8, []));
        Assert.False(MerkleProof.VerifyConsistency(0, 8, empty, root8, [empty]));
        Assert.False(MerkleProof.VerifyConsistency(5, 4, root5, root4, []));
        Assert.False(MerkleProof.VerifyConsistency(4, 5, root4, root5, []));
    }

    [Fact]
    public void VerifyInclusion_BadShapes_AreRejected()
    {
        // Arrange
        MerkleTree tree = Tree(8);
        byte[] root = tree.Root(8);
        byte[] leaf = MerkleHash.HashLeaf(Entry(5));
        IReadOnlyList<byte[]> proof = tree.InclusionProof(5, 8);

        // Act / Assert
        Assert.True(MerkleProof.VerifyInclusion(leaf, 5, 8, proof, root));
        Assert.False(MerkleProof.VerifyInclusion(leaf, 8, 8, proof, root));
        Assert.False(MerkleProof.VerifyInclusion(leaf, -1, 8, proof, root));
        Assert.False(MerkleProof.VerifyInclusion(leaf.AsSpan(0, 31), 5, 8, proof, root));
        Assert.False(MerkleProof.VerifyInclusion(leaf, 5, 8, [new byte[31], .. proof.Skip(1)], root));
        Assert.False(MerkleProof.VerifyInclusion(leaf, 0, 0, [], MerkleHash.EmptyRoot));
    }

    [Fact]
    public void Generation_OutOfRange_Throws()
    {
        // Arrange
        MerkleTree tree = Tree(8);

        // Act / Assert
        Assert.Throws<ArgumentOutOfRangeException>(() => tree.InclusionProof(8, 8));
        Assert.Throws<ArgumentOutOfRangeException>(() => tree.InclusionProof(0, 9));
        Assert.Throws<ArgumentOutOfRangeException>(() => tree.ConsistencyProof(5, 3));
        Assert.Throws<ArgumentOutOfRangeException>(() => tree.ConsistencyProof(1, 9));
    }

    internal static byte[] Entry(long i) => System.Text.Encoding.UTF8.GetBytes($"{{\"n\":{i}}}");

    private static MerkleTree ReferenceTree()
    {
        var tree = new MerkleTree();
        foreach (byte[] leaf in MerkleHashTests.ReferenceLeaves)
        {
            tree.AppendEntry(leaf);
        }

        return tree;
    }

    private static MerkleTree Tree(int size)
    {
        var tree = new MerkleTree();
        for (int i = 0; i < size; i++)
        {
            tree.AppendEntry(Entry(i));
        }

        return tree;
    }

    private static byte[] Flip(byte[] value, int bit)
    {
        byte[] copy = (byte[])value.Clone();
        copy[bit / 8 % copy.Length] ^= (byte)(1 << (bit % 8));
        return copy;
    }

    private static IEnumerable<(string, long, long, IReadOnlyList<byte[]>, byte[], byte[])> InclusionMutations(
        long index, long size, IReadOnlyList<byte[]> proof, byte[] leaf, byte[] root)
    {
        byte[] other = new byte[32];
        other[0] = 0xab;
        if (index > 0)
        {
            yield return ("index - 1", index - 1, size, proof, leaf, root);
        }

        if (index + 1 < size)
        {
            yield return ("index + 1", index + 1, size, proof, leaf, root);
        }

        yield return ("size * 2", index, size * 2, proof, leaf, root);
        if (size > 1)
        {
            yield return ("size / 2", index, size / 2, proof, leaf, root);
        }

        yield return ("wrong leaf", index, size, proof, Flip(leaf, 3), root);
        yield return ("wrong root", index, size, proof, leaf, Flip(root, 200));
        yield return ("empty root", index, size, proof, leaf, MerkleHash.EmptyRoot.ToArray());
        yield return ("trailing hash", index, size, [.. proof, other], leaf, root);
        yield return ("trailing root", index, size, [.. proof, root], leaf, root);
        yield return ("leading hash", index, size, [other, .. proof], leaf, root);
        for (int i = 0; i < proof.Count; i++)
        {
            byte[][] flipped = [.. proof];
            flipped[i] = Flip(flipped[i], 3);
            yield return ($"flipped proof[{i}]", index, size, flipped, leaf, root);
        }

        if (proof.Count > 0)
        {
            yield return ("removed last", index, size, proof.Take(proof.Count - 1).ToArray(), leaf, root);
        }

        if (proof.Count > 1)
        {
            yield return ("swapped first two", index, size, [proof[1], proof[0], .. proof.Skip(2)], leaf, root);
        }
    }

    private static IEnumerable<(string, long, long, byte[], byte[], IReadOnlyList<byte[]>)> ConsistencyMutations(
        long oldSize, long newSize, byte[] oldRoot, byte[] newRoot, IReadOnlyList<byte[]> proof)
    {
        byte[] other = new byte[32];
        other[0] = 0xcd;
        yield return ("old - 1", oldSize - 1, newSize, oldRoot, newRoot, proof);
        yield return ("old + 1", oldSize + 1, newSize, oldRoot, newRoot, proof);
        yield return ("new * 2", oldSize, newSize * 2, oldRoot, newRoot, proof);
        yield return ("new / 2", oldSize, newSize / 2, oldRoot, newRoot, proof);
        yield return ("wrong old root", oldSize, newSize, Flip(oldRoot, 9), newRoot, proof);
        yield return ("wrong new root", oldSize, newSize, oldRoot, Flip(newRoot, 9), proof);
        yield return ("swapped roots", oldSize, newSize, newRoot, oldRoot, proof);
        yield return ("empty proof", oldSize, newSize, oldRoot, newRoot, []);
        yield return ("trailing hash", oldSize, newSize, oldRoot, newRoot, [.. proof, other]);
        yield return ("trailing old root", oldSize, newSize, oldRoot, newRoot, [.. proof, oldRoot]);
        yield return ("leading hash", oldSize, newSize, oldRoot, newRoot, [other, .. proof]);
        yield return ("leading proof[0]", oldSize, newSize, oldRoot, newRoot, [proof[0], .. proof]);
        yield return ("truncated", oldSize, newSize, oldRoot, newRoot, proof.Take(proof.Count - 1).ToArray());
        for (int i = 0; i < proof.Count; i++)
        {
            byte[][] flipped = [.. proof];
            flipped[i] = Flip(flipped[i], 4);
            yield return ($"flipped proof[{i}]", oldSize, newSize, oldRoot, newRoot, flipped);
        }
    }
}
