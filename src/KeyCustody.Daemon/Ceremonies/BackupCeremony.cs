// SPDX-License-Identifier: Apache-2.0
using System.Security.Cryptography;
using KeyCustody.Core;
using KeyCustody.Core.Ports;
using KeyCustody.Governance.Ceremonies;
using KeyCustody.Pkcs11;

namespace KeyCustody.Daemon.Ceremonies;

/// <summary>
/// The HSM side of backup and restore. Backup: a fresh random AES-256 wrap key is imported into the token as a
/// trusted wrap key (security officer), every requested backup-capable key is wrapped under it
/// (CKM_AES_KEY_WRAP_PAD), and the wrap key is split M-of-N into a <see cref="BackupBundle"/> whose shares are
/// encrypted to the custodians; the wrap key's value exists in memory only while this runs and is zeroed after.
/// Restore: M decrypted shares rebuild the wrap key, the bundle's MAC is checked, the wrap key is imported into the
/// target token, and each key is unwrapped and proven against its original public key.
/// </summary>
internal static class BackupCeremony
{
    /// <summary>Wraps <paramref name="keys"/> and returns the bundle.</summary>
    public static async Task<BackupBundle> BackupAsync(Pkcs11KeyStore hsm, Func<CancellationToken, ValueTask<byte[]>> soPin, string ceremonyId,
        IReadOnlyList<KeyName> keys, int threshold, IReadOnlyList<(string Custodian, byte[] X25519PublicKey)> recipients, DateTimeOffset now,
        CancellationToken cancellationToken)
    {
        CustodianQuorum.Validate(threshold, recipients.Count);
        string id = "bkp-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));
        string label = "keycustody-" + id;
        byte[] wrapKey = RandomNumberGenerator.GetBytes(32);
        try
        {
            await hsm.ImportTrustedWrapKeyAsync(label, wrapKey, soPin, cancellationToken).ConfigureAwait(false);
            var wrapped = new List<BackupKey>();
            foreach (KeyName name in keys)
            {
                WrappedKey w = await hsm.WrapKeyAsync(name, label, cancellationToken).ConfigureAwait(false);
                wrapped.Add(new BackupKey(name.Value, Algorithms.Name(w.Algorithm), w.KeyId.ToArray(), w.SubjectPublicKeyInfo.ToArray(), w.WrappedPrivateKey.ToArray()));
            }

            return BackupBundle.Create(id, ceremonyId, now, wrapped, wrapKey, threshold, recipients);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(wrapKey);
        }
    }

    /// <summary>Restores every key of <paramref name="bundle"/> onto <paramref name="hsm"/> from M decrypted shares.</summary>
    /// <returns>The restored keys, each proven to match its original public key.</returns>
    public static async Task<IReadOnlyList<KeyInfo>> RestoreAsync(Pkcs11KeyStore hsm, Func<CancellationToken, ValueTask<byte[]>> soPin, BackupBundle bundle,
        IReadOnlyList<ShamirShare> shares, CancellationToken cancellationToken)
    {
        byte[] wrapKey = bundle.RecoverWrapKey(shares);
        string label = "keycustody-" + bundle.Id;
        try
        {
            await hsm.ImportTrustedWrapKeyAsync(label, wrapKey, soPin, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(wrapKey);
        }

        var restored = new List<KeyInfo>();
        foreach (BackupKey key in bundle.Keys)
        {
            if (!KeyName.TryParse(key.Name, out KeyName name) || !Algorithms.TryParseKey(key.Algorithm, out KeyAlgorithm algorithm))
            {
                throw new CustodyException(CustodyStatus.InvalidArgument, $"Bundle {bundle.Id} names an unusable key '{key.Name}' ({key.Algorithm}).");
            }

            KeyInfo info = await hsm.UnwrapKeyAsync(new WrappedKey(name, algorithm, key.KeyId, key.SubjectPublicKeyInfo, key.WrappedPrivateKey, label), cancellationToken)
                .ConfigureAwait(false);
            if (!info.SubjectPublicKeyInfo.Span.SequenceEqual(key.SubjectPublicKeyInfo))
            {
                throw new CustodyException(CustodyStatus.DeviceFault, $"Restored key '{name}' does not have its original public key.");
            }

            restored.Add(info);
        }

        return restored;
    }
}
