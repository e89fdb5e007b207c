// SPDX-License-Identifier: Apache-2.0
using System.Security.Cryptography;
using System.Text;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Crypto.Signers;
using Org.BouncyCastle.Security;

namespace KeyCustody.Governance.Tests;

/// <summary>
/// A software stand-in for a FIDO security key (no hardware here): produces sk-ecdsa-sha2-nistp256@openssh.com and
/// sk-ssh-ed25519@openssh.com public keys and SSHSIG signatures with the exact layout of OpenSSH PROTOCOL.u2f —
/// the authenticator signs SHA256(application) ‖ flags ‖ counter ‖ SHA256(SSHSIG signed data).
/// </summary>
internal sealed class SkSigner : IDisposable
{
    private readonly ECDsa? _ecdsa;
    private readonly Ed25519PrivateKeyParameters? _ed25519;

    private SkSigner(SshKeyType type, string application)
    {
        Type = type;
        Application = application;
        if (type == SshKeyType.SkEcdsaP256)
        {
            _ecdsa = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        }
        else
        {
            _ed25519 = new Ed25519PrivateKeyParameters(new SecureRandom());
        }
    }

    public SshKeyType Type { get; }

    public string Application { get; }

    public static SkSigner Create(SshKeyType type, string application = "ssh:") => new(type, application);

    public byte[] PublicKeyBlob
    {
        get
        {
            var w = new SshWireWriter().WriteString(SshKeyTypes.Name(Type));
            if (_ecdsa is not null)
            {
                ECParameters p = _ecdsa.ExportParameters(false);
                w.WriteString("nistp256").WriteString([0x04, .. p.Q.X!, .. p.Q.Y!]);
            }
            else
            {
                w.WriteString(_ed25519!.GeneratePublicKey().GetEncoded());
            }

            return w.WriteString(Application).ToArray();
        }
    }

    public string AuthorizedKeysLine(string comment = "sk@test") =>
        $"{SshKeyTypes.Name(Type)} {Convert.ToBase64String(PublicKeyBlob)} {comment}";

    public SshPublicKey PublicKey => SshPublicKey.Parse(AuthorizedKeysLine());

    /// <summary>Signs like <c>ssh-keygen -Y sign</c> would with a security key; <paramref name="flags"/> 0x01 = user present.</summary>
    public string Sign(byte[] message, string ns, byte flags = 0x01, uint counter = 7, string hashAlgorithm = "sha512")
    {
        byte[] hash = hashAlgorithm == "sha256" ? SHA256.HashData(message) : SHA512.HashData(message);
        byte[] signedData = new SshWireWriter()
            .WriteRaw("SSHSIG"u8).WriteString(ns).WriteString([]).WriteString(hashAlgorithm).WriteString(hash).ToArray();
        byte[] authenticatorData = new SshWireWriter()
            .WriteRaw(SHA256.HashData(Encoding.UTF8.GetBytes(Application)))
            .WriteByte(flags)
            .WriteUInt32(counter)
            .WriteRaw(SHA256.HashData(signedData))
            .ToArray();

        byte[] innerSignature;
        if (_ecdsa is not null)
        {
            byte[] rs = _ecdsa.SignData(authenticatorData, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
            innerSignature = new SshWireWriter().WritePositiveMpint(rs.AsSpan(0, 32)).WritePositiveMpint(rs.AsSpan(32, 32)).ToArray();
        }
        else
        {
            var signer = new Ed25519Signer();
            signer.Init(true, _ed25519);
            signer.BlockUpdate(authenticatorData, 0, authenticatorData.Length);
            innerSignature = signer.GenerateSignature();
        }

        byte[] signature = new SshWireWriter()
            .WriteString(SshKeyTypes.Name(Type)).WriteString(innerSignature).WriteByte(flags).WriteUInt32(counter).ToArray();
        byte[] blob = new SshWireWriter()
            .WriteRaw("SSHSIG"u8).WriteUInt32(1).WriteString(PublicKeyBlob).WriteString(ns).WriteString([])
            .WriteString(hashAlgorithm).WriteString(signature).ToArray();
        return Armor(blob);
    }

    public static string Armor(byte[] blob)
    {
        string base64 = Convert.ToBase64String(blob);
        var text = new StringBuilder("-----BEGIN SSH SIGNATURE-----\n");
        for (int i = 0; i < base64.Length; i += 70)
        {
            text.Append(base64.AsSpan(i, Math.Min(70, base64.Length - i))).Append('\n');
        }

        return text.Append("-----END SSH SIGNATURE-----\n").ToString();
    }

    public void Dispose() => _ecdsa?.Dispose();
}
