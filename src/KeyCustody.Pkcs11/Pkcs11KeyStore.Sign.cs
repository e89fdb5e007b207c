// SPDX-License-Identifier: Apache-2.0
using KeyCustody.Core;
using KeyCustody.Core.Ports;
using static KeyCustody.Pkcs11.Interop.Pkcs11Constants;

namespace KeyCustody.Pkcs11;

/// <summary>Signing.</summary>
public sealed partial class Pkcs11KeyStore
{
    /// <summary>The longest Ed25519 message accepted: the HSM signs the message itself, so keep it short (a digest or a statement).</summary>
    public const int MaxEd25519MessageLength = 16 * 1024;

    /// <inheritdoc />
    /// <remarks>
    /// ECDSA: CKM_ECDSA over the digest, r‖s from the token, DER when <see cref="SignatureScheme.EcdsaDer"/>.
    /// RSA: CKM_RSA_PKCS over DigestInfo‖digest, or CKM_RSA_PKCS_PSS (MGF1 and salt length of the digest).
    /// Ed25519: CKM_EDDSA over <see cref="SignInput.Data"/>. The signature is verified with .NET crypto against the
    /// key's public key before it is returned; one that does not verify is <see cref="CustodyStatus.DeviceFault"/>.
    /// </remarks>
    public async ValueTask<byte[]> SignAsync(KeyName name, SignInput input, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(input);
        ValidateInput(input);
        string label = name.Value;

        (CachedKey key, byte[] signature) = await ExecuteAsync($"Signing with key '{label}'", (session, connection) =>
        {
            CachedKey key = GetOrLookup(session, connection, label)
                ?? throw new CustodyException(CustodyStatus.NotFound, $"There is no key named '{label}' on token {_options.TokenDescription}.");
            (Pkcs11Mechanism mechanism, byte[] data) = Prepare(key, input);
            try
            {
                return (key, session.Sign(mechanism, key.PrivateHandle, data));
            }
            catch (Pkcs11Exception ex) when (ex.ReturnValue is CKR_KEY_HANDLE_INVALID or CKR_OBJECT_HANDLE_INVALID)
            {
                // The cached handle is stale (the key was destroyed and perhaps re-created elsewhere): look again.
                // A private key is also "invalid" once the login is gone; the lookup below tells the two apart.
                Pkcs11Log.StaleKeyHandle(_logger, label, ex.ReturnValueName);
                _keys.TryRemove(label, out _);
                key = Lookup(session, connection, label)
                    ?? throw new CustodyException(CustodyStatus.NotFound, $"There is no key named '{label}' on token {_options.TokenDescription}.");
                (mechanism, data) = Prepare(key, input);
                return (key, session.Sign(mechanism, key.PrivateHandle, data));
            }
        }, cancellationToken).ConfigureAwait(false);

        // Verified outside the session so the session goes back to the pool sooner.
        KeyAlgorithm algorithm = key.Info!.Algorithm;
        bool ecdsa = algorithm is KeyAlgorithm.EcdsaP256 or KeyAlgorithm.EcdsaP384;
        SignInput asProduced = ecdsa ? input with { Scheme = SignatureScheme.EcdsaRaw } : input;
        if (!key.Verifier!.Verify(asProduced, signature))
        {
            Pkcs11Log.SignatureRejected(_logger, label, Algorithms.Name(algorithm));
            throw new CustodyException(CustodyStatus.DeviceFault,
                $"The HSM returned a {Algorithms.Name(algorithm)} signature with key '{label}' that does not verify against the key's public key; it was withheld.");
        }

        return ecdsa && input.Scheme == SignatureScheme.EcdsaDer ? SignatureEncoding.EcdsaRawToDer(signature) : signature;
    }

    /// <summary>Checks what can be checked before the key is known: digest lengths and message size.</summary>
    private static void ValidateInput(SignInput input)
    {
        if (!Enum.IsDefined(input.Scheme))
        {
            throw new CustodyException(CustodyStatus.InvalidArgument, $"Unknown signature scheme {(int)input.Scheme}.");
        }

        if (input.Scheme == SignatureScheme.Ed25519)
        {
            if (input.Data.Length > MaxEd25519MessageLength)
            {
                throw new CustodyException(CustodyStatus.MessageTooLarge,
                    $"An Ed25519 message may be at most {MaxEd25519MessageLength} bytes; sign a digest of larger data.");
            }

            return;
        }

        if (!Enum.IsDefined(input.DigestAlgorithm))
        {
            throw new CustodyException(CustodyStatus.InvalidArgument, $"Unknown digest algorithm {(int)input.DigestAlgorithm}.");
        }

        int expected = Algorithms.DigestLength(input.DigestAlgorithm);
        if (input.Data.Length != expected)
        {
            throw new CustodyException(CustodyStatus.InvalidArgument,
                $"A {Algorithms.Name(input.DigestAlgorithm)} digest is {expected} bytes, but {input.Data.Length} were given.");
        }
    }

    /// <summary>Checks the scheme fits the key and builds the mechanism and data for C_Sign.</summary>
    private (Pkcs11Mechanism Mechanism, byte[] Data) Prepare(CachedKey key, SignInput input)
    {
        if (key.Info is null)
        {
            throw Unusable(key.Details);
        }

        KeyAlgorithm algorithm = key.Info.Algorithm;
        bool fits = algorithm switch
        {
            KeyAlgorithm.EcdsaP256 or KeyAlgorithm.EcdsaP384 => input.Scheme is SignatureScheme.EcdsaDer or SignatureScheme.EcdsaRaw,
            KeyAlgorithm.Ed25519 => input.Scheme == SignatureScheme.Ed25519,
            _ => input.Scheme is SignatureScheme.RsaPkcs1 or SignatureScheme.RsaPss,
        };
        if (!fits)
        {
            throw new CustodyException(CustodyStatus.InvalidArgument,
                $"Key '{key.Details.Label}' is {Algorithms.Name(algorithm)} and cannot make {input.Scheme} signatures.");
        }

        return KeyTemplates.ForSigning(algorithm, input);
    }
}
