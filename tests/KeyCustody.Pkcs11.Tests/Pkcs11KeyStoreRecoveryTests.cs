// SPDX-License-Identifier: Apache-2.0
using KeyCustody.Core;
using KeyCustody.Core.Ports;

namespace KeyCustody.Pkcs11.Tests;

/// <summary>The pool recovers when the token drops its sessions or login, and when handles go stale.</summary>
public sealed class Pkcs11KeyStoreRecoveryTests(KeyStoreFixture fixture) : IClassFixture<KeyStoreFixture>
{
    private static SignInput Input(string text) =>
        new(TestData.Digest(DigestAlgorithm.Sha256, System.Text.Encoding.UTF8.GetBytes(text)), DigestAlgorithm.Sha256, SignatureScheme.EcdsaRaw);

    [Fact]
    public async Task SignAsync_AfterCloseAllSessionsBehindPoolsBack_ReopensAndSigns()
    {
        // Arrange
        await using Pkcs11KeyStore store = fixture.CreateStore(poolSize: 3);
        KeyInfo key = await store.GenerateKeyAsync(new KeySpec(KeyName.Parse("survivor"), KeyAlgorithm.EcdsaP256));
        await Task.WhenAll(Enumerable.Range(0, 6).Select(i => store.SignAsync(key.Name, Input($"warm-up {i}")).AsTask()));
        using (var raw = new RawToken(fixture.Hsm, login: false))
        {
            raw.Slot.CloseAllSessions();
        }

        // Act
        byte[] signature = await store.SignAsync(key.Name, Input("after the purge"));

        // Assert
        Assert.True(SignatureVerification.Verify(key.SubjectPublicKeyInfo.Span, Input("after the purge"), signature));
        Assert.Contains(fixture.Logs.Lines, l => l.Contains("session lost (CKR_SESSION_HANDLE_INVALID", StringComparison.Ordinal));
    }

    [Fact]
    public async Task SignAsync_AfterLogoutBehindPoolsBack_LogsInAgain()
    {
        // Arrange
        await using Pkcs11KeyStore store = fixture.CreateStore(poolSize: 2);
        KeyInfo key = await store.GenerateKeyAsync(new KeySpec(KeyName.Parse("relogin"), KeyAlgorithm.EcdsaP256));
        await store.SignAsync(key.Name, Input("before"));
        using (var raw = new RawToken(fixture.Hsm, login: false))
        {
            Assert.True(raw.Session.GetSessionInfo().UserLoggedIn, "login state is shared by the process");
            raw.Session.Logout();
        }

        // Act
        byte[] signature = await store.SignAsync(key.Name, Input("after logout"));
        KeyInfo? found = await store.FindKeyAsync(key.Name);

        // Assert
        Assert.True(SignatureVerification.Verify(key.SubjectPublicKeyInfo.Span, Input("after logout"), signature));
        Assert.NotNull(found);
        // SoftHSM answers a private key handle without login with CKR_OBJECT_HANDLE_INVALID; the store must see
        // the lost login behind it rather than report the key as gone.
        Assert.Contains(fixture.Logs.Lines, l => l.Contains("session lost (CKR_USER_NOT_LOGGED_IN", StringComparison.Ordinal));
    }

    [Fact]
    public async Task SignAsync_KeyRecreatedByAnotherStore_StaleHandleIsLookedUpAgain()
    {
        // Arrange
        await using Pkcs11KeyStore first = fixture.CreateStore();
        await using Pkcs11KeyStore second = fixture.CreateStore();
        KeyName name = KeyName.Parse("recreated");
        KeyInfo old = await first.GenerateKeyAsync(new KeySpec(name, KeyAlgorithm.EcdsaP256));
        await first.SignAsync(name, Input("cached"));
        await second.DestroyKeyAsync(name);
        KeyInfo replacement = await second.GenerateKeyAsync(new KeySpec(name, KeyAlgorithm.EcdsaP256));

        // Act
        byte[] signature = await first.SignAsync(name, Input("after recreate"));

        // Assert
        Assert.False(old.SubjectPublicKeyInfo.Span.SequenceEqual(replacement.SubjectPublicKeyInfo.Span));
        Assert.True(SignatureVerification.Verify(replacement.SubjectPublicKeyInfo.Span, Input("after recreate"), signature));
        Assert.Contains(fixture.Logs.Lines, l => l.Contains("Key handle for 'recreated' is stale", StringComparison.Ordinal));
    }
}
