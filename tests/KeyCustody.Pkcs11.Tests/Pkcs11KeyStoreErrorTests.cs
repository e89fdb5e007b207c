// SPDX-License-Identifier: Apache-2.0
using System.Runtime.InteropServices;
using KeyCustody.Core;
using KeyCustody.Core.Ports;

namespace KeyCustody.Pkcs11.Tests;

/// <summary>
/// Clear errors for the ways a deployment goes wrong. Every test disposes its stores: login state is shared by
/// all sessions of the process, so a store left open would keep the token logged in for the next test.
/// </summary>
public sealed class Pkcs11KeyStoreErrorTests(KeyStoreFixture fixture) : IClassFixture<KeyStoreFixture>
{
    private const string WrongPin = "wrong-pin-7731";

    [Fact]
    public async Task ConnectAsync_WrongPin_PinIncorrectWithTokenFlagsAndNoRetry()
    {
        // Arrange
        string pin = WrongPin;
        var options = fixture.Options() with { UserPin = _ => ValueTask.FromResult(System.Text.Encoding.UTF8.GetBytes(pin)) };
        await using var store = new Pkcs11KeyStore(options, fixture.Logs);

        // Act
        var first = await Assert.ThrowsAsync<CustodyException>(() => store.ConnectAsync().AsTask());
        var second = await Assert.ThrowsAsync<CustodyException>(() => store.ConnectAsync().AsTask());
        pin = fixture.Hsm.UserPin;
        var stillLatched = await Assert.ThrowsAsync<CustodyException>(() => store.ConnectAsync().AsTask());
        store.ResetLoginFailure();
        Pkcs11TokenInfo info = await store.ConnectAsync();

        // Assert
        Assert.Equal(CustodyStatus.PinIncorrect, first.Status);
        Assert.Contains("C_Login returned CKR_PIN_INCORRECT", first.Message, StringComparison.Ordinal);
        Assert.Contains("token PIN flags: CKF_USER_PIN_COUNT_LOW", first.Message, StringComparison.Ordinal);
        Assert.Contains(fixture.Hsm.TokenLabel, first.Message, StringComparison.Ordinal);
        Assert.Equal(CustodyStatus.PinIncorrect, second.Status);
        Assert.Contains("not tried again", second.Message, StringComparison.Ordinal);
        Assert.Equal(CustodyStatus.PinIncorrect, stillLatched.Status);
        Assert.Equal(fixture.Hsm.TokenLabel, info.Label);
        Assert.False(info.UserPinCountLow, "a successful login clears CKF_USER_PIN_COUNT_LOW");
        foreach (Exception e in new[] { first, second, stillLatched })
        {
            Assert.DoesNotContain(WrongPin, TestData.Everything(e), StringComparison.Ordinal);
            Assert.DoesNotContain(fixture.Hsm.UserPin, TestData.Everything(e), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task ConnectAsync_MissingModule_NotProvisioned()
    {
        // Arrange
        string path = fixture.Temp.File("no-such-pkcs11-module.so");
        await using var store = fixture.CreateStore(modulePath: path);

        // Act
        var failure = await Assert.ThrowsAsync<CustodyException>(() => store.ConnectAsync().AsTask());

        // Assert
        Assert.Equal(CustodyStatus.NotProvisioned, failure.Status);
        Assert.Contains($"The PKCS#11 module '{path}' does not exist", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ConnectAsync_ModuleOf32BitClass_NotProvisionedWithDlopenText()
    {
        // Arrange: the real module with e_ident[EI_CLASS] set to ELFCLASS32.
        string path = CopyModule("elfclass32.so", offset: 4, 0x01);
        await using var store = fixture.CreateStore(modulePath: path);

        // Act
        var failure = await Assert.ThrowsAsync<CustodyException>(() => store.ConnectAsync().AsTask());

        // Assert
        Assert.Equal(CustodyStatus.NotProvisioned, failure.Status);
        Assert.Contains("wrong ELF class: ELFCLASS32", failure.Message, StringComparison.Ordinal);
        Assert.Contains(path, failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ConnectAsync_ModuleForAnotherMachine_NotProvisionedNamingBothArchitectures()
    {
        // Arrange: the real module with e_machine set to one this process is not (AArch64 = 183, or x86-64 = 62 on ARM).
        bool onArm = RuntimeInformation.ProcessArchitecture == Architecture.Arm64;
        string path = CopyModule("other-machine.so", offset: 18, onArm ? (byte)62 : (byte)183, 0x00);
        await using var store = fixture.CreateStore(modulePath: path);

        // Act
        var failure = await Assert.ThrowsAsync<CustodyException>(() => store.ConnectAsync().AsTask());

        // Assert
        Assert.Equal(CustodyStatus.NotProvisioned, failure.Status);
        Assert.Contains(onArm ? "64-bit ELF for x86-64" : "64-bit ELF for aarch64", failure.Message, StringComparison.Ordinal);
        Assert.Contains(onArm ? "needs a 64-bit aarch64 library" : "needs a 64-bit x86-64 library", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ConnectAsync_LibraryWithoutGetFunctionList_NotProvisioned()
    {
        // Arrange: a real shared library that is not a PKCS#11 module.
        string path = Path.Combine(RuntimeEnvironment.GetRuntimeDirectory(), "libSystem.Native.so");
        await using var store = fixture.CreateStore(modulePath: path);

        // Act
        var failure = await Assert.ThrowsAsync<CustodyException>(() => store.ConnectAsync().AsTask());

        // Assert
        Assert.Equal(CustodyStatus.NotProvisioned, failure.Status);
        Assert.Contains("is not a PKCS#11 module: it does not export C_GetFunctionList", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ConnectAsync_AbsentTokenLabel_HsmUnavailableListingPresentTokens()
    {
        // Arrange
        await using var store = fixture.CreateStore(tokenLabel: "no-such-token");

        // Act
        var failure = await Assert.ThrowsAsync<CustodyException>(() => store.ConnectAsync().AsTask());

        // Assert
        Assert.Equal(CustodyStatus.HsmUnavailable, failure.Status);
        Assert.True(failure.IsTransient);
        Assert.Contains("No token with label 'no-such-token' is present", failure.Message, StringComparison.Ordinal);
        Assert.Matches(@"present: 'kc-test-\d+-\d+' \(serial [0-9a-f]+\)", failure.Message);
    }

    [Fact]
    public async Task ConnectAsync_TokenSelectedBySerial_FindsFixtureToken()
    {
        // Arrange
        await using var store = fixture.CreateStore(tokenSerial: fixture.Hsm.TokenSerial);

        // Act
        Pkcs11TokenInfo info = await store.ConnectAsync();

        // Assert
        Assert.Equal(fixture.Hsm.TokenLabel, info.Label);
        Assert.Equal(fixture.Hsm.TokenSerial, info.SerialNumber);
        Assert.Equal("SoftHSM v2", info.Model);
    }

    [Fact]
    public async Task SignAsync_MissingKey_NotFound()
    {
        // Arrange
        await using var store = fixture.CreateStore();

        // Act
        var failure = await Assert.ThrowsAsync<CustodyException>(() =>
            store.SignAsync(KeyName.Parse("ghost"), new SignInput(new byte[32], DigestAlgorithm.Sha256, SignatureScheme.EcdsaDer)).AsTask());

        // Assert
        Assert.Equal(CustodyStatus.NotFound, failure.Status);
        Assert.Contains("There is no key named 'ghost'", failure.Message, StringComparison.Ordinal);
        Assert.Null(await store.FindKeyAsync(KeyName.Parse("ghost")));
    }

    [Fact]
    public async Task SignAsync_BadInputs_InvalidArgumentOrTooLarge()
    {
        // Arrange
        await using var store = fixture.CreateStore();
        KeyName ec = KeyName.Parse("input-checks-p256");
        KeyName ed = KeyName.Parse("input-checks-ed25519");
        await store.GenerateKeyAsync(new KeySpec(ec, KeyAlgorithm.EcdsaP256));
        await store.GenerateKeyAsync(new KeySpec(ed, KeyAlgorithm.Ed25519));

        // Act
        var shortDigest = await Assert.ThrowsAsync<CustodyException>(() =>
            store.SignAsync(ec, new SignInput(new byte[31], DigestAlgorithm.Sha256, SignatureScheme.EcdsaDer)).AsTask());
        var wrongScheme = await Assert.ThrowsAsync<CustodyException>(() =>
            store.SignAsync(ec, new SignInput(new byte[32], DigestAlgorithm.Sha256, SignatureScheme.RsaPss)).AsTask());
        var tooLong = await Assert.ThrowsAsync<CustodyException>(() =>
            store.SignAsync(ed, new SignInput(new byte[Pkcs11KeyStore.MaxEd25519MessageLength + 1], DigestAlgorithm.Sha256, SignatureScheme.Ed25519)).AsTask());

        // Assert
        Assert.Equal(CustodyStatus.InvalidArgument, shortDigest.Status);
        Assert.Contains("A sha256 digest is 32 bytes, but 31 were given", shortDigest.Message, StringComparison.Ordinal);
        Assert.Equal(CustodyStatus.InvalidArgument, wrongScheme.Status);
        Assert.Contains("is ecdsa-p256 and cannot make RsaPss signatures", wrongScheme.Message, StringComparison.Ordinal);
        Assert.Equal(CustodyStatus.MessageTooLarge, tooLong.Status);
    }

    [Fact]
    public async Task PinSources_FileAndEnvironment_LoginOrNotProvisioned()
    {
        // Arrange
        string pinFile = fixture.Temp.File("user.pin");
        await File.WriteAllTextAsync(pinFile, fixture.Hsm.UserPin + "\n");
        await using var fromFile = new Pkcs11KeyStore(fixture.Options() with { UserPin = Pkcs11PinSources.FromFile(pinFile) }, fixture.Logs);
        await using var missingFile = new Pkcs11KeyStore(fixture.Options() with { UserPin = Pkcs11PinSources.FromFile(fixture.Temp.File("absent.pin")) }, fixture.Logs);
        await using var missingVariable = new Pkcs11KeyStore(fixture.Options() with { UserPin = Pkcs11PinSources.FromEnvironment("KEYCUSTODY_TEST_UNSET_" + Guid.NewGuid().ToString("N")) }, fixture.Logs);

        // Act
        Pkcs11TokenInfo info = await fromFile.ConnectAsync();
        await fromFile.DisposeAsync();
        var noFile = await Assert.ThrowsAsync<CustodyException>(() => missingFile.ConnectAsync().AsTask());
        var noVariable = await Assert.ThrowsAsync<CustodyException>(() => missingVariable.ConnectAsync().AsTask());

        // Assert
        Assert.Equal(fixture.Hsm.TokenLabel, info.Label);
        Assert.Equal(CustodyStatus.NotProvisioned, noFile.Status);
        Assert.Contains("absent.pin", noFile.Message, StringComparison.Ordinal);
        Assert.Equal(CustodyStatus.NotProvisioned, noVariable.Status);
    }

    [Fact]
    public async Task Logs_AfterFailuresAndSuccesses_NeverContainAPin()
    {
        // Arrange
        var failures = new List<Exception>();
        await using (var wrong = fixture.CreateStore(pin: WrongPin))
        {
            failures.Add(await Assert.ThrowsAsync<CustodyException>(() => wrong.ConnectAsync().AsTask()));
        }

        // Act
        await using (var right = fixture.CreateStore())
        {
            KeyName name = KeyName.Parse("logged-key");
            await right.GenerateKeyAsync(new KeySpec(name, KeyAlgorithm.EcdsaP256));
            await right.SignAsync(name, new SignInput(new byte[32], DigestAlgorithm.Sha256, SignatureScheme.EcdsaDer));
            failures.Add(await Assert.ThrowsAsync<CustodyException>(() =>
                right.CreateTrustedWrapKeyAsync("log-wrap", Pkcs11PinSources.FromValue(WrongPin)).AsTask()));
            await right.DestroyKeyAsync(name);
        }

        // Assert
        string logs = string.Join('\n', fixture.Logs.Lines);
        Assert.Contains("Logged in to token", logs, StringComparison.Ordinal);
        Assert.Contains("Login to token", logs, StringComparison.Ordinal);
        foreach (string secret in new[] { WrongPin, fixture.Hsm.UserPin, fixture.Hsm.SoPin })
        {
            Assert.DoesNotContain(secret, logs, StringComparison.Ordinal);
            Assert.All(failures, f => Assert.DoesNotContain(secret, TestData.Everything(f), StringComparison.Ordinal));
        }
    }

    [Fact]
    public void Options_Invalid_Rejected()
    {
        // Arrange
        Pkcs11KeyStoreOptions valid = fixture.Options();

        // Act + Assert
        Assert.Throws<ArgumentException>(() => new Pkcs11KeyStore(valid with { TokenSerial = "1234" }));
        Assert.Throws<ArgumentException>(() => new Pkcs11KeyStore(valid with { TokenLabel = null }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Pkcs11KeyStore(valid with { PoolSize = 0 }));
        Assert.Throws<ArgumentException>(() => new Pkcs11KeyStore(valid with { ModulePath = " " }));
        Assert.DoesNotContain(fixture.Hsm.UserPin, valid.ToString(), StringComparison.Ordinal);
    }

    private string CopyModule(string name, int offset, params byte[] patch)
    {
        string path = fixture.Temp.File(name);
        File.Copy(fixture.Hsm.ModulePath, path, overwrite: true);
        using FileStream file = File.OpenWrite(path);
        file.Position = offset;
        file.Write(patch);
        return path;
    }
}
