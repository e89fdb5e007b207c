// SPDX-License-Identifier: Apache-2.0
using System.Buffers;
using System.Security.Cryptography;

namespace KeyCustody.Audit;

/// <summary>
/// RFC 6962/9162 Merkle tree hashing with SHA-256 (https://www.rfc-editor.org/rfc/rfc9162#section-2.1.1):
/// a leaf is <c>SHA-256(0x00 ‖ entry)</c>, an interior node <c>SHA-256(0x01 ‖ left ‖ right)</c>, and the
/// empty tree <c>SHA-256("")</c>. The distinct prefixes keep a leaf from ever being read as a node.
/// </summary>
public static class MerkleHash
{
    /// <summary>Length of every hash in the tree, in bytes.</summary>
    public const int Size = 32;

    private const byte LeafPrefix = 0x00;
    private const byte NodePrefix = 0x01;

    // SHA-256 of the empty string: e3b0c442 98fc1c14 9afbf4c8 996fb924 27ae41e4 649b934c a495991b 7852b855.
    private static readonly byte[] s_emptyRoot = SHA256.HashData(ReadOnlySpan<byte>.Empty);

    /// <summary>The root of a tree with no leaves, <c>SHA-256("")</c>.</summary>
    public static ReadOnlySpan<byte> EmptyRoot => s_emptyRoot;

    /// <summary>Returns the leaf hash of <paramref name="entry"/>.</summary>
    public static byte[] HashLeaf(ReadOnlySpan<byte> entry)
    {
        var hash = new byte[Size];
        HashLeaf(entry, hash);
        return hash;
    }

    /// <summary>Writes the leaf hash of <paramref name="entry"/> into <paramref name="destination"/> (32 bytes).</summary>
    public static void HashLeaf(ReadOnlySpan<byte> entry, Span<byte> destination)
    {
        if (entry.Length <= 1023)
        {
            Span<byte> buffer = stackalloc byte[entry.Length + 1];
            buffer[0] = LeafPrefix;
            entry.CopyTo(buffer[1..]);
            SHA256.HashData(buffer, destination);
            return;
        }

        byte[] rented = ArrayPool<byte>.Shared.Rent(entry.Length + 1);
        try
        {
            rented[0] = LeafPrefix;
            entry.CopyTo(rented.AsSpan(1));
            SHA256.HashData(rented.AsSpan(0, entry.Length + 1), destination);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>
    /// Hashes a leaf whose entry bytes already sit at <c>buffer[1..]</c>; <c>buffer[0]</c> is overwritten with the
    /// leaf prefix. Lets a streaming verifier decode an entry straight into place without a second copy.
    /// </summary>
    public static void HashLeafInPlace(Span<byte> prefixedEntry, Span<byte> destination)
    {
        prefixedEntry[0] = LeafPrefix;
        SHA256.HashData(prefixedEntry, destination);
    }

    /// <summary>As <see cref="HashLeafInPlace(Span{byte}, Span{byte})"/> through a caller-owned, reused hasher.</summary>
    public static void HashLeafInPlace(Span<byte> prefixedEntry, Span<byte> destination, IncrementalHash hasher)
    {
        ArgumentNullException.ThrowIfNull(hasher);
        prefixedEntry[0] = LeafPrefix;
        hasher.AppendData(prefixedEntry);
        hasher.GetHashAndReset(destination);
    }

    /// <summary>Returns the interior node hash of two children.</summary>
    public static byte[] HashChildren(ReadOnlySpan<byte> left, ReadOnlySpan<byte> right)
    {
        var hash = new byte[Size];
        HashChildren(left, right, hash);
        return hash;
    }

    /// <summary>Writes the interior node hash of two children into <paramref name="destination"/>.</summary>
    /// <remarks><paramref name="destination"/> may overlap either input: the inputs are copied first.</remarks>
    public static void HashChildren(ReadOnlySpan<byte> left, ReadOnlySpan<byte> right, Span<byte> destination)
    {
        if (left.Length != Size || right.Length != Size)
        {
            throw new ArgumentException("Merkle node hashes are 32 bytes.");
        }

        Span<byte> buffer = stackalloc byte[1 + (2 * Size)];
        buffer[0] = NodePrefix;
        left.CopyTo(buffer[1..]);
        right.CopyTo(buffer[(1 + Size)..]);
        SHA256.HashData(buffer, destination);
    }

    /// <summary>
    /// As <see cref="HashChildren(ReadOnlySpan{byte}, ReadOnlySpan{byte}, Span{byte})"/> through a caller-owned hasher:
    /// reusing one hash context saves most of the per-call cost of a one-shot hash, which dominates for 65-byte inputs
    /// when a whole log is recomputed.
    /// </summary>
    public static void HashChildren(ReadOnlySpan<byte> left, ReadOnlySpan<byte> right, Span<byte> destination, IncrementalHash hasher)
    {
        ArgumentNullException.ThrowIfNull(hasher);
        if (left.Length != Size || right.Length != Size)
        {
            throw new ArgumentException("Merkle node hashes are 32 bytes.");
        }

        Span<byte> buffer = stackalloc byte[1 + (2 * Size)];
        buffer[0] = NodePrefix;
        left.CopyTo(buffer[1..]);
        right.CopyTo(buffer[(1 + Size)..]);
        hasher.AppendData(buffer);
        hasher.GetHashAndReset(destination);
    }

    /// <summary>Lower-case hex of a hash, for messages and logs.</summary>
    public static string ToHex(ReadOnlySpan<byte> hash) => Convert.ToHexStringLower(hash);
}
