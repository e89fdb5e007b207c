// SPDX-License-Identifier: Apache-2.0
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using KeyCustody.Core;

namespace KeyCustody.Governance.Ceremonies;

/// <summary>One wrapped key in a backup bundle (the private half only under the wrap key; never in clear).</summary>
/// <param name="Name">The key name.</param>
/// <param name="Algorithm">The key type.</param>
/// <param name="KeyId">Its CKA_ID.</param>
/// <param name="SubjectPublicKeyInfo">Its public key (DER SPKI): restored keys must verify under it.</param>
/// <param name="WrappedPrivateKey">The private key wrapped with CKM_AES_KEY_WRAP_PAD (RFC 5649).</param>
public sealed record BackupKey(string Name, string Algorithm, byte[] KeyId, byte[] SubjectPublicKeyInfo, byte[] WrappedPrivateKey)
{
    /// <summary>No wrapped bytes.</summary>
    public override string ToString() => $"BackupKey {{ {Name} ({Algorithm}) }}";
}

/// <summary>A custodian's encrypted share inside a bundle.</summary>
/// <param name="Custodian">The custodian.</param>
/// <param name="Envelope">The share encrypted to their X25519 key.</param>
public sealed record BackupShare(string Custodian, ShareEnvelope Envelope);

/// <summary>
/// The self-describing backup bundle (JSON, <c>"format": "keycustody-backup-v1"</c>): the wrapped keys with their
/// public keys, the threshold, and one share of the AES-256 wrap key per custodian, each encrypted to that
/// custodian (<see cref="ShareEnvelope"/>), so the bundle can be stored anywhere and no share is ever in clear.
/// Integrity: <c>mac</c> is HMAC-SHA256 over the canonical JSON of every other field, keyed by
/// HKDF-SHA256(wrap key, info "keycustody-backup-mac-v1"); it is checked once M shares rebuilt the wrap key, so a
/// changed bundle or a wrong share set is refused before anything is unwrapped. The appliance also records the
/// bundle's SHA-256 in the audit log.
/// </summary>
public sealed class BackupBundle
{
    /// <summary>The format name.</summary>
    public const string Format = "keycustody-backup-v1";

    private BackupBundle(string id, string ceremonyId, DateTimeOffset createdAt, int threshold, IReadOnlyList<BackupKey> keys,
        IReadOnlyList<BackupShare> shares, byte[] mac)
    {
        Id = id;
        CeremonyId = ceremonyId;
        CreatedAt = createdAt;
        Threshold = threshold;
        Keys = keys;
        Shares = shares;
        Mac = mac;
    }

    /// <summary>The bundle id.</summary>
    public string Id { get; }

    /// <summary>The backup ceremony.</summary>
    public string CeremonyId { get; }

    /// <summary>When it was made.</summary>
    public DateTimeOffset CreatedAt { get; }

    /// <summary>M: shares needed.</summary>
    public int Threshold { get; }

    /// <summary>The wrapped keys.</summary>
    public IReadOnlyList<BackupKey> Keys { get; }

    /// <summary>The encrypted shares, one per custodian.</summary>
    public IReadOnlyList<BackupShare> Shares { get; }

    /// <summary>The integrity tag.</summary>
    public byte[] Mac { get; }

    /// <summary>Splits <paramref name="wrapKey"/> M-of-N among <paramref name="recipients"/> and builds the bundle.</summary>
    public static BackupBundle Create(string id, string ceremonyId, DateTimeOffset createdAt, IReadOnlyList<BackupKey> keys, ReadOnlySpan<byte> wrapKey,
        int threshold, IReadOnlyList<(string Custodian, byte[] X25519PublicKey)> recipients)
    {
        ArgumentNullException.ThrowIfNull(keys);
        ArgumentNullException.ThrowIfNull(recipients);
        CustodianQuorum.Validate(threshold, recipients.Count);
        IReadOnlyList<ShamirShare> split = Shamir.Split(wrapKey, threshold, recipients.Count);
        var shares = new List<BackupShare>();
        for (int i = 0; i < recipients.Count; i++)
        {
            byte[] plain = [split[i].X, .. split[i].Y];
            try
            {
                shares.Add(new BackupShare(recipients[i].Custodian,
                    ShareEnvelope.Seal(recipients[i].X25519PublicKey, plain, AssociatedData(id, recipients[i].Custodian))));
            }
            finally
            {
                CryptographicOperations.ZeroMemory(plain);
                CryptographicOperations.ZeroMemory(split[i].Y);
            }
        }

        var bundle = new BackupBundle(id, ceremonyId, StatementText.TruncateToSeconds(createdAt), threshold, keys, shares, []);
        return new BackupBundle(id, ceremonyId, bundle.CreatedAt, threshold, keys, shares, bundle.ComputeMac(wrapKey));
    }

    /// <summary>Decrypts one custodian's share with their X25519 private key.</summary>
    public ShamirShare OpenShare(string custodian, ReadOnlySpan<byte> x25519PrivateKey)
    {
        BackupShare share = Shares.FirstOrDefault(s => s.Custodian == custodian)
            ?? throw new CustodyException(CustodyStatus.NotFound, $"Bundle {Id} holds no share for custodian '{custodian}'.");
        byte[] plain = share.Envelope.Open(x25519PrivateKey, AssociatedData(Id, custodian));
        try
        {
            return new ShamirShare(plain[0], Threshold, plain[1..]);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(plain);
        }
    }

    /// <summary>Rebuilds the wrap key from M shares and checks the bundle's MAC with it. PermissionDenied for too few shares or a failed check.</summary>
    public byte[] RecoverWrapKey(IReadOnlyList<ShamirShare> shares)
    {
        byte[] key = Shamir.Combine(shares);
        if (!CryptographicOperations.FixedTimeEquals(ComputeMac(key), Mac))
        {
            CryptographicOperations.ZeroMemory(key);
            throw new CustodyException(CustodyStatus.PermissionDenied,
                $"Backup bundle {Id} does not verify with the wrap key these shares rebuild: the bundle was altered or the shares are not its own.");
        }

        return key;
    }

    /// <summary>The bundle as JSON (UTF-8).</summary>
    public byte[] ToJson()
    {
        JsonObject document = Body();
        document["mac"] = Convert.ToBase64String(Mac);
        return Encoding.UTF8.GetBytes(CanonicalJson.Canonicalize(document.ToJsonString()));
    }

    /// <summary>Reads a bundle; InvalidArgument naming what is wrong.</summary>
    public static BackupBundle Parse(ReadOnlySpan<byte> json)
    {
        try
        {
            JsonObject d = JsonNode.Parse(Encoding.UTF8.GetString(json))?.AsObject()
                ?? throw new CustodyException(CustodyStatus.InvalidArgument, "The backup bundle is empty.");
            if ((string?)d["format"] != Format)
            {
                throw new CustodyException(CustodyStatus.InvalidArgument, $"Not a KeyCustody backup bundle (format must be '{Format}').");
            }

            var keys = d["keys"]!.AsArray().Select(k => new BackupKey((string)k!["name"]!, (string)k["algorithm"]!,
                B64(k["keyId"]), B64(k["spki"]), B64(k["wrapped"]))).ToList();
            var shares = d["shares"]!.AsArray().Select(s => new BackupShare((string)s!["custodian"]!,
                new ShareEnvelope(B64(s["recipient"]), B64(s["ephemeral"]), B64(s["ciphertext"])))).ToList();
            return new BackupBundle((string)d["id"]!, (string)d["ceremony"]!, DateTimeOffset.Parse((string)d["createdAt"]!, System.Globalization.CultureInfo.InvariantCulture),
                (int)d["threshold"]!, keys, shares, B64(d["mac"]));
        }
        catch (Exception ex) when (ex is System.Text.Json.JsonException or NullReferenceException or InvalidOperationException or FormatException or ArgumentException)
        {
            throw new CustodyException(CustodyStatus.InvalidArgument, $"The backup bundle is malformed: {ex.Message}", ex);
        }
    }

    private static byte[] B64(JsonNode? node) => Convert.FromBase64String((string?)node ?? throw new FormatException("a base64 field is missing"));

    private static byte[] AssociatedData(string bundleId, string custodian) => Encoding.UTF8.GetBytes($"{Format}\n{bundleId}\n{custodian}\n");

    private byte[] ComputeMac(ReadOnlySpan<byte> wrapKey)
    {
        byte[] macKey = HKDF.DeriveKey(HashAlgorithmName.SHA256, wrapKey.ToArray(), 32, [], Encoding.ASCII.GetBytes("keycustody-backup-mac-v1"));
        try
        {
            return HMACSHA256.HashData(macKey, Encoding.UTF8.GetBytes(CanonicalJson.Canonicalize(Body().ToJsonString())));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(macKey);
        }
    }

    private JsonObject Body() => new()
    {
        ["format"] = Format,
        ["id"] = Id,
        ["ceremony"] = CeremonyId,
        ["createdAt"] = StatementText.FormatTimestamp(CreatedAt),
        ["threshold"] = Threshold,
        ["wrapMechanism"] = "CKM_AES_KEY_WRAP_PAD",
        ["keys"] = new JsonArray([.. Keys.Select(k => (JsonNode)new JsonObject
        {
            ["name"] = k.Name,
            ["algorithm"] = k.Algorithm,
            ["keyId"] = Convert.ToBase64String(k.KeyId),
            ["spki"] = Convert.ToBase64String(k.SubjectPublicKeyInfo),
            ["wrapped"] = Convert.ToBase64String(k.WrappedPrivateKey),
        })]),
        ["shares"] = new JsonArray([.. Shares.Select(s => (JsonNode)new JsonObject
        {
            ["custodian"] = s.Custodian,
            ["recipient"] = Convert.ToBase64String(s.Envelope.Recipient),
            ["ephemeral"] = Convert.ToBase64String(s.Envelope.Ephemeral),
            ["ciphertext"] = Convert.ToBase64String(s.Envelope.Ciphertext),
        })]),
    };
}
