// SPDX-License-Identifier: Apache-2.0
using System.Text;

namespace KeyCustody.Audit;

/// <summary>What a verified receipt proves.</summary>
/// <param name="LeafIndex">The entry's index in the log.</param>
/// <param name="Entry">The entry bytes.</param>
/// <param name="Checkpoint">The signed tree head the entry is included in.</param>
/// <param name="KeyId">The signed-note key id of the audit key that signed it.</param>
public sealed record ReceiptVerification(long LeafIndex, byte[] Entry, Checkpoint Checkpoint, uint KeyId);

/// <summary>What a verified consistency check proves: <paramref name="New"/> extends <paramref name="Old"/>.</summary>
/// <param name="Old">The older signed tree head.</param>
/// <param name="New">The newer signed tree head.</param>
public sealed record ConsistencyVerification(Checkpoint Old, Checkpoint New);

/// <summary>What a verified log export proves.</summary>
/// <param name="Origin">The log's origin.</param>
/// <param name="TreeSize">The number of entries, all covered by the last checkpoint.</param>
/// <param name="Checkpoints">How many signed checkpoints were checked against the recomputed tree.</param>
/// <param name="RootHash">The root at <paramref name="TreeSize"/>.</param>
/// <param name="RootsAt">Recomputed roots at the sizes the caller asked for.</param>
public sealed record LogVerification(string Origin, long TreeSize, long Checkpoints, byte[] RootHash, IReadOnlyDictionary<long, byte[]> RootsAt);

/// <summary>
/// Verifies audit material offline against the public audit key: checkpoints (signed notes), receipts,
/// consistency proofs and whole log exports. Every failure throws <see cref="AuditVerificationException"/> with the
/// precise <see cref="AuditVerificationError"/>; success returns what was proven.
/// </summary>
public sealed partial class AuditVerifier
{
    private readonly AuditPublicKey _key;
    private readonly string? _expectedOrigin;

    /// <summary>Creates a verifier trusting <paramref name="key"/>, optionally only for the log named <paramref name="expectedOrigin"/>.</summary>
    public AuditVerifier(AuditPublicKey key, string? expectedOrigin = null)
    {
        ArgumentNullException.ThrowIfNull(key);
        _key = key;
        _expectedOrigin = expectedOrigin;
    }

    /// <summary>
    /// Verifies a checkpoint note. Per c2sp.org/signed-note, signatures whose (key name, key id) are not the audit
    /// key's are ignored; the first that is decides. Its key name must be the checkpoint's origin.
    /// </summary>
    public Checkpoint VerifyCheckpoint(string note)
    {
        ArgumentNullException.ThrowIfNull(note);
        if (!SignedNote.TryParse(note, out SignedNote? parsed, out string error))
        {
            throw new AuditVerificationException(AuditVerificationError.CheckpointMalformed, $"The checkpoint is not a signed note: {error}.");
        }

        NoteSignature? ours = parsed!.Signatures.FirstOrDefault(s => _key.KeyId(s.KeyName) == s.KeyId);
        if (ours is null)
        {
            string seen = string.Join(", ", parsed.Signatures.Select(s => $"'{s.KeyName}' key id {SignedNote.FormatKeyId(s.KeyId)}"));
            throw new AuditVerificationException(AuditVerificationError.UnknownKey,
                $"The checkpoint carries no signature from the trusted audit key (it is signed by {seen}).");
        }

        if (!_key.Verify(Encoding.UTF8.GetBytes(parsed.Text), ours.Signature))
        {
            throw new AuditVerificationException(AuditVerificationError.SignatureInvalid,
                $"The checkpoint signature by '{ours.KeyName}' (key id {SignedNote.FormatKeyId(ours.KeyId)}) does not verify with the audit key.");
        }

        if (!Checkpoint.TryParseBody(parsed.Text, out Checkpoint? checkpoint, out error))
        {
            throw new AuditVerificationException(AuditVerificationError.CheckpointMalformed, $"The signed note is not a checkpoint: {error}.");
        }

        if (checkpoint!.Origin != ours.KeyName)
        {
            throw new AuditVerificationException(AuditVerificationError.OriginMismatch,
                $"The checkpoint's origin '{checkpoint.Origin}' differs from its signer's key name '{ours.KeyName}'.");
        }

        if (_expectedOrigin is not null && checkpoint.Origin != _expectedOrigin)
        {
            throw new AuditVerificationException(AuditVerificationError.OriginMismatch,
                $"The checkpoint is from the log '{checkpoint.Origin}', not '{_expectedOrigin}'.");
        }

        return checkpoint;
    }

    /// <summary>Verifies a receipt document (UTF-8 JSON).</summary>
    public ReceiptVerification VerifyReceipt(ReadOnlySpan<byte> receiptJson) => VerifyReceipt(AuditReceipt.Parse(receiptJson));

    /// <summary>Verifies a parsed receipt: the checkpoint's signature, then the inclusion proof to its root.</summary>
    public ReceiptVerification VerifyReceipt(AuditReceipt receipt)
    {
        ArgumentNullException.ThrowIfNull(receipt);
        Checkpoint checkpoint = VerifyCheckpoint(receipt.Checkpoint);
        if (receipt.TreeSize != checkpoint.TreeSize)
        {
            throw new AuditVerificationException(AuditVerificationError.SizeMismatch,
                $"The receipt's proof is for a tree of {receipt.TreeSize} entries but its checkpoint is for {checkpoint.TreeSize}.");
        }

        byte[] leaf = MerkleHash.HashLeaf(receipt.Entry);
        if (!MerkleProof.VerifyInclusion(leaf, receipt.LeafIndex, receipt.TreeSize, receipt.InclusionProof, checkpoint.RootHash))
        {
            throw new AuditVerificationException(AuditVerificationError.InclusionProofInvalid,
                $"The inclusion proof does not show entry {receipt.LeafIndex} in the tree of {checkpoint.TreeSize} entries with root {MerkleHash.ToHex(checkpoint.RootHash)}.");
        }

        return new ReceiptVerification(receipt.LeafIndex, receipt.Entry, checkpoint, _key.KeyId(checkpoint.Origin));
    }

    /// <summary>Verifies that the checkpoint <paramref name="newNote"/> extends <paramref name="oldNote"/> with a consistency proof.</summary>
    public ConsistencyVerification VerifyConsistency(string oldNote, string newNote, ConsistencyProofDocument proof)
    {
        ArgumentNullException.ThrowIfNull(proof);
        (Checkpoint old, Checkpoint @new) = VerifyPair(oldNote, newNote);
        if (proof.OldSize != old.TreeSize || proof.NewSize != @new.TreeSize)
        {
            throw new AuditVerificationException(AuditVerificationError.SizeMismatch,
                $"The proof links sizes {proof.OldSize} → {proof.NewSize}, but the checkpoints are for {old.TreeSize} and {@new.TreeSize}.");
        }

        if (!MerkleProof.VerifyConsistency(old.TreeSize, @new.TreeSize, old.RootHash, @new.RootHash, proof.Proof))
        {
            throw new AuditVerificationException(AuditVerificationError.ConsistencyProofInvalid,
                $"The consistency proof does not show that the tree of {@new.TreeSize} entries extends the tree of {old.TreeSize} entries.");
        }

        return new ConsistencyVerification(old, @new);
    }

    /// <summary>
    /// Verifies that both checkpoints are prefixes of the log in <paramref name="export"/>: the export itself is verified
    /// in full and its recomputed roots at both sizes must equal the checkpoints' roots.
    /// </summary>
    public ConsistencyVerification VerifyConsistency(string oldNote, string newNote, Stream export, CancellationToken cancellationToken = default)
    {
        (Checkpoint old, Checkpoint @new) = VerifyPair(oldNote, newNote);
        LogVerification log = VerifyLogExport(export, [old.TreeSize, @new.TreeSize], cancellationToken);
        if (log.Origin != old.Origin)
        {
            throw new AuditVerificationException(AuditVerificationError.OriginMismatch, $"The export is of the log '{log.Origin}', the checkpoints of '{old.Origin}'.");
        }

        foreach (Checkpoint checkpoint in new[] { old, @new })
        {
            if (!log.RootsAt.TryGetValue(checkpoint.TreeSize, out byte[]? root))
            {
                throw new AuditVerificationException(AuditVerificationError.SizeMismatch,
                    $"The export holds {log.TreeSize} entries, fewer than the checkpoint's {checkpoint.TreeSize}.");
            }

            if (!root.AsSpan().SequenceEqual(checkpoint.RootHash))
            {
                throw new AuditVerificationException(AuditVerificationError.ConsistencyProofInvalid,
                    $"The checkpoint of size {checkpoint.TreeSize} has root {MerkleHash.ToHex(checkpoint.RootHash)}, but the exported log has {MerkleHash.ToHex(root)} at that size.");
            }
        }

        return new ConsistencyVerification(old, @new);
    }

    private (Checkpoint Old, Checkpoint New) VerifyPair(string oldNote, string newNote)
    {
        Checkpoint old = VerifyCheckpoint(oldNote);
        Checkpoint @new = VerifyCheckpoint(newNote);
        if (old.Origin != @new.Origin)
        {
            throw new AuditVerificationException(AuditVerificationError.OriginMismatch, $"The checkpoints are from different logs: '{old.Origin}' and '{@new.Origin}'.");
        }

        if (old.TreeSize > @new.TreeSize)
        {
            throw new AuditVerificationException(AuditVerificationError.ConsistencyProofInvalid,
                $"The old checkpoint ({old.TreeSize} entries) is larger than the new one ({@new.TreeSize}); pass them oldest first.");
        }

        return (old, @new);
    }
}
