// SPDX-License-Identifier: Apache-2.0
using System.Runtime.InteropServices;
using KeyCustody.Core;
using KeyCustody.Core.Ports;
using KeyCustody.Testing;

namespace KeyCustody.Pkcs11.Tests;

/// <summary>
/// Runs alone, after the parallel classes: the shim forwards to the same SoftHSM2 library the other classes load,
/// and C_Initialize/C_Finalize are process-wide, so no other class may initialise or finalise it meanwhile.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class FaultInjectionCollection
{
    public const string Name = "PKCS#11 fault injection";
}

/// <summary>
/// A real SoftHSM2 token behind native/pkcs11-fault-shim.c (compiled here with gcc), which injects what SoftHSM
/// cannot do itself: a locked user PIN and a removed device.
/// </summary>
public sealed class FaultShimFixture : IDisposable
{
    private readonly nint _library;
    private readonly SetFault _setFault;
    private readonly LoginCalls _loginCalls;

    public FaultShimFixture()
    {
        Inner = new KeyStoreFixture();
        string source = Path.Combine(AppContext.BaseDirectory, "native", "pkcs11-fault-shim.c");
        ShimPath = Inner.Temp.File("pkcs11-fault-shim.so");
        ProcessRunner.RunAsync("gcc",
            ["-shared", "-fPIC", "-O1", "-Wall", "-Werror", "-o", ShimPath, source, "-ldl", $"-DREAL_MODULE=\"{Inner.Hsm.ModulePath}\""])
            .GetAwaiter().GetResult().EnsureSuccess("gcc pkcs11-fault-shim.c");

        // The same dlopen handle the key store gets: the fault switch and the module share their statics.
        _library = NativeLibrary.Load(ShimPath);
        _setFault = Marshal.GetDelegateForFunctionPointer<SetFault>(NativeLibrary.GetExport(_library, "kc_fault_set"));
        _loginCalls = Marshal.GetDelegateForFunctionPointer<LoginCalls>(NativeLibrary.GetExport(_library, "kc_login_calls"));
    }

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate void SetFault(int mode);

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate int LoginCalls();

    public KeyStoreFixture Inner { get; }

    public string ShimPath { get; }

    public int LoginCallCount => _loginCalls();

    public void Fault(ShimFault fault) => _setFault((int)fault);

    public void Dispose()
    {
        _setFault(0);
        Inner.DisposeAsync().GetAwaiter().GetResult();
        NativeLibrary.Free(_library);
    }
}

public enum ShimFault
{
    None = 0,
    PinLocked = 1,
    PinLocksOnNextLogin = 2,
    TokenRemoved = 3,
    CorruptSignatures = 4,
}

[Collection(FaultInjectionCollection.Name)]
public sealed class FaultInjectionTests(FaultShimFixture shim) : IClassFixture<FaultShimFixture>, IDisposable
{
    private static readonly TimeSpan s_noHang = TimeSpan.FromSeconds(60);

    public void Dispose() => shim.Fault(ShimFault.None);

    [Fact]
    public async Task ConnectAsync_TokenReportsPinLocked_PinLockedWithoutLoginAttempt()
    {
        // Arrange
        shim.Fault(ShimFault.PinLocked);
        int loginsBefore = shim.LoginCallCount;
        await using Pkcs11KeyStore store = shim.Inner.CreateStore(modulePath: shim.ShimPath);

        // Act
        var failure = await Assert.ThrowsAsync<CustodyException>(() => store.ConnectAsync().AsTask().WaitAsync(s_noHang));

        // Assert
        Assert.Equal(CustodyStatus.PinLocked, failure.Status);
        Assert.Contains("CKF_USER_PIN_LOCKED", failure.Message, StringComparison.Ordinal);
        Assert.Contains("security officer must unblock it", failure.Message, StringComparison.Ordinal);
        Assert.Equal(loginsBefore, shim.LoginCallCount);
    }

    [Fact]
    public async Task ConnectAsync_LoginLocksPin_PinLockedAndNotRetried()
    {
        // Arrange
        shim.Fault(ShimFault.PinLocksOnNextLogin);
        int loginsBefore = shim.LoginCallCount;
        await using Pkcs11KeyStore store = shim.Inner.CreateStore(modulePath: shim.ShimPath);

        // Act
        var first = await Assert.ThrowsAsync<CustodyException>(() => store.ConnectAsync().AsTask().WaitAsync(s_noHang));
        shim.Fault(ShimFault.None);
        var second = await Assert.ThrowsAsync<CustodyException>(() => store.ConnectAsync().AsTask().WaitAsync(s_noHang));

        // Assert
        Assert.Equal(CustodyStatus.PinLocked, first.Status);
        Assert.Contains("C_Login returned CKR_PIN_LOCKED", first.Message, StringComparison.Ordinal);
        Assert.Contains("token PIN flags: CKF_USER_PIN_LOCKED", first.Message, StringComparison.Ordinal);
        Assert.Equal(CustodyStatus.PinLocked, second.Status);
        Assert.Equal(loginsBefore + 1, shim.LoginCallCount);
        Assert.DoesNotContain(shim.Inner.Hsm.UserPin, TestData.Everything(first), StringComparison.Ordinal);
    }

    [Fact]
    public async Task SignAsync_TokenRemovedThenReturned_UnavailableAtOnceThenResumes()
    {
        // Arrange
        await using Pkcs11KeyStore store = shim.Inner.CreateStore(modulePath: shim.ShimPath, poolSize: 2);
        KeyInfo key = await store.GenerateKeyAsync(new KeySpec(KeyName.Parse("unplugged"), KeyAlgorithm.EcdsaP256));
        var input = new SignInput(TestData.Digest(DigestAlgorithm.Sha256, "plug"u8.ToArray()), DigestAlgorithm.Sha256, SignatureScheme.EcdsaDer);
        await store.SignAsync(key.Name, input);

        // Act
        shim.Fault(ShimFault.TokenRemoved);
        var signWhileGone = await Assert.ThrowsAsync<CustodyException>(() => store.SignAsync(key.Name, input).AsTask().WaitAsync(s_noHang));
        var listWhileGone = await Assert.ThrowsAsync<CustodyException>(() => store.ListKeysAsync().AsTask().WaitAsync(s_noHang));
        shim.Fault(ShimFault.None);
        byte[] signature = await store.SignAsync(key.Name, input).AsTask().WaitAsync(s_noHang);

        // Assert
        Assert.Equal(CustodyStatus.HsmUnavailable, signWhileGone.Status);
        Assert.True(signWhileGone.IsTransient);
        Assert.Contains($"No token with label '{shim.Inner.Hsm.TokenLabel}' is present", signWhileGone.Message, StringComparison.Ordinal);
        Assert.Equal(CustodyStatus.HsmUnavailable, listWhileGone.Status);
        Assert.True(SignatureVerification.Verify(key.SubjectPublicKeyInfo.Span, input, signature));
        Assert.Contains(shim.Inner.Logs.Lines, l => l.Contains("is unavailable: C_SignInit returned CKR_DEVICE_REMOVED", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(KeyAlgorithm.EcdsaP256, SignatureScheme.EcdsaDer)]
    [InlineData(KeyAlgorithm.Ed25519, SignatureScheme.Ed25519)]
    [InlineData(KeyAlgorithm.Rsa3072, SignatureScheme.RsaPss)]
    public async Task SignAsync_DeviceReturnsBadSignature_DeviceFaultAndWithheld(KeyAlgorithm algorithm, SignatureScheme scheme)
    {
        // Arrange
        await using Pkcs11KeyStore store = shim.Inner.CreateStore(modulePath: shim.ShimPath);
        KeyName name = KeyName.Parse("faulty-" + Algorithms.Name(algorithm));
        KeyInfo key = await store.GenerateKeyAsync(new KeySpec(name, algorithm));
        byte[] message = "a release"u8.ToArray();
        var input = new SignInput(scheme == SignatureScheme.Ed25519 ? message : TestData.Digest(DigestAlgorithm.Sha256, message), DigestAlgorithm.Sha256, scheme);

        // Act
        shim.Fault(ShimFault.CorruptSignatures);
        var failure = await Assert.ThrowsAsync<CustodyException>(() => store.SignAsync(name, input).AsTask().WaitAsync(s_noHang));
        shim.Fault(ShimFault.None);
        byte[] good = await store.SignAsync(name, input);

        // Assert
        Assert.Equal(CustodyStatus.DeviceFault, failure.Status);
        Assert.Contains("does not verify against the key's public key; it was withheld", failure.Message, StringComparison.Ordinal);
        Assert.Contains(shim.Inner.Logs.Lines, l => l.StartsWith("Critical 1106", StringComparison.Ordinal) && l.Contains(name.Value, StringComparison.Ordinal));
        Assert.True(SignatureVerification.Verify(key.SubjectPublicKeyInfo.Span, input, good));
    }

    [Fact]
    public async Task ConnectAsync_TokenAbsentAtStart_UnavailableThenConnectsWhenPresent()
    {
        // Arrange
        shim.Fault(ShimFault.TokenRemoved);
        await using Pkcs11KeyStore store = shim.Inner.CreateStore(modulePath: shim.ShimPath);

        // Act
        var absent = await Assert.ThrowsAsync<CustodyException>(() => store.ConnectAsync().AsTask().WaitAsync(s_noHang));
        shim.Fault(ShimFault.None);
        Pkcs11TokenInfo info = await store.ConnectAsync().AsTask().WaitAsync(s_noHang);

        // Assert
        Assert.Equal(CustodyStatus.HsmUnavailable, absent.Status);
        Assert.Contains("no initialised token is present", absent.Message, StringComparison.Ordinal);
        Assert.Equal(shim.Inner.Hsm.TokenLabel, info.Label);
    }
}
