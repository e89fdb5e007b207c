// SPDX-License-Identifier: Apache-2.0
using System.Globalization;
using System.Text;

namespace KeyCustody.Audit;

/// <summary>
/// A tree head in the C2SP tlog-checkpoint body format (https://c2sp.org/tlog-checkpoint): the origin line, the tree
/// size in decimal without leading zeros, the base64 root hash, each followed by a newline. KeyCustody writes no
/// extension lines; parsing accepts them (they are signed) and keeps them.
/// </summary>
public sealed record Checkpoint
{
    /// <summary>Creates a checkpoint body.</summary>
    public Checkpoint(string origin, long treeSize, ReadOnlyMemory<byte> rootHash, IReadOnlyList<string>? extensions = null)
    {
        if (!SignedNote.IsValidKeyName(origin))
        {
            throw new ArgumentException($"'{origin}' is not a valid origin: it must be non-empty, without spaces or '+'.", nameof(origin));
        }

        ArgumentOutOfRangeException.ThrowIfNegative(treeSize);
        if (rootHash.Length != MerkleHash.Size)
        {
            throw new ArgumentException("A root hash is 32 bytes.", nameof(rootHash));
        }

        Origin = origin;
        TreeSize = treeSize;
        RootHash = rootHash.ToArray();
        Extensions = extensions ?? [];
    }

    /// <summary>The log's identity, also the key name of its signature (for example <c>keycustody.example/appliance-1</c>).</summary>
    public string Origin { get; }

    /// <summary>The number of leaves.</summary>
    public long TreeSize { get; }

    /// <summary>The RFC 6962 root of the first <see cref="TreeSize"/> leaves.</summary>
    public byte[] RootHash { get; }

    /// <summary>Extension lines after the root (none in checkpoints KeyCustody signs).</summary>
    public IReadOnlyList<string> Extensions { get; }

    /// <summary>The note text: <c>origin\nsize\nbase64(root)\n</c> and any extension lines.</summary>
    public string FormatBody()
    {
        var builder = new StringBuilder();
        builder.Append(Origin).Append('\n')
            .Append(TreeSize.ToString(CultureInfo.InvariantCulture)).Append('\n')
            .Append(Convert.ToBase64String(RootHash)).Append('\n');
        foreach (string line in Extensions)
        {
            builder.Append(line).Append('\n');
        }

        return builder.ToString();
    }

    /// <summary>Parses a checkpoint body (the text of a signed note).</summary>
    public static bool TryParseBody(string text, out Checkpoint? checkpoint, out string error)
    {
        ArgumentNullException.ThrowIfNull(text);
        checkpoint = null;
        if (!text.EndsWith('\n'))
        {
            error = "the checkpoint text does not end with a newline";
            return false;
        }

        string[] lines = text[..^1].Split('\n');
        if (lines.Length < 3)
        {
            error = "a checkpoint has at least three lines: origin, tree size, root hash";
            return false;
        }

        if (lines.Any(l => l.Length == 0))
        {
            error = "a checkpoint line is empty";
            return false;
        }

        if (!SignedNote.IsValidKeyName(lines[0]))
        {
            error = $"'{lines[0]}' is not a valid origin";
            return false;
        }

        string size = lines[1];
        if (size.Length > 19 || !size.All(char.IsAsciiDigit) || (size.Length > 1 && size[0] == '0')
            || !long.TryParse(size, NumberStyles.None, CultureInfo.InvariantCulture, out long treeSize))
        {
            error = $"'{size}' is not a tree size (decimal, no leading zeros)";
            return false;
        }

        byte[] root;
        try
        {
            root = Convert.FromBase64String(lines[2]);
        }
        catch (FormatException)
        {
            error = "the root hash is not base64";
            return false;
        }

        if (root.Length != MerkleHash.Size || Convert.ToBase64String(root) != lines[2])
        {
            error = "the root hash is not the canonical base64 of 32 bytes";
            return false;
        }

        checkpoint = new Checkpoint(lines[0], treeSize, root, lines[3..]);
        error = string.Empty;
        return true;
    }

    /// <inheritdoc />
    public override string ToString() => $"{Origin} size {TreeSize} root {MerkleHash.ToHex(RootHash)}";
}

/// <summary>A checkpoint and the signed note that carries it (what the log publishes and receipts embed).</summary>
/// <param name="Checkpoint">The parsed tree head.</param>
/// <param name="Note">The complete signed note text, byte-exact as signed.</param>
public sealed record SignedCheckpoint(Checkpoint Checkpoint, string Note);
