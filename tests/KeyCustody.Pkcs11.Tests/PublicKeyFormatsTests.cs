// SPDX-License-Identifier: Apache-2.0
using System.Security.Cryptography;
using KeyCustody.Core;
using KeyCustody.Testing;

namespace KeyCustody.Pkcs11.Tests;

/// <summary>SPKI, PEM and OpenSSH encodings, checked against ssh-keygen and openssl.</summary>
public sealed class PublicKeyFormatsTests : IDisposable
{
    private readonly TempDirectory _temp = new("keycustody-formats");

    public void Dispose() => _temp.Dispose();

    public static TheoryData<string> ConvertibleKeys => new() { "p256", "p384", "rsa3072", "rsa4096" };

    [Theory]
    [MemberData(nameof(ConvertibleKeys))]
    public async Task ToOpenSsh_EcdsaAndRsa_SshKeygenConvertsBackToSameSpki(string kind)
    {
        // Arrange
        byte[] spki = NewSpki(kind);
        string line = PublicKeyFormats.ToOpenSsh(spki, "kc@test");
        string file = _temp.File(kind + ".pub");
        await File.WriteAllTextAsync(file, line + "\n");

        // Act
        ProcessResult pem = (await ProcessRunner.RunAsync("ssh-keygen", "-e", "-m", "PKCS8", "-f", file)).EnsureSuccess("ssh-keygen -e");

        // Assert
        Assert.EndsWith(" kc@test", line, StringComparison.Ordinal);
        Assert.StartsWith(kind switch { "p256" => "ecdsa-sha2-nistp256 ", "p384" => "ecdsa-sha2-nistp384 ", _ => "ssh-rsa " }, line, StringComparison.Ordinal);
        Assert.Equal(Convert.ToHexString(spki), Convert.ToHexString(Pem(pem.StandardOutput)));
    }

    [Fact]
    public async Task ToOpenSsh_Ed25519_MatchesSshKeygenPublicKeyFile()
    {
        // Arrange: ssh-keygen's own key; its blob ends with the 32-byte public key (RFC 8709 §4).
        string file = _temp.File("ed");
        (await ProcessRunner.RunAsync("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "officer@test", "-f", file)).EnsureSuccess("ssh-keygen -t ed25519");
        string expected = (await File.ReadAllTextAsync(file + ".pub")).Trim();
        byte[] blob = Convert.FromBase64String(expected.Split(' ')[1]);

        // Act
        byte[] spki = PublicKeyFormats.FromEcPoint(KeyAlgorithm.Ed25519, blob.AsSpan(blob.Length - 32));
        string line = PublicKeyFormats.ToOpenSsh(spki, "officer@test");

        // Assert
        Assert.Equal(expected, line);
        Assert.Equal(KeyAlgorithm.Ed25519, PublicKeyFormats.GetAlgorithm(spki));
    }

    [Fact]
    public async Task ToPem_Ed25519_OpenSslReadsSameKey()
    {
        // Arrange
        byte[] raw = RandomNumberGenerator.GetBytes(32);
        raw[31] &= 0x7F;
        byte[] spki = PublicKeyFormats.FromEcPoint(KeyAlgorithm.Ed25519, raw);
        string pem = _temp.File("ed.pem");
        await File.WriteAllTextAsync(pem, PublicKeyFormats.ToPem(spki));

        // Act
        ProcessResult text = await ProcessRunner.RunAsync("openssl", "pkey", "-pubin", "-in", pem, "-outform", "DER", "-out", _temp.File("ed.der"));

        // Assert
        Assert.Equal(0, text.ExitCode);
        Assert.Equal(Convert.ToHexString(spki), Convert.ToHexString(await File.ReadAllBytesAsync(_temp.File("ed.der"))));
        Assert.StartsWith("-----BEGIN PUBLIC KEY-----\n", PublicKeyFormats.ToPem(spki), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("p256", KeyAlgorithm.EcdsaP256)]
    [InlineData("p384", KeyAlgorithm.EcdsaP384)]
    [InlineData("rsa3072", KeyAlgorithm.Rsa3072)]
    [InlineData("rsa4096", KeyAlgorithm.Rsa4096)]
    public void TryGetAlgorithm_KnownKeys_Recognised(string kind, KeyAlgorithm expected)
    {
        // Arrange
        byte[] spki = NewSpki(kind);

        // Act
        bool known = PublicKeyFormats.TryGetAlgorithm(spki, out KeyAlgorithm algorithm);

        // Assert
        Assert.True(known);
        Assert.Equal(expected, algorithm);
    }

    [Fact]
    public void TryGetAlgorithm_UnsupportedOrGarbage_False()
    {
        // Arrange
        using RSA rsa2048 = RSA.Create(2048);
        using ECDsa p521 = ECDsa.Create(ECCurve.NamedCurves.nistP521);

        // Act + Assert
        Assert.False(PublicKeyFormats.TryGetAlgorithm(rsa2048.ExportSubjectPublicKeyInfo(), out _));
        Assert.False(PublicKeyFormats.TryGetAlgorithm(p521.ExportSubjectPublicKeyInfo(), out _));
        Assert.False(PublicKeyFormats.TryGetAlgorithm([0x30, 0x03, 0x02, 0x01, 0x00], out _));
        Assert.False(PublicKeyFormats.TryGetAlgorithm([], out _));
        var failure = Assert.Throws<CustodyException>(() => PublicKeyFormats.GetAlgorithm([1, 2, 3]));
        Assert.Equal(CustodyStatus.InvalidArgument, failure.Status);
    }

    [Fact]
    public void DescribePublicKey_RawOrDerEcPointAndNamedEdwardsCurve_SameKey()
    {
        // Arrange: CKA_EC_POINT as a DER OCTET STRING (the standard) and bare (what some modules return);
        // CKA_EC_PARAMS for Ed25519 as the OID and as PrintableString "edwards25519".
        using ECDsa p256 = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        ECParameters q = p256.ExportParameters(false);
        byte[] point = [0x04, .. q.Q.X!, .. q.Q.Y!];
        byte[] wrapped = [0x04, 0x41, .. point];
        byte[] edKey = RandomNumberGenerator.GetBytes(32);

        // Act
        var fromDer = KeyTemplates.DescribePublicKey(Interop.Pkcs11Constants.CKK_EC, KeyTemplates.EcParams(KeyAlgorithm.EcdsaP256), wrapped, null, null);
        var fromRaw = KeyTemplates.DescribePublicKey(Interop.Pkcs11Constants.CKK_EC, KeyTemplates.EcParams(KeyAlgorithm.EcdsaP256), point, null, null);
        var edByOid = KeyTemplates.DescribePublicKey(Interop.Pkcs11Constants.CKK_EC_EDWARDS, [0x06, 0x03, 0x2B, 0x65, 0x70], [0x04, 0x20, .. edKey], null, null);
        var edByName = KeyTemplates.DescribePublicKey(Interop.Pkcs11Constants.CKK_EC_EDWARDS, [0x13, 0x0C, .. "edwards25519"u8], edKey, null, null);
        var secp256k1 = KeyTemplates.DescribePublicKey(Interop.Pkcs11Constants.CKK_EC, [0x06, 0x05, 0x2B, 0x81, 0x04, 0x00, 0x0A], wrapped, null, null);

        // Assert
        Assert.Equal(Convert.ToHexString(p256.ExportSubjectPublicKeyInfo()), Convert.ToHexString(fromDer.SubjectPublicKeyInfo!));
        Assert.Equal(Convert.ToHexString(fromDer.SubjectPublicKeyInfo!), Convert.ToHexString(fromRaw.SubjectPublicKeyInfo!));
        Assert.Equal(KeyAlgorithm.Ed25519, edByOid.Algorithm);
        Assert.Equal(Convert.ToHexString(edByOid.SubjectPublicKeyInfo!), Convert.ToHexString(edByName.SubjectPublicKeyInfo!));
        Assert.Null(secp256k1.Algorithm);
        Assert.Contains("06052B8104000A", secp256k1.Description, StringComparison.Ordinal);
    }

    private static byte[] NewSpki(string kind)
    {
        using AsymmetricAlgorithm key = kind switch
        {
            "p256" => ECDsa.Create(ECCurve.NamedCurves.nistP256),
            "p384" => ECDsa.Create(ECCurve.NamedCurves.nistP384),
            "rsa3072" => RSA.Create(3072),
            _ => RSA.Create(4096),
        };
        return key.ExportSubjectPublicKeyInfo();
    }

    private static byte[] Pem(string text)
    {
        PemFields fields = PemEncoding.Find(text);
        return Convert.FromBase64String(text[fields.Base64Data]);
    }
}
