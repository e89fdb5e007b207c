// SPDX-License-Identifier: Apache-2.0
using System.Security.Cryptography;
using System.Text;
using KeyCustody.Core;
using Org.BouncyCastle.Math.EC.Rfc7748;

namespace KeyCustody.Governance.Ceremonies;

/// <summary>A share encrypted to one custodian's X25519 key. Holds no secret in clear.</summary>
/// <param name="Recipient">The custodian's X25519 public key (32 bytes).</param>
/// <param name="Ephemeral">The sender's one-time X25519 public key (32 bytes).</param>
/// <param name="Ciphertext">AES-256-GCM ciphertext followed by the 16-byte tag.</param>
public sealed record ShareEnvelope(byte[] Recipient, byte[] Ephemeral, byte[] Ciphertext)
{
    private const string Info = "keycustody-backup-share-v1";

    /// <summary>
    /// Encrypts <paramref name="plaintext"/> to <paramref name="recipient"/>, age-style: a fresh ephemeral X25519
    /// key, ECDH with the recipient (RFC 7748), HKDF-SHA256 (RFC 5869; salt = ephemeral ‖ recipient, info names the
    /// format) to a one-time AES-256 key, AES-GCM with a zero nonce (the key is never reused) and
    /// <paramref name="associatedData"/> binding the envelope to its bundle and custodian.
    /// </summary>
    public static ShareEnvelope Seal(ReadOnlySpan<byte> recipient, ReadOnlySpan<byte> plaintext, ReadOnlySpan<byte> associatedData)
    {
        if (recipient.Length != X25519.PointSize)
        {
            throw new CustodyException(CustodyStatus.InvalidArgument, "An X25519 recipient key is 32 bytes.");
        }

        byte[] ephemeralPrivate = RandomNumberGenerator.GetBytes(X25519.ScalarSize);
        byte[] ephemeral = new byte[X25519.PointSize];
        byte[] key = [];
        try
        {
            X25519.ScalarMultBase(ephemeralPrivate, 0, ephemeral, 0);
            key = DeriveKey(ephemeralPrivate, recipient, ephemeral, recipient);
            byte[] output = new byte[plaintext.Length + 16];
            using var gcm = new AesGcm(key, 16);
            gcm.Encrypt(new byte[12], plaintext, output.AsSpan(0, plaintext.Length), output.AsSpan(plaintext.Length), associatedData);
            return new ShareEnvelope(recipient.ToArray(), ephemeral, output);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(ephemeralPrivate);
            CryptographicOperations.ZeroMemory(key);
        }
    }

    /// <summary>Decrypts with the recipient's private X25519 key; PermissionDenied when the key or the data is wrong.</summary>
    public byte[] Open(ReadOnlySpan<byte> recipientPrivate, ReadOnlySpan<byte> associatedData)
    {
        byte[] key = DeriveKey(recipientPrivate, Ephemeral, Ephemeral, Recipient);
        try
        {
            if (Ciphertext.Length < 16)
            {
                throw new CustodyException(CustodyStatus.InvalidArgument, "The encrypted share is truncated.");
            }

            byte[] plaintext = new byte[Ciphertext.Length - 16];
            using var gcm = new AesGcm(key, 16);
            gcm.Decrypt(new byte[12], Ciphertext.AsSpan(0, plaintext.Length), Ciphertext.AsSpan(plaintext.Length), plaintext, associatedData);
            return plaintext;
        }
        catch (AuthenticationTagMismatchException ex)
        {
            throw new CustodyException(CustodyStatus.PermissionDenied, "The share cannot be decrypted with this key (wrong custodian key, or the bundle was altered).", ex);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
        }
    }

    /// <summary>A fresh X25519 key pair (private, public) for a custodian to enrol.</summary>
    public static (byte[] Private, byte[] Public) NewKeyPair()
    {
        byte[] privateKey = RandomNumberGenerator.GetBytes(X25519.ScalarSize);
        byte[] publicKey = new byte[X25519.PointSize];
        X25519.ScalarMultBase(privateKey, 0, publicKey, 0);
        return (privateKey, publicKey);
    }

    /// <summary>No key or ciphertext bytes.</summary>
    public override string ToString() => $"ShareEnvelope {{ {Ciphertext.Length} bytes }}";

    private static byte[] DeriveKey(ReadOnlySpan<byte> scalar, ReadOnlySpan<byte> point, ReadOnlySpan<byte> ephemeral, ReadOnlySpan<byte> recipient)
    {
        byte[] shared = new byte[X25519.PointSize];
        try
        {
            // CalculateAgreement returns false for low-order points (an all-zero shared secret): refuse them.
            if (!X25519.CalculateAgreement(scalar.ToArray(), 0, point.ToArray(), 0, shared, 0))
            {
                throw new CustodyException(CustodyStatus.InvalidArgument, "The X25519 key is a low-order point.");
            }

            byte[] salt = [.. ephemeral, .. recipient];
            return HKDF.DeriveKey(HashAlgorithmName.SHA256, shared, 32, salt, Encoding.ASCII.GetBytes(Info));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(shared);
        }
    }
}
