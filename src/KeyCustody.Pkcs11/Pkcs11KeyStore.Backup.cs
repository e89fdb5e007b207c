// SPDX-License-Identifier: Apache-2.0
using System.Security.Cryptography;
using KeyCustody.Core;
using KeyCustody.Core.Ports;
using static KeyCustody.Pkcs11.Interop.Pkcs11Constants;

namespace KeyCustody.Pkcs11;

/// <summary>
/// The primitives of the backup ceremony: a trusted AES wrap key (made by the security officer), wrapping a
/// backup-capable key under it (CKM_AES_KEY_WRAP_PAD, RFC 5649), and unwrapping it again.
/// </summary>
public sealed partial class Pkcs11KeyStore
{
    /// <summary>
    /// Creates an AES-256 wrap key with CKA_TRUSTED = true. PKCS#11 lets only the security officer set
    /// CKA_TRUSTED, so this logs in as SO: the store first closes its own (user) sessions, because one process
    /// cannot be logged in as user and SO at once, and reopens them afterwards. The SO may not create private
    /// objects, so the key is a public object (CKA_PRIVATE = false) — but sensitive and non-extractable, usable
    /// only to wrap and unwrap. Returns the key's CKA_ID.
    /// </summary>
    /// <exception cref="CustodyException">AlreadyExists, PinIncorrect (SO PIN), WrongState (another session of the process is logged in).</exception>
    public async ValueTask<ReadOnlyMemory<byte>> CreateTrustedWrapKeyAsync(
        string label, Func<CancellationToken, ValueTask<byte[]>> soPin, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(label);
        ArgumentNullException.ThrowIfNull(soPin);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);

        // Take every permit of the pool: no operation may hold a user session while the SO is logged in. The key
        // change lock first, so two callers cannot each hold part of the permits and wait for the rest forever.
        await _keyChangeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        int held = 0;
        try
        {
            for (; held < _options.PoolSize; held++)
            {
                await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
            }

            Connection connection = await GetConnectionAsync(cancellationToken).ConfigureAwait(false);
            connection.DrainIdle();
            string what = $"Creating trusted wrap key '{label}' on token {_options.TokenDescription}";
            try
            {
                using Pkcs11Session session = connection.Slot.OpenSession(readWrite: true);
                if (FindSecretKeys(session, label).Count > 0)
                {
                    throw new CustodyException(CustodyStatus.AlreadyExists, $"A secret key labelled '{label}' already exists on token {_options.TokenDescription}.");
                }

                // Closing the pool's sessions should have ended the user login (PKCS#11 §5.6: login state ends with
                // the application's last session); log out explicitly in case a module keeps it.
                if (session.GetSessionInfo().UserLoggedIn)
                {
                    session.Logout();
                }

                byte[] pin = await soPin(cancellationToken).ConfigureAwait(false);
                try
                {
                    session.Login(CKU_SO, pin);
                }
                catch (Pkcs11Exception ex) when (ex.ReturnValue is CKR_PIN_INCORRECT or CKR_PIN_LOCKED or CKR_PIN_INVALID or CKR_PIN_LEN_RANGE)
                {
                    throw new CustodyException(Pkcs11StatusMapper.ToStatus(ex.ReturnValue),
                        $"The HSM rejected the security officer PIN for token {_options.TokenDescription}: C_Login returned {ex.ReturnValueName}.", ex);
                }
                catch (Pkcs11Exception ex) when (ex.ReturnValue == CKR_USER_ANOTHER_ALREADY_LOGGED_IN)
                {
                    throw new CustodyException(CustodyStatus.WrongState,
                        $"{what}: C_Login(CKU_SO) returned {ex.ReturnValueName}; another part of this process is logged in to the token as user. Create the wrap key with no other store open on the token.", ex);
                }
                finally
                {
                    CryptographicOperations.ZeroMemory(pin);
                }

                try
                {
                    byte[] id = RandomNumberGenerator.GetBytes(16);
                    ulong key = session.GenerateKey(new Pkcs11Mechanism(CKM_AES_KEY_GEN),
                    [
                        Pkcs11Attribute.ULong(CKA_CLASS, CKO_SECRET_KEY),
                        Pkcs11Attribute.ULong(CKA_KEY_TYPE, CKK_AES),
                        Pkcs11Attribute.ULong(CKA_VALUE_LEN, 32),
                        Pkcs11Attribute.Bool(CKA_TOKEN, true),
                        Pkcs11Attribute.Bool(CKA_PRIVATE, false),
                        Pkcs11Attribute.Bool(CKA_SENSITIVE, true),
                        Pkcs11Attribute.Bool(CKA_EXTRACTABLE, false),
                        Pkcs11Attribute.Bool(CKA_TRUSTED, true),
                        Pkcs11Attribute.Bool(CKA_WRAP, true),
                        Pkcs11Attribute.Bool(CKA_UNWRAP, true),
                        Pkcs11Attribute.Bool(CKA_ENCRYPT, false),
                        Pkcs11Attribute.Bool(CKA_DECRYPT, false),
                        Pkcs11Attribute.Bool(CKA_SIGN, false),
                        Pkcs11Attribute.Bool(CKA_VERIFY, false),
                        Pkcs11Attribute.Bool(CKA_DERIVE, false),
                        Pkcs11Attribute.Text(CKA_LABEL, label),
                        Pkcs11Attribute.Bytes(CKA_ID, id),
                    ]);
                    Pkcs11Log.TrustedWrapKeyCreated(_logger, label);
                    return id;
                }
                finally
                {
                    // Back to no login; the pool logs the user in again on its next session.
                    try
                    {
                        session.Logout();
                    }
                    catch (Pkcs11Exception)
                    {
                        // Closing the session below ends the login anyway.
                    }
                }
            }
            catch (Pkcs11Exception ex)
            {
                throw Pkcs11StatusMapper.ToCustodyException(ex, what);
            }
        }
        finally
        {
            if (held > 0)
            {
                _gate.Release(held);
            }

            _keyChangeLock.Release();
        }
    }

    /// <summary>
    /// Wraps the private half of a backup-capable key under the trusted wrap key labelled
    /// <paramref name="wrapKeyLabel"/>. A key generated non-extractable is refused (PermissionDenied) — and the
    /// token would refuse too (CKR_KEY_UNEXTRACTABLE).
    /// </summary>
    public ValueTask<WrappedKey> WrapKeyAsync(KeyName name, string wrapKeyLabel, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(wrapKeyLabel);
        string label = name.Value;
        return ExecuteAsync($"Wrapping key '{label}' under '{wrapKeyLabel}'", (session, connection) =>
        {
            CachedKey key = Lookup(session, connection, label)
                ?? throw new CustodyException(CustodyStatus.NotFound, $"There is no key named '{label}' on token {_options.TokenDescription}.");
            KeyInfo info = key.Info ?? throw Unusable(key.Details);
            if (!key.Details.BackupCapable)
            {
                throw new CustodyException(CustodyStatus.PermissionDenied,
                    $"Key '{label}' is not backup-capable (CKA_EXTRACTABLE={key.Details.Extractable}, CKA_WRAP_WITH_TRUSTED={key.Details.WrapWithTrusted}); it can never leave the HSM, not even wrapped.");
            }

            ulong wrapKey = FindTrustedWrapKey(session, wrapKeyLabel);
            byte[] wrapped;
            try
            {
                wrapped = session.WrapKey(new Pkcs11Mechanism(CKM_AES_KEY_WRAP_PAD), wrapKey, key.PrivateHandle);
            }
            catch (Pkcs11Exception ex) when (ex.ReturnValue is CKR_KEY_NOT_WRAPPABLE or CKR_MECHANISM_INVALID)
            {
                // The key is extractable and the wrap key trusted (both checked above), so the token simply cannot
                // wrap this key type with this mechanism (SoftHSM 2.6 cannot wrap EdDSA private keys).
                throw new CustodyException(CustodyStatus.Unsupported,
                    $"Token {_options.TokenDescription} cannot wrap {Algorithms.Name(info.Algorithm)} private keys with CKM_AES_KEY_WRAP_PAD ({ex.Message}).", ex);
            }

            Pkcs11Log.KeyWrapped(_logger, label, wrapKeyLabel);
            return new WrappedKey(name, info.Algorithm, info.KeyId.ToArray(), info.SubjectPublicKeyInfo.ToArray(), wrapped, wrapKeyLabel);
        }, cancellationToken);
    }

    /// <summary>
    /// Restores a wrapped key: unwraps the private half (again backup-capable, sensitive, sign-only) under the
    /// trusted wrap key, recreates the public half from the SubjectPublicKeyInfo, and proves the pair by signing
    /// a random challenge and verifying it with .NET. A pair that does not match is destroyed (DeviceFault).
    /// </summary>
    public async ValueTask<KeyInfo> UnwrapKeyAsync(WrappedKey wrapped, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(wrapped);
        if (PublicKeyFormats.GetAlgorithm(wrapped.SubjectPublicKeyInfo.Span) != wrapped.Algorithm)
        {
            throw new CustodyException(CustodyStatus.InvalidArgument,
                $"The wrapped key '{wrapped.Name}' says {Algorithms.Name(wrapped.Algorithm)} but its public key is another type.");
        }

        string label = wrapped.Name.Value;
        await _keyChangeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return await ExecuteAsync($"Unwrapping key '{label}' under '{wrapped.WrapKeyLabel}'", (session, connection) =>
            {
                if (FindPrivateKeys(session, label).Count > 0)
                {
                    throw new CustodyException(CustodyStatus.AlreadyExists, $"A key named '{label}' already exists on token {_options.TokenDescription}.");
                }

                ulong wrapKey = FindTrustedWrapKey(session, wrapped.WrapKeyLabel);
                byte[] id = wrapped.KeyId.ToArray();
                ulong privateKey;
                try
                {
                    privateKey = session.UnwrapKey(new Pkcs11Mechanism(CKM_AES_KEY_WRAP_PAD), wrapKey, wrapped.WrappedPrivateKey.Span,
                        KeyTemplates.PrivateTemplate(wrapped.Algorithm, label, id, backupCapable: true));
                }
                catch (Pkcs11Exception ex) when (ex.ReturnValue is CKR_WRAPPED_KEY_INVALID or CKR_WRAPPED_KEY_LEN_RANGE or CKR_ENCRYPTED_DATA_INVALID
                    or CKR_GENERAL_ERROR)
                {
                    // SoftHSM 2.6 reports a failed RFC 5649 integrity check as CKR_GENERAL_ERROR; in this call the
                    // blob is the only input that varies, so read it the same way as CKR_WRAPPED_KEY_INVALID.
                    throw new CustodyException(CustodyStatus.InvalidArgument,
                        $"The wrapped key '{label}' does not unwrap under '{wrapped.WrapKeyLabel}' ({ex.Message}): it is damaged or was wrapped under another key.", ex);
                }

                ulong publicKey = 0;
                try
                {
                    publicKey = session.CreateObject(KeyTemplates.PublicTemplateFromSpki(wrapped.Algorithm, label, id, wrapped.SubjectPublicKeyInfo.Span));
                    CachedKey key = Describe(session, connection, privateKey, publicKey);
                    CheckProtection(key, wrapped.Algorithm, backupCapable: true);
                    ProvePair(session, key, wrapped);
                    _keys[label] = key;
                    Pkcs11Log.KeyUnwrapped(_logger, label, wrapped.WrapKeyLabel);
                    return key.Info!;
                }
                catch
                {
                    TryDestroy(session, privateKey);
                    if (publicKey != 0)
                    {
                        TryDestroy(session, publicKey);
                    }

                    throw;
                }
            }, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _keyChangeLock.Release();
        }
    }

    /// <summary>Signs a random challenge with the unwrapped private key and verifies it against the backup's public key.</summary>
    private void ProvePair(Pkcs11Session session, CachedKey key, WrappedKey wrapped)
    {
        byte[] challenge = RandomNumberGenerator.GetBytes(32);
        SignInput input = wrapped.Algorithm switch
        {
            KeyAlgorithm.Ed25519 => new SignInput(challenge, DigestAlgorithm.Sha256, SignatureScheme.Ed25519),
            KeyAlgorithm.EcdsaP256 or KeyAlgorithm.EcdsaP384 => new SignInput(challenge, DigestAlgorithm.Sha256, SignatureScheme.EcdsaRaw),
            _ => new SignInput(challenge, DigestAlgorithm.Sha256, SignatureScheme.RsaPkcs1),
        };
        (Pkcs11Mechanism mechanism, byte[] data) = KeyTemplates.ForSigning(wrapped.Algorithm, input);
        byte[] signature = session.Sign(mechanism, key.PrivateHandle, data);
        if (!SignatureVerification.Verify(wrapped.SubjectPublicKeyInfo.Span, input, signature))
        {
            throw new CustodyException(CustodyStatus.DeviceFault,
                $"The unwrapped private key '{wrapped.Name}' does not match the public key stored with it; it was destroyed.");
        }
    }

    private ulong FindTrustedWrapKey(Pkcs11Session session, string label)
    {
        IReadOnlyList<ulong> keys = FindSecretKeys(session, label);
        if (keys.Count == 0)
        {
            throw new CustodyException(CustodyStatus.NotFound, $"There is no wrap key labelled '{label}' on token {_options.TokenDescription}.");
        }

        if (keys.Count > 1)
        {
            throw new CustodyException(CustodyStatus.WrongState, $"Token {_options.TokenDescription} holds {keys.Count} secret keys labelled '{label}'.");
        }

        byte[]?[] a = session.GetAttributeValues(keys[0], [CKA_TRUSTED]);
        if (a[0] is not { } trusted || !Pkcs11Attribute.ReadBool(trusted))
        {
            throw new CustodyException(CustodyStatus.PermissionDenied,
                $"The wrap key '{label}' is not trusted (CKA_TRUSTED is false); only a key the security officer marked trusted may wrap backup keys.");
        }

        return keys[0];
    }

    private static IReadOnlyList<ulong> FindSecretKeys(Pkcs11Session session, string label) =>
        session.FindObjects([Pkcs11Attribute.ULong(CKA_CLASS, CKO_SECRET_KEY), Pkcs11Attribute.Text(CKA_LABEL, label)]);
}
