// SPDX-License-Identifier: Apache-2.0
namespace KeyCustody.Core;

/// <summary>Key types a signing key can have. Names are the stable spellings used in policies and the audit log.</summary>
public enum KeyAlgorithm
{
    /// <summary>ECDSA over NIST P-256.</summary>
    EcdsaP256 = 1,
    /// <summary>ECDSA over NIST P-384.</summary>
    EcdsaP384 = 2,
    /// <summary>Ed25519 (PureEdDSA, RFC 8032).</summary>
    Ed25519 = 3,
    /// <summary>RSA with a 3072-bit modulus.</summary>
    Rsa3072 = 4,
    /// <summary>RSA with a 4096-bit modulus.</summary>
    Rsa4096 = 5,
}

/// <summary>Digest algorithms a caller may have used to hash an artifact.</summary>
public enum DigestAlgorithm
{
    /// <summary>SHA-256 (32 bytes).</summary>
    Sha256 = 1,
    /// <summary>SHA-384 (48 bytes).</summary>
    Sha384 = 2,
    /// <summary>SHA-512 (64 bytes).</summary>
    Sha512 = 3,
}

/// <summary>How a signature is produced and encoded.</summary>
public enum SignatureScheme
{
    /// <summary>ECDSA, DER-encoded <c>SEQUENCE { r, s }</c> (what OpenSSL and X.509 use).</summary>
    EcdsaDer = 1,
    /// <summary>ECDSA, fixed-width <c>r‖s</c> (IEEE P1363, what PKCS#11 returns).</summary>
    EcdsaRaw = 2,
    /// <summary>Ed25519 over the message itself.</summary>
    Ed25519 = 3,
    /// <summary>RSASSA-PKCS1-v1_5 with the DigestInfo prefix of the digest algorithm.</summary>
    RsaPkcs1 = 4,
    /// <summary>RSASSA-PSS with MGF1 of the digest algorithm and a salt as long as the digest.</summary>
    RsaPss = 5,
}

/// <summary>Helpers over the algorithm enums: stable text names and sizes.</summary>
public static class Algorithms
{
    /// <summary>Length in bytes of a digest made with <paramref name="algorithm"/>.</summary>
    public static int DigestLength(DigestAlgorithm algorithm) => algorithm switch
    {
        DigestAlgorithm.Sha256 => 32,
        DigestAlgorithm.Sha384 => 48,
        DigestAlgorithm.Sha512 => 64,
        _ => throw new ArgumentOutOfRangeException(nameof(algorithm)),
    };

    /// <summary>The stable text name: "sha256", "sha384", "sha512".</summary>
    public static string Name(DigestAlgorithm algorithm) => algorithm switch
    {
        DigestAlgorithm.Sha256 => "sha256",
        DigestAlgorithm.Sha384 => "sha384",
        DigestAlgorithm.Sha512 => "sha512",
        _ => throw new ArgumentOutOfRangeException(nameof(algorithm)),
    };

    /// <summary>Parses "sha256", "sha384" or "sha512" (case-insensitive).</summary>
    public static bool TryParseDigest(string? text, out DigestAlgorithm algorithm)
    {
        algorithm = text?.ToLowerInvariant() switch
        {
            "sha256" or "sha-256" => DigestAlgorithm.Sha256,
            "sha384" or "sha-384" => DigestAlgorithm.Sha384,
            "sha512" or "sha-512" => DigestAlgorithm.Sha512,
            _ => 0,
        };
        return algorithm != 0;
    }

    /// <summary>The stable text name: "ecdsa-p256", "ecdsa-p384", "ed25519", "rsa-3072", "rsa-4096".</summary>
    public static string Name(KeyAlgorithm algorithm) => algorithm switch
    {
        KeyAlgorithm.EcdsaP256 => "ecdsa-p256",
        KeyAlgorithm.EcdsaP384 => "ecdsa-p384",
        KeyAlgorithm.Ed25519 => "ed25519",
        KeyAlgorithm.Rsa3072 => "rsa-3072",
        KeyAlgorithm.Rsa4096 => "rsa-4096",
        _ => throw new ArgumentOutOfRangeException(nameof(algorithm)),
    };

    /// <summary>Parses a name produced by <see cref="Name(KeyAlgorithm)"/>.</summary>
    public static bool TryParseKey(string? text, out KeyAlgorithm algorithm)
    {
        algorithm = text?.ToLowerInvariant() switch
        {
            "ecdsa-p256" => KeyAlgorithm.EcdsaP256,
            "ecdsa-p384" => KeyAlgorithm.EcdsaP384,
            "ed25519" => KeyAlgorithm.Ed25519,
            "rsa-3072" => KeyAlgorithm.Rsa3072,
            "rsa-4096" => KeyAlgorithm.Rsa4096,
            _ => 0,
        };
        return algorithm != 0;
    }
}
