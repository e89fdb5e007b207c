// SPDX-License-Identifier: Apache-2.0
using KeyCustody.Core;
using KeyCustody.Core.Ports;
using static KeyCustody.Pkcs11.Interop.Pkcs11Constants;

namespace KeyCustody.Pkcs11.Tests;

/// <summary>Keys stay inside the token: non-extractable by default, wrappable only under a trusted key when backup-capable.</summary>
public sealed class Pkcs11KeyStoreProtectionTests(KeyStoreFixture fixture) : IClassFixture<KeyStoreFixture>
{
    private const string WrapKeyLabel = "backup-wrap-key";

    private static readonly SemaphoreSlim s_wrapKeyLock = new(1, 1);
    private static bool s_wrapKeyCreated;

    [Fact]
    public async Task GenerateKeyAsync_DefaultKey_TokenRefusesToRevealPrivateValue()
    {
        // Arrange
        KeyInfo key = await fixture.Store.GenerateKeyAsync(new KeySpec(KeyName.Parse("sealed-p256"), KeyAlgorithm.EcdsaP256));
        using var raw = new RawToken(fixture.Hsm);
        ulong privateKey = raw.FindOne(CKO_PRIVATE_KEY, "sealed-p256");

        // Act
        var refused = Assert.Throws<Pkcs11Exception>(() => raw.Session.GetAttributeValue(privateKey, CKA_VALUE));
        byte[]?[] flags = raw.Session.GetAttributeValues(privateKey, [CKA_SENSITIVE, CKA_EXTRACTABLE, CKA_TOKEN, CKA_PRIVATE, CKA_NEVER_EXTRACTABLE, CKA_VALUE]);

        // Assert
        Assert.False(key.BackupCapable);
        Assert.Equal(CKR_ATTRIBUTE_SENSITIVE, refused.ReturnValue);
        Assert.Equal("C_GetAttributeValue returned CKR_ATTRIBUTE_SENSITIVE", refused.Message);
        Assert.True(Pkcs11Attribute.ReadBool(flags[0]!), "CKA_SENSITIVE");
        Assert.False(Pkcs11Attribute.ReadBool(flags[1]!), "CKA_EXTRACTABLE");
        Assert.True(Pkcs11Attribute.ReadBool(flags[2]!), "CKA_TOKEN");
        Assert.True(Pkcs11Attribute.ReadBool(flags[3]!), "CKA_PRIVATE");
        Assert.True(Pkcs11Attribute.ReadBool(flags[4]!), "CKA_NEVER_EXTRACTABLE");
        Assert.Null(flags[5]);
    }

    [Fact]
    public async Task ListKeyDetailsAsync_GeneratedKeys_ReportProtectionAttributes()
    {
        // Arrange
        await fixture.Store.GenerateKeyAsync(new KeySpec(KeyName.Parse("listed-plain"), KeyAlgorithm.Ed25519));
        await fixture.Store.GenerateKeyAsync(new KeySpec(KeyName.Parse("listed-backup"), KeyAlgorithm.EcdsaP384, BackupCapable: true));

        // Act
        IReadOnlyList<Pkcs11KeyDetails> details = await fixture.Store.ListKeyDetailsAsync();

        // Assert
        Pkcs11KeyDetails plain = Assert.Single(details, d => d.Label == "listed-plain");
        Pkcs11KeyDetails backup = Assert.Single(details, d => d.Label == "listed-backup");
        Assert.Equal((KeyAlgorithm.Ed25519, "CKK_EC_EDWARDS", true, false, false, true, true), (plain.Algorithm!.Value, plain.KeyType, plain.Sensitive, plain.Extractable, plain.BackupCapable, plain.Local, plain.CanSign));
        Assert.Equal((KeyAlgorithm.EcdsaP384, "CKK_EC", true, true, true, true), (backup.Algorithm!.Value, backup.KeyType, backup.Sensitive, backup.Extractable, backup.WrapWithTrusted, backup.BackupCapable));
        Assert.Equal(16, plain.Id.Length);
        Assert.NotNull(plain.SubjectPublicKeyInfo);
    }

    [Fact]
    public async Task WrapKeyAsync_NonBackupKey_RefusedByStoreAndByToken()
    {
        // Arrange
        await EnsureWrapKeyAsync();
        await fixture.Store.GenerateKeyAsync(new KeySpec(KeyName.Parse("no-backup"), KeyAlgorithm.EcdsaP256));

        // Act
        var refused = await Assert.ThrowsAsync<CustodyException>(() => fixture.Store.WrapKeyAsync(KeyName.Parse("no-backup"), WrapKeyLabel).AsTask());
        using var raw = new RawToken(fixture.Hsm);
        var tokenRefused = Assert.Throws<Pkcs11Exception>(() => raw.Session.WrapKey(
            new Pkcs11Mechanism(CKM_AES_KEY_WRAP_PAD), raw.FindOne(CKO_SECRET_KEY, WrapKeyLabel), raw.FindOne(CKO_PRIVATE_KEY, "no-backup")));

        // Assert
        Assert.Equal(CustodyStatus.PermissionDenied, refused.Status);
        Assert.Contains("not backup-capable", refused.Message, StringComparison.Ordinal);
        Assert.Equal(CKR_KEY_UNEXTRACTABLE, tokenRefused.ReturnValue);
    }

    [Theory]
    [InlineData(KeyAlgorithm.EcdsaP256)]
    [InlineData(KeyAlgorithm.EcdsaP384)]
    [InlineData(KeyAlgorithm.Rsa3072)]
    public async Task UnwrapKeyAsync_WrappedBackupKey_RestoresSameKey(KeyAlgorithm algorithm)
    {
        // Arrange
        await EnsureWrapKeyAsync();
        KeyName name = KeyName.Parse("backup-" + Algorithms.Name(algorithm));
        KeyInfo original = await fixture.Store.GenerateKeyAsync(new KeySpec(name, algorithm, BackupCapable: true));
        WrappedKey wrapped = await fixture.Store.WrapKeyAsync(name, WrapKeyLabel);
        await fixture.Store.DestroyKeyAsync(name);
        Assert.Null(await fixture.Store.FindKeyAsync(name));

        // Act
        KeyInfo restored = await fixture.Store.UnwrapKeyAsync(wrapped);
        SignInput input = algorithm switch
        {
            KeyAlgorithm.Ed25519 => new SignInput("restored"u8.ToArray(), DigestAlgorithm.Sha256, SignatureScheme.Ed25519),
            KeyAlgorithm.Rsa3072 => new SignInput(TestData.Digest(DigestAlgorithm.Sha256, "restored"u8.ToArray()), DigestAlgorithm.Sha256, SignatureScheme.RsaPss),
            _ => new SignInput(TestData.Digest(DigestAlgorithm.Sha256, "restored"u8.ToArray()), DigestAlgorithm.Sha256, SignatureScheme.EcdsaDer),
        };
        byte[] signature = await fixture.Store.SignAsync(name, input);

        // Assert
        Assert.True(original.SubjectPublicKeyInfo.Span.SequenceEqual(restored.SubjectPublicKeyInfo.Span));
        Assert.True(original.KeyId.Span.SequenceEqual(restored.KeyId.Span));
        Assert.True(restored.BackupCapable);
        Assert.True(SignatureVerification.Verify(original.SubjectPublicKeyInfo.Span, input, signature));
        Assert.DoesNotContain(Convert.ToHexString(wrapped.WrappedPrivateKey.Span), wrapped.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task WrapKeyAsync_BackupCapableEd25519OnSoftHsm_Unsupported()
    {
        // Arrange: SoftHSM 2.6 cannot wrap EdDSA private keys (C_WrapKey returns CKR_KEY_NOT_WRAPPABLE).
        await EnsureWrapKeyAsync();
        KeyName name = KeyName.Parse("backup-ed25519");
        await fixture.Store.GenerateKeyAsync(new KeySpec(name, KeyAlgorithm.Ed25519, BackupCapable: true));

        // Act
        var failure = await Assert.ThrowsAsync<CustodyException>(() => fixture.Store.WrapKeyAsync(name, WrapKeyLabel).AsTask());

        // Assert
        Assert.Equal(CustodyStatus.Unsupported, failure.Status);
        Assert.Contains("C_WrapKey returned CKR_KEY_NOT_WRAPPABLE", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UnwrapKeyAsync_TamperedBlob_InvalidArgumentAndNothingCreated()
    {
        // Arrange
        await EnsureWrapKeyAsync();
        KeyName name = KeyName.Parse("tampered");
        await fixture.Store.GenerateKeyAsync(new KeySpec(name, KeyAlgorithm.EcdsaP256, BackupCapable: true));
        WrappedKey wrapped = await fixture.Store.WrapKeyAsync(name, WrapKeyLabel);
        await fixture.Store.DestroyKeyAsync(name);
        byte[] blob = wrapped.WrappedPrivateKey.ToArray();
        blob[blob.Length / 2] ^= 0x5A;

        // Act
        var failure = await Assert.ThrowsAsync<CustodyException>(() => fixture.Store.UnwrapKeyAsync(wrapped with { WrappedPrivateKey = blob }).AsTask());

        // Assert
        Assert.True(failure.Status == CustodyStatus.InvalidArgument, failure.Message);
        Assert.Contains("damaged or was wrapped under another key", failure.Message, StringComparison.Ordinal);
        Assert.Null(await fixture.Store.FindKeyAsync(name));
    }

    [Fact]
    public async Task WrapKeyAsync_UntrustedWrapKey_RefusedByStoreAndByToken()
    {
        // Arrange
        await fixture.Store.GenerateKeyAsync(new KeySpec(KeyName.Parse("needs-trusted"), KeyAlgorithm.EcdsaP256, BackupCapable: true));
        using (var raw = new RawToken(fixture.Hsm))
        {
            raw.Session.GenerateKey(new Pkcs11Mechanism(CKM_AES_KEY_GEN),
            [
                Pkcs11Attribute.ULong(CKA_CLASS, CKO_SECRET_KEY), Pkcs11Attribute.ULong(CKA_KEY_TYPE, CKK_AES),
                Pkcs11Attribute.ULong(CKA_VALUE_LEN, 32), Pkcs11Attribute.Bool(CKA_TOKEN, true),
                Pkcs11Attribute.Bool(CKA_WRAP, true), Pkcs11Attribute.Text(CKA_LABEL, "untrusted-wrap"),
            ]);
        }

        // Act
        var refused = await Assert.ThrowsAsync<CustodyException>(() => fixture.Store.WrapKeyAsync(KeyName.Parse("needs-trusted"), "untrusted-wrap").AsTask());
        using var check = new RawToken(fixture.Hsm);
        var tokenRefused = Assert.Throws<Pkcs11Exception>(() => check.Session.WrapKey(
            new Pkcs11Mechanism(CKM_AES_KEY_WRAP_PAD), check.FindOne(CKO_SECRET_KEY, "untrusted-wrap"), check.FindOne(CKO_PRIVATE_KEY, "needs-trusted")));

        // Assert
        Assert.Equal(CustodyStatus.PermissionDenied, refused.Status);
        Assert.Contains("CKA_TRUSTED", refused.Message, StringComparison.Ordinal);
        Assert.Equal(CKR_KEY_NOT_WRAPPABLE, tokenRefused.ReturnValue);
    }

    [Fact]
    public async Task CreateTrustedWrapKeyAsync_WrongSoPin_PinIncorrect()
    {
        // Act
        var failure = await Assert.ThrowsAsync<CustodyException>(() =>
            fixture.Store.CreateTrustedWrapKeyAsync("never-made", Pkcs11PinSources.FromValue("wrong-so-pin")).AsTask());

        // Assert
        Assert.Equal(CustodyStatus.PinIncorrect, failure.Status);
        Assert.Contains("security officer PIN", failure.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(fixture.Hsm.SoPin, TestData.Everything(failure), StringComparison.Ordinal);
    }

    [Fact]
    public async Task GenerateKeyAsync_NameTaken_AlreadyExists()
    {
        // Arrange
        KeyName name = KeyName.Parse("taken");
        await fixture.Store.GenerateKeyAsync(new KeySpec(name, KeyAlgorithm.EcdsaP256));

        // Act
        var failure = await Assert.ThrowsAsync<CustodyException>(() => fixture.Store.GenerateKeyAsync(new KeySpec(name, KeyAlgorithm.Ed25519)).AsTask());

        // Assert
        Assert.Equal(CustodyStatus.AlreadyExists, failure.Status);
        Assert.Equal(KeyAlgorithm.EcdsaP256, (await fixture.Store.FindKeyAsync(name))!.Algorithm);
    }

    [Fact]
    public async Task DestroyKeyAsync_ExistingKey_RemovesBothHalves()
    {
        // Arrange
        KeyName name = KeyName.Parse("doomed");
        await fixture.Store.GenerateKeyAsync(new KeySpec(name, KeyAlgorithm.EcdsaP256));
        await fixture.Store.SignAsync(name, new SignInput(new byte[32], DigestAlgorithm.Sha256, SignatureScheme.EcdsaDer));

        // Act
        await fixture.Store.DestroyKeyAsync(name);

        // Assert
        using var raw = new RawToken(fixture.Hsm);
        Assert.Empty(raw.Session.FindObjects([Pkcs11Attribute.Text(CKA_LABEL, "doomed")]));
        Assert.Null(await fixture.Store.FindKeyAsync(name));
        var sign = await Assert.ThrowsAsync<CustodyException>(() =>
            fixture.Store.SignAsync(name, new SignInput(new byte[32], DigestAlgorithm.Sha256, SignatureScheme.EcdsaDer)).AsTask());
        Assert.Equal(CustodyStatus.NotFound, sign.Status);
        var again = await Assert.ThrowsAsync<CustodyException>(() => fixture.Store.DestroyKeyAsync(name).AsTask());
        Assert.Equal(CustodyStatus.NotFound, again.Status);
    }

    private async Task EnsureWrapKeyAsync()
    {
        await s_wrapKeyLock.WaitAsync();
        try
        {
            if (!s_wrapKeyCreated)
            {
                ReadOnlyMemory<byte> id = await fixture.Store.CreateTrustedWrapKeyAsync(WrapKeyLabel, Pkcs11PinSources.FromValue(fixture.Hsm.SoPin));
                Assert.Equal(16, id.Length);
                using var raw = new RawToken(fixture.Hsm);
                byte[]?[] a = raw.Session.GetAttributeValues(raw.FindOne(CKO_SECRET_KEY, WrapKeyLabel), [CKA_TRUSTED, CKA_SENSITIVE, CKA_EXTRACTABLE, CKA_VALUE]);
                Assert.True(Pkcs11Attribute.ReadBool(a[0]!), "CKA_TRUSTED");
                Assert.True(Pkcs11Attribute.ReadBool(a[1]!), "CKA_SENSITIVE");
                Assert.False(Pkcs11Attribute.ReadBool(a[2]!), "CKA_EXTRACTABLE");
                Assert.Null(a[3]);
                s_wrapKeyCreated = true;
            }
        }
        finally
        {
            s_wrapKeyLock.Release();
        }
    }
}
