// SPDX-License-Identifier: Apache-2.0
using System.Security.Cryptography;
using KeyCustody.Audit;
using Xunit;

namespace KeyCustody.Audit.Tests;

/// <summary>
/// Known answers for RFC 6962 hashing. The eight reference leaves and the roots of the trees of 1–8 of them are the
/// Certificate Transparency reference implementation's published test data (also used by transparency-dev/merkle):
/// leaves "", 00, 10, 2021, 3031, 40414243, 5051525354555657, 606162636465666768696a6b6c6d6e6f (hex).
/// </summary>
public sealed class MerkleHashTests
{
    internal static readonly byte[][] ReferenceLeaves =
    [
        [],
        [0x00],
        [0x10],
        [0x20, 0x21],
        [0x30, 0x31],
        [0x40, 0x41, 0x42, 0x43],
        [0x50, 0x51, 0x52, 0x53, 0x54, 0x55, 0x56, 0x57],
        [0x60, 0x61, 0x62, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69, 0x6a, 0x6b, 0x6c, 0x6d, 0x6e, 0x6f],
    ];

    // ReferenceRoots[n] = MTH of the first n reference leaves. [0] is SHA-256("") (the empty tree, RFC 9162 §2.1.1);
    // [1] = SHA-256(0x00), the leaf hash of the empty entry, since a one-leaf tree's root is its leaf hash.
    internal static readonly string[] ReferenceRoots =
    [
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
        "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
        "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    ];

    [Fact]
    public void EmptyRoot_IsSha256OfNothing()
    {
        // Arrange
        string expected = ReferenceRoots[0];

        // Act
        string actual = Convert.ToHexStringLower(MerkleHash.EmptyRoot);

        // Assert
        Assert.Equal(expected, actual);
    }

    [Fact]
    public void HashLeaf_EmptyEntry_IsSha256OfZeroByte()
    {
        // Arrange
        byte[] prefixed = [0x00];

        // Act
        byte[] leaf = MerkleHash.HashLeaf([]);

        // Assert
        Assert.Equal(SHA256.HashData(prefixed), leaf);
        Assert.Equal(ReferenceRoots[1], Convert.ToHexStringLower(leaf));
    }

    [Fact]
    public void HashChildren_TwoLeaves_IsSha256OfOnePrefixAndBoth()
    {
        // Arrange: the root of the 2-leaf reference tree is H(0x01 || leaf("") || leaf(00)).
        byte[] left = MerkleHash.HashLeaf(ReferenceLeaves[0]);
        byte[] right = MerkleHash.HashLeaf(ReferenceLeaves[1]);

        // Act
        byte[] node = MerkleHash.HashChildren(left, right);

        // Assert
        Assert.Equal(SHA256.HashData([0x01, .. left, .. right]), node);
        Assert.Equal(ReferenceRoots[2], Convert.ToHexStringLower(node));
    }

    [Fact]
    public void HashLeaf_LargeEntry_MatchesPrefixedSha256()
    {
        // Arrange: past the stack buffer, the pooled path must give the same answer.
        byte[] entry = RandomNumberGenerator.GetBytes(5000);

        // Act
        byte[] leaf = MerkleHash.HashLeaf(entry);

        // Assert
        Assert.Equal(SHA256.HashData([0x00, .. entry]), leaf);
    }

    [Fact]
    public void Root_ReferenceTrees_MatchPublishedRoots()
    {
        // Arrange
        var tree = new MerkleTree();
        var range = new MerkleCompactRange();

        // Act / Assert
        Assert.Equal(ReferenceRoots[0], Convert.ToHexStringLower(tree.Root()));
        for (int n = 1; n <= ReferenceLeaves.Length; n++)
        {
            tree.AppendEntry(ReferenceLeaves[n - 1]);
            range.Append(MerkleHash.HashLeaf(ReferenceLeaves[n - 1]));
            Assert.Equal(ReferenceRoots[n], Convert.ToHexStringLower(tree.Root()));
            Assert.Equal(ReferenceRoots[n], Convert.ToHexStringLower(range.Root()));
        }

        for (int n = 0; n <= ReferenceLeaves.Length; n++)
        {
            Assert.Equal(ReferenceRoots[n], Convert.ToHexStringLower(tree.Root(n)));
        }
    }

    [Fact]
    public void CompactRange_FromNodes_ContinuesLikeTheOriginal()
    {
        // Arrange
        var tree = new MerkleTree();
        for (int i = 0; i < 37; i++)
        {
            tree.AppendEntry([(byte)i, (byte)(i * 7)]);
        }

        // Act
        MerkleCompactRange resumed = MerkleCompactRange.FromNodes(tree, 37);
        resumed.Append(MerkleHash.HashLeaf([99]));
        tree.AppendEntry([99]);

        // Assert
        Assert.Equal(tree.Root(), resumed.Root());
        Assert.Equal(38, resumed.Size);
    }

    [Fact]
    public void CompactRange_Append_ReportsEveryCompletedSubtreeOnce()
    {
        // Arrange
        var range = new MerkleCompactRange();
        var nodes = new List<(int Level, long Index)>();

        // Act
        for (int i = 0; i < 8; i++)
        {
            range.Append(MerkleHash.HashLeaf([(byte)i]), (level, index, _) => nodes.Add((level, index)));
        }

        // Assert: 8 leaves, 4 pairs, 2 quads, 1 root — 15 complete subtrees, each reported once.
        Assert.Equal(15, nodes.Count);
        Assert.Equal(15, nodes.Distinct().Count());
        Assert.Contains((3, 0L), nodes);
        Assert.Equal(4, nodes.Count(n => n.Level == 1));
    }
}
