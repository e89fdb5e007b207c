// SPDX-License-Identifier: Apache-2.0
using System.Security.Cryptography;
using System.Text;
using KeyCustody.Core;
using KeyCustody.Core.Ports;

namespace KeyCustody.Audit;

/// <summary>
/// Signs checkpoints with the appliance's audit key (through <see cref="IAuditSigner"/>, the TPM in production) as
/// C2SP signed notes whose key name is the log's origin. See <see cref="AuditPublicKey"/> for the key id and
/// signature encoding.
/// </summary>
public sealed class CheckpointSigner : IDisposable
{
    private readonly IAuditSigner _signer;
    private readonly AuditPublicKey _publicKey;

    /// <summary>Creates a signer for the log named <paramref name="origin"/>.</summary>
    public CheckpointSigner(IAuditSigner signer, string origin)
    {
        ArgumentNullException.ThrowIfNull(signer);
        if (!SignedNote.IsValidKeyName(origin))
        {
            throw new ArgumentException($"'{origin}' is not a valid origin: it must be non-empty, without spaces or '+'.", nameof(origin));
        }

        _signer = signer;
        _publicKey = AuditPublicKey.FromSubjectPublicKeyInfo(signer.SubjectPublicKeyInfo.Span);
        Origin = origin;
        KeyId = _publicKey.KeyId(origin);
    }

    /// <summary>The log's origin line and the signature's key name.</summary>
    public string Origin { get; }

    /// <summary>The signed-note key id of the audit key under <see cref="Origin"/>.</summary>
    public uint KeyId { get; }

    /// <summary>The public audit key.</summary>
    public AuditPublicKey PublicKey => _publicKey;

    /// <summary>Signs the checkpoint of a tree of <paramref name="treeSize"/> leaves with root <paramref name="rootHash"/>.</summary>
    /// <exception cref="CustodyException">DeviceFault when the signer returns a signature that does not verify.</exception>
    public async ValueTask<SignedCheckpoint> SignAsync(long treeSize, ReadOnlyMemory<byte> rootHash, CancellationToken cancellationToken = default)
    {
        var checkpoint = new Checkpoint(Origin, treeSize, rootHash);
        string body = checkpoint.FormatBody();
        byte[] text = Encoding.UTF8.GetBytes(body);
        byte[] signature = await _signer.SignDigestAsync(SHA256.HashData(text), cancellationToken).ConfigureAwait(false);

        // A signer (a TPM, a software key) that returns a bad signature would publish an unverifiable checkpoint.
        if (!_publicKey.Verify(text, signature))
        {
            throw new CustodyException(CustodyStatus.DeviceFault, "The audit signer returned a checkpoint signature that does not verify with its own public key.");
        }

        string note = new SignedNote(body, [new NoteSignature(Origin, KeyId, signature)]).Format();
        return new SignedCheckpoint(checkpoint, note);
    }

    /// <inheritdoc />
    public void Dispose() => _publicKey.Dispose();
}
