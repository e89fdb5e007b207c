// SPDX-License-Identifier: Apache-2.0
using System.Security.Cryptography;
using KeyCustody.Core;
using KeyCustody.Core.Ports;
using static KeyCustody.Pkcs11.Interop.Pkcs11Constants;

namespace KeyCustody.Pkcs11;

/// <summary>Key generation, lookup, listing and destruction.</summary>
public sealed partial class Pkcs11KeyStore
{
    private static readonly ulong[] s_privateAttributes =
        [CKA_LABEL, CKA_ID, CKA_KEY_TYPE, CKA_SENSITIVE, CKA_EXTRACTABLE, CKA_WRAP_WITH_TRUSTED, CKA_ALWAYS_SENSITIVE, CKA_NEVER_EXTRACTABLE, CKA_LOCAL, CKA_SIGN];

    private static readonly ulong[] s_publicAttributes = [CKA_KEY_TYPE, CKA_EC_PARAMS, CKA_EC_POINT, CKA_MODULUS, CKA_PUBLIC_EXPONENT];

    /// <inheritdoc />
    /// <remarks>
    /// Both halves get CKA_LABEL = the key name and a random 16-byte CKA_ID. The private half is a sensitive token
    /// object visible only after login that may only sign; it is extractable only when
    /// <see cref="KeySpec.BackupCapable"/>, and then only under a trusted wrap key (CKA_WRAP_WITH_TRUSTED).
    /// The token's answer is read back and checked; a key that came out weaker is destroyed (DeviceFault).
    /// </remarks>
    public async ValueTask<KeyInfo> GenerateKeyAsync(KeySpec spec, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(spec);
        if (!Enum.IsDefined(spec.Algorithm))
        {
            throw new CustodyException(CustodyStatus.InvalidArgument, $"Unknown key algorithm {(int)spec.Algorithm}.");
        }

        string label = spec.Name.Value;
        await _keyChangeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return await ExecuteAsync($"Generating {Algorithms.Name(spec.Algorithm)} key '{label}'", (session, connection) =>
            {
                if (FindPrivateKeys(session, label).Count > 0)
                {
                    throw new CustodyException(CustodyStatus.AlreadyExists, $"A key named '{label}' already exists on token {_options.TokenDescription}.");
                }

                byte[] id = RandomNumberGenerator.GetBytes(16);
                (Pkcs11Mechanism mechanism, Pkcs11Attribute[] publicTemplate, Pkcs11Attribute[] privateTemplate) =
                    KeyTemplates.ForGeneration(spec.Algorithm, label, id, spec.BackupCapable);
                (ulong publicKey, ulong privateKey) = session.GenerateKeyPair(mechanism, publicTemplate, privateTemplate);
                try
                {
                    CachedKey key = Describe(session, connection, privateKey, publicKey);
                    CheckProtection(key, spec.Algorithm, spec.BackupCapable);
                    _keys[label] = key;
                    Pkcs11Log.KeyGenerated(_logger, label, Algorithms.Name(spec.Algorithm), spec.BackupCapable);
                    return key.Info ?? throw Unusable(key.Details);
                }
                catch
                {
                    TryDestroy(session, privateKey);
                    TryDestroy(session, publicKey);
                    throw;
                }
            }, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _keyChangeLock.Release();
        }
    }

    /// <inheritdoc />
    /// <remarks>A key with this name that KeyCustody cannot use (no public half, unsupported type) is Unsupported.</remarks>
    public ValueTask<KeyInfo?> FindKeyAsync(KeyName name, CancellationToken cancellationToken = default) =>
        ExecuteAsync($"Looking up key '{name}'", (session, connection) => Lookup(session, connection, name.Value) switch
        {
            null => null,
            { Info: { } info } => info,
            { Details: var d } => throw Unusable(d),
        }, cancellationToken);

    private CustodyException Unusable(Pkcs11KeyDetails details) => new(CustodyStatus.Unsupported,
        $"Key '{details.Label}' on token {_options.TokenDescription} is a {details.AlgorithmDescription}; KeyCustody signs with ecdsa-p256, ecdsa-p384, ed25519, rsa-3072 or rsa-4096 keys that have a public key object.");

    /// <inheritdoc />
    /// <remarks>Keys whose label is not a valid <see cref="KeyName"/> or whose type KeyCustody cannot use are left out;
    /// <see cref="ListKeyDetailsAsync"/> shows everything.</remarks>
    public async ValueTask<IReadOnlyList<KeyInfo>> ListKeysAsync(CancellationToken cancellationToken = default)
    {
        IReadOnlyList<Pkcs11KeyDetails> all = await ListKeyDetailsAsync(cancellationToken).ConfigureAwait(false);
        return all
            .Where(d => d.Name is not null && d.Algorithm is not null && d.SubjectPublicKeyInfo is not null && d.CanSign)
            .Select(d => new KeyInfo(d.Name!.Value, d.Algorithm!.Value, d.Id, d.SubjectPublicKeyInfo!.Value, d.BackupCapable))
            .OrderBy(k => k.Name.Value, StringComparer.Ordinal)
            .ToList();
    }

    /// <summary>
    /// Every private key on the token with its protection attributes, including keys made by other tools
    /// (public halves are paired by CKA_ID, falling back to the label).
    /// </summary>
    public ValueTask<IReadOnlyList<Pkcs11KeyDetails>> ListKeyDetailsAsync(CancellationToken cancellationToken = default) =>
        ExecuteAsync<IReadOnlyList<Pkcs11KeyDetails>>("Listing keys", (session, connection) =>
        {
            EnsureStillLoggedIn(session, "C_FindObjects");
            var details = new List<Pkcs11KeyDetails>();
            foreach (ulong privateKey in session.FindObjects([Pkcs11Attribute.ULong(CKA_CLASS, CKO_PRIVATE_KEY)]))
            {
                details.Add(Describe(session, connection, privateKey, publicKey: null).Details);
            }

            return details.OrderBy(d => d.Label, StringComparer.Ordinal).ThenBy(d => d.IdHex, StringComparer.Ordinal).ToList();
        }, cancellationToken);

    /// <inheritdoc />
    /// <remarks>Destroys the private key labelled <paramref name="name"/> and its public key object(s).</remarks>
    public async ValueTask DestroyKeyAsync(KeyName name, CancellationToken cancellationToken = default)
    {
        string label = name.Value;
        await _keyChangeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await ExecuteAsync($"Destroying key '{label}'", (session, connection) =>
            {
                IReadOnlyList<ulong> privateKeys = FindPrivateKeys(session, label);
                if (privateKeys.Count == 0)
                {
                    throw new CustodyException(CustodyStatus.NotFound, $"There is no key named '{label}' on token {_options.TokenDescription}.");
                }

                _keys.TryRemove(label, out _);
                int destroyed = 0;
                foreach (ulong privateKey in privateKeys)
                {
                    byte[] id = session.GetAttributeValues(privateKey, [CKA_ID])[0] ?? [];
                    foreach (ulong publicKey in FindPublicKeys(session, label, id))
                    {
                        session.DestroyObject(publicKey);
                        destroyed++;
                    }

                    session.DestroyObject(privateKey);
                    destroyed++;
                }

                Pkcs11Log.KeyDestroyed(_logger, label, destroyed);
                return destroyed;
            }, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _keyChangeLock.Release();
        }
    }

    /// <summary>The cached key for <paramref name="label"/> when it belongs to <paramref name="connection"/>, else a fresh lookup (cached).</summary>
    private CachedKey? GetOrLookup(Pkcs11Session session, Connection connection, string label) =>
        _keys.TryGetValue(label, out CachedKey? cached) && ReferenceEquals(cached.Connection, connection)
            ? cached
            : Lookup(session, connection, label);

    /// <summary>
    /// Finds the private key labelled <paramref name="label"/> and its public half, and caches the handles
    /// (SoftHSM scans every object on each find). Null when there is no such key.
    /// </summary>
    private CachedKey? Lookup(Pkcs11Session session, Connection connection, string label)
    {
        IReadOnlyList<ulong> privateKeys = FindPrivateKeys(session, label);
        if (privateKeys.Count == 0)
        {
            EnsureStillLoggedIn(session, "C_FindObjects");
            _keys.TryRemove(label, out _);
            return null;
        }

        if (privateKeys.Count > 1)
        {
            throw new CustodyException(CustodyStatus.WrongState,
                $"Token {_options.TokenDescription} holds {privateKeys.Count} private keys labelled '{label}'; remove or relabel the extra ones.");
        }

        CachedKey key = Describe(session, connection, privateKeys[0], publicKey: null);
        _keys[label] = key;
        return key;
    }

    /// <summary>Reads a private key's attributes and its public half (given, or found by CKA_ID then label).</summary>
    private CachedKey Describe(Pkcs11Session session, Connection connection, ulong privateKey, ulong? publicKey)
    {
        byte[]?[] p = session.GetAttributeValues(privateKey, s_privateAttributes);
        string label = p[0] is { } l ? System.Text.Encoding.UTF8.GetString(l) : string.Empty;
        byte[] id = p[1] ?? [];
        ulong keyType = p[2] is { } t ? Pkcs11Attribute.ReadULong(t) : ulong.MaxValue;

        if (publicKey is null && FindPublicKeys(session, label, id) is [ulong found, ..])
        {
            publicKey = found;
        }
        KeyAlgorithm? algorithm = null;
        byte[]? spki = null;
        string description = keyType switch { CKK_EC => "EC key", CKK_EC_EDWARDS => "EdDSA key", CKK_RSA => "RSA key", _ => $"key type 0x{keyType:X}" };
        if (publicKey is { } pub)
        {
            byte[]?[] q = session.GetAttributeValues(pub, s_publicAttributes);
            ulong publicType = q[0] is { } pt ? Pkcs11Attribute.ReadULong(pt) : keyType;
            (algorithm, spki, description) = KeyTemplates.DescribePublicKey(publicType, q[1], q[2], q[3], q[4]);
        }
        else
        {
            description += " without a public key object";
        }

        var details = new Pkcs11KeyDetails(
            label,
            id,
            keyType switch { CKK_EC => nameof(CKK_EC), CKK_EC_EDWARDS => nameof(CKK_EC_EDWARDS), CKK_RSA => nameof(CKK_RSA), _ => $"0x{keyType:X}" },
            algorithm,
            description,
            Sensitive: ReadBool(p[3]),
            Extractable: ReadBool(p[4]),
            WrapWithTrusted: ReadBool(p[5]),
            AlwaysSensitive: ReadBool(p[6]),
            NeverExtractable: ReadBool(p[7]),
            Local: ReadBool(p[8]),
            CanSign: ReadBool(p[9]),
            SubjectPublicKeyInfo: spki);

        return new CachedKey(connection, details, privateKey, publicKey);
    }

    /// <summary>
    /// Private objects are invisible without a login, so "not found" is only an answer while logged in. When the
    /// login was lost behind the store's back (another C_Logout, C_CloseAllSessions), raise
    /// CKR_USER_NOT_LOGGED_IN so the pool drops the session and logs in again.
    /// </summary>
    private static void EnsureStillLoggedIn(Pkcs11Session session, string function)
    {
        if (!session.GetSessionInfo().UserLoggedIn)
        {
            throw new Pkcs11Exception(function, CKR_USER_NOT_LOGGED_IN);
        }
    }

    private static bool ReadBool(byte[]? value) => value is not null && Pkcs11Attribute.ReadBool(value);

    /// <summary>Checks what the token made matches what KeyCustody asked for.</summary>
    private void CheckProtection(CachedKey key, KeyAlgorithm expected, bool backupCapable)
    {
        Pkcs11KeyDetails d = key.Details;
        string? problem = d switch
        {
            { Algorithm: null } or { SubjectPublicKeyInfo: null } => $"its public key could not be read ({d.AlgorithmDescription})",
            _ when d.Algorithm != expected => $"it is {d.AlgorithmDescription}, not {Algorithms.Name(expected)}",
            { Sensitive: false } => "CKA_SENSITIVE is false",
            _ when d.Extractable != backupCapable => $"CKA_EXTRACTABLE is {d.Extractable}",
            _ when backupCapable && !d.WrapWithTrusted => "CKA_WRAP_WITH_TRUSTED is false",
            { CanSign: false } => "CKA_SIGN is false",
            _ => null,
        };
        if (problem is not null)
        {
            throw new CustodyException(CustodyStatus.DeviceFault,
                $"Token {_options.TokenDescription} generated key '{d.Label}' with different protection than requested ({problem}); it was destroyed.");
        }
    }

    private static IReadOnlyList<ulong> FindPrivateKeys(Pkcs11Session session, string label) =>
        session.FindObjects([Pkcs11Attribute.ULong(CKA_CLASS, CKO_PRIVATE_KEY), Pkcs11Attribute.Text(CKA_LABEL, label)]);

    /// <summary>Public key objects of a key pair: same CKA_ID (preferring the same label too), else the same label.</summary>
    private static IReadOnlyList<ulong> FindPublicKeys(Pkcs11Session session, string label, byte[] id)
    {
        if (id.Length > 0)
        {
            IReadOnlyList<ulong> byIdAndLabel = session.FindObjects(
                [Pkcs11Attribute.ULong(CKA_CLASS, CKO_PUBLIC_KEY), Pkcs11Attribute.Bytes(CKA_ID, id), Pkcs11Attribute.Text(CKA_LABEL, label)]);
            if (byIdAndLabel.Count > 0)
            {
                return byIdAndLabel;
            }

            IReadOnlyList<ulong> byId = session.FindObjects([Pkcs11Attribute.ULong(CKA_CLASS, CKO_PUBLIC_KEY), Pkcs11Attribute.Bytes(CKA_ID, id)]);
            if (byId.Count == 1)
            {
                return byId;
            }
        }

        return label.Length == 0
            ? []
            : session.FindObjects([Pkcs11Attribute.ULong(CKA_CLASS, CKO_PUBLIC_KEY), Pkcs11Attribute.Text(CKA_LABEL, label)]);
    }

    private static void TryDestroy(Pkcs11Session session, ulong handle)
    {
        try
        {
            session.DestroyObject(handle);
        }
        catch (Pkcs11Exception)
        {
            // Best effort while already failing.
        }
    }

    /// <summary>Handles and public key of one key, valid for one connection.</summary>
    private sealed class CachedKey
    {
        public CachedKey(Connection connection, Pkcs11KeyDetails details, ulong privateHandle, ulong? publicHandle)
        {
            Connection = connection;
            Details = details;
            PrivateHandle = privateHandle;
            PublicHandle = publicHandle;
            if (details is { Algorithm: { } algorithm, SubjectPublicKeyInfo: { } spki, Name: { } name })
            {
                Info = new KeyInfo(name, algorithm, details.Id, spki, details.BackupCapable);
                Verifier = new PublicKeyVerifier(algorithm, spki.ToArray());
            }
        }

        public Connection Connection { get; }

        public Pkcs11KeyDetails Details { get; }

        public ulong PrivateHandle { get; }

        public ulong? PublicHandle { get; }

        /// <summary>Null when the key is not usable by KeyCustody (label or type).</summary>
        public KeyInfo? Info { get; }

        public PublicKeyVerifier? Verifier { get; }
    }
}
