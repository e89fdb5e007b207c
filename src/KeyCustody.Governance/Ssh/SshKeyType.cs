// SPDX-License-Identifier: Apache-2.0
namespace KeyCustody.Governance;

/// <summary>The SSH public key types KeyCustody enrols for officers and custodians.</summary>
public enum SshKeyType
{
    /// <summary><c>ecdsa-sha2-nistp256</c> (RFC 5656).</summary>
    EcdsaP256 = 1,
    /// <summary><c>ssh-ed25519</c> (RFC 8709).</summary>
    Ed25519 = 2,
    /// <summary><c>sk-ecdsa-sha2-nistp256@openssh.com</c>: a FIDO security key (OpenSSH PROTOCOL.u2f).</summary>
    SkEcdsaP256 = 3,
    /// <summary><c>sk-ssh-ed25519@openssh.com</c>: a FIDO security key (OpenSSH PROTOCOL.u2f).</summary>
    SkEd25519 = 4,
}

/// <summary>Wire names of <see cref="SshKeyType"/>.</summary>
public static class SshKeyTypes
{
    /// <summary>The wire name of <see cref="SshKeyType.EcdsaP256"/>.</summary>
    public const string EcdsaP256Name = "ecdsa-sha2-nistp256";
    /// <summary>The wire name of <see cref="SshKeyType.Ed25519"/>.</summary>
    public const string Ed25519Name = "ssh-ed25519";
    /// <summary>The wire name of <see cref="SshKeyType.SkEcdsaP256"/>.</summary>
    public const string SkEcdsaP256Name = "sk-ecdsa-sha2-nistp256@openssh.com";
    /// <summary>The wire name of <see cref="SshKeyType.SkEd25519"/>.</summary>
    public const string SkEd25519Name = "sk-ssh-ed25519@openssh.com";

    /// <summary>The wire name of <paramref name="type"/>.</summary>
    public static string Name(SshKeyType type) => type switch
    {
        SshKeyType.EcdsaP256 => EcdsaP256Name,
        SshKeyType.Ed25519 => Ed25519Name,
        SshKeyType.SkEcdsaP256 => SkEcdsaP256Name,
        SshKeyType.SkEd25519 => SkEd25519Name,
        _ => throw new ArgumentOutOfRangeException(nameof(type)),
    };

    /// <summary>Parses a wire name; false for any type KeyCustody does not enrol.</summary>
    public static bool TryParse(string? name, out SshKeyType type)
    {
        type = name switch
        {
            EcdsaP256Name => SshKeyType.EcdsaP256,
            Ed25519Name => SshKeyType.Ed25519,
            SkEcdsaP256Name => SshKeyType.SkEcdsaP256,
            SkEd25519Name => SshKeyType.SkEd25519,
            _ => 0,
        };
        return type != 0;
    }

    /// <summary>True for the FIDO security key types, whose signatures carry a user-presence flag.</summary>
    public static bool IsSecurityKey(SshKeyType type) => type is SshKeyType.SkEcdsaP256 or SshKeyType.SkEd25519;

    internal const string Supported = "ssh-ed25519, ecdsa-sha2-nistp256, sk-ssh-ed25519@openssh.com or sk-ecdsa-sha2-nistp256@openssh.com";
}
