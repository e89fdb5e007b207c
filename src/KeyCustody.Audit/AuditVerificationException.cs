// SPDX-License-Identifier: Apache-2.0
using KeyCustody.Core;

namespace KeyCustody.Audit;

/// <summary>Why a receipt, checkpoint, proof or log export failed verification.</summary>
public enum AuditVerificationError
{
    /// <summary>Nothing is wrong.</summary>
    None = 0,
    /// <summary>The document is not what its format says (bad JSON, missing field, bad base64, wrong type).</summary>
    Malformed = 1,
    /// <summary>The document declares a format or version this verifier does not know.</summary>
    UnsupportedFormat = 2,
    /// <summary>A checkpoint note is not a valid C2SP signed note / tlog checkpoint.</summary>
    CheckpointMalformed = 3,
    /// <summary>No signature on a checkpoint is from the trusted audit key (for example it was signed by another key).</summary>
    UnknownKey = 4,
    /// <summary>A signature from the trusted audit key does not verify.</summary>
    SignatureInvalid = 5,
    /// <summary>A checkpoint names a different log (origin) than expected.</summary>
    OriginMismatch = 6,
    /// <summary>An inclusion proof does not lead from the entry to the checkpoint's root.</summary>
    InclusionProofInvalid = 7,
    /// <summary>A consistency proof does not link the two checkpoints.</summary>
    ConsistencyProofInvalid = 8,
    /// <summary>The root recomputed from the entries differs from a signed checkpoint's root.</summary>
    RootMismatch = 9,
    /// <summary>Entries are not numbered 0, 1, 2, … in order.</summary>
    EntryOutOfOrder = 10,
    /// <summary>The document ends before its declared end.</summary>
    Truncated = 11,
    /// <summary>Bytes follow the document's declared end.</summary>
    TrailingData = 12,
    /// <summary>Declared sizes or counts disagree (header, trailer, checkpoint sizes, receipt tree size).</summary>
    SizeMismatch = 13,
    /// <summary>Checkpoints are out of sequence: a number is skipped or repeated, or a tree size shrinks.</summary>
    CheckpointOutOfOrder = 14,
}

/// <summary>
/// A verification failure: the audit material is corrupt, forged or from another log. Carries
/// <see cref="CustodyStatus.AuditCorrupt"/> and the precise <see cref="Error"/>.
/// </summary>
public sealed class AuditVerificationException : CustodyException
{
    /// <summary>Creates the exception with a message that says what did not verify.</summary>
    public AuditVerificationException(AuditVerificationError error, string message, Exception? innerException = null)
        : base(CustodyStatus.AuditCorrupt, message, innerException)
    {
        if (error == AuditVerificationError.None)
        {
            throw new ArgumentException("A verification failure needs an error.", nameof(error));
        }

        Error = error;
    }

    /// <summary>What failed.</summary>
    public AuditVerificationError Error { get; }
}
