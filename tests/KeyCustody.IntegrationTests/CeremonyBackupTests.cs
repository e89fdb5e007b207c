// SPDX-License-Identifier: Apache-2.0
using System.Security.Cryptography;
using KeyCustody.Core;
using KeyCustody.Core.Ports;
using KeyCustody.Daemon.Ceremonies;
using KeyCustody.Governance.Ceremonies;
using KeyCustody.IntegrationTests.Infrastructure;
using KeyCustody.Pkcs11;
using KeyCustody.Testing;

namespace KeyCustody.IntegrationTests;

/// <summary>Two real SoftHSM2 tokens: the appliance's, and a fresh one to restore onto.</summary>
public sealed class TwoTokenFixture : IDisposable
{
    private readonly SoftHsmFixture _source = new();
    private readonly SoftHsmFixture _target = new();

    public TwoTokenFixture()
    {
        Source = Open(_source);
        Target = Open(_target);
    }

    public Pkcs11KeyStore Source { get; }

    public Pkcs11KeyStore Target { get; }

    public Func<CancellationToken, ValueTask<byte[]>> SourceSoPin => Pkcs11PinSources.FromValue(_source.SoPin);

    public Func<CancellationToken, ValueTask<byte[]>> TargetSoPin => Pkcs11PinSources.FromValue(_target.SoPin);

    private static Pkcs11KeyStore Open(SoftHsmFixture token) => new(new Pkcs11KeyStoreOptions
    {
        ModulePath = token.ModulePath,
        TokenLabel = token.TokenLabel,
        UserPin = Pkcs11PinSources.FromValue(token.UserPin),
        PoolSize = 2,
    });

    public void Dispose()
    {
        Source.Dispose();
        Target.Dispose();
        _source.Dispose();
        _target.Dispose();
    }
}

/// <summary>Backup → destroy → restore on a fresh token with M of N custodian shares; M-1 shares restore nothing.</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class CeremonyBackupTests(TwoTokenFixture tokens) : IClassFixture<TwoTokenFixture>
{
    private static readonly string[] s_custodians = ["dave", "erin", "frank"];

    private static (List<(string, byte[])> Recipients, Dictionary<string, byte[]> Privates) Custodians()
    {
        var recipients = new List<(string, byte[])>();
        var privates = new Dictionary<string, byte[]>();
        foreach (string name in s_custodians)
        {
            (byte[] privateKey, byte[] publicKey) = ShareEnvelope.NewKeyPair();
            recipients.Add((name, publicKey));
            privates[name] = privateKey;
        }

        return (recipients, privates);
    }

    private static SignInput Digest(string text) =>
        new(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(text)), DigestAlgorithm.Sha256, SignatureScheme.EcdsaDer);

    [Fact]
    public async Task Restore_TwoOfThreeSharesOnFreshToken_OldAndNewSignaturesVerifyUnderOriginalKey()
    {
        // Arrange
        KeyName name = KeyName.Parse("backup-" + Guid.NewGuid().ToString("N")[..8]);
        KeyInfo original = await tokens.Source.GenerateKeyAsync(new KeySpec(name, KeyAlgorithm.EcdsaP256, BackupCapable: true));
        string pem = PemEncoding.WriteString("PUBLIC KEY", original.SubjectPublicKeyInfo.Span);
        byte[] oldSignature = await tokens.Source.SignAsync(name, Digest("before"));
        (List<(string, byte[])> recipients, Dictionary<string, byte[]> privates) = Custodians();
        BackupBundle made = await BackupCeremony.BackupAsync(tokens.Source, tokens.SourceSoPin, "cer-backup", [name], 2, recipients,
            DateTimeOffset.UtcNow, CancellationToken.None);
        using var dir = new TempDirectory("kc-backup");
        await File.WriteAllBytesAsync(dir.File("bundle.json"), made.ToJson());
        await tokens.Source.DestroyKeyAsync(name);

        // Act
        BackupBundle bundle = BackupBundle.Parse(await File.ReadAllBytesAsync(dir.File("bundle.json")));
        IReadOnlyList<KeyInfo> restored = await BackupCeremony.RestoreAsync(tokens.Target, tokens.TargetSoPin, bundle,
            [bundle.OpenShare("dave", privates["dave"]), bundle.OpenShare("frank", privates["frank"])], CancellationToken.None);
        byte[] newSignature = await tokens.Target.SignAsync(name, Digest("after"));

        // Assert
        Assert.Null(await tokens.Source.FindKeyAsync(name));
        Assert.Equal(original.SubjectPublicKeyInfo.ToArray(), Assert.Single(restored).SubjectPublicKeyInfo.ToArray());
        ProcessResult before = await Peers.OpensslVerifyAsync(pem, "before"u8.ToArray(), oldSignature);
        ProcessResult after = await Peers.OpensslVerifyAsync(pem, "after"u8.ToArray(), newSignature);
        Assert.True(before.ExitCode == 0, before.StandardOutput + before.StandardError);
        Assert.True(after.ExitCode == 0, after.StandardOutput + after.StandardError);
    }

    [Fact]
    public async Task Restore_OneShareOfTwo_PermissionDeniedAndNothingRestored()
    {
        // Arrange
        KeyName name = KeyName.Parse("backup-" + Guid.NewGuid().ToString("N")[..8]);
        await tokens.Source.GenerateKeyAsync(new KeySpec(name, KeyAlgorithm.EcdsaP256, BackupCapable: true));
        (List<(string, byte[])> recipients, Dictionary<string, byte[]> privates) = Custodians();
        BackupBundle bundle = await BackupCeremony.BackupAsync(tokens.Source, tokens.SourceSoPin, "cer-backup", [name], 2, recipients,
            DateTimeOffset.UtcNow, CancellationToken.None);

        // Act
        CustodyException ex = await Assert.ThrowsAsync<CustodyException>(() => BackupCeremony.RestoreAsync(tokens.Target, tokens.TargetSoPin, bundle,
            [bundle.OpenShare("erin", privates["erin"])], CancellationToken.None));

        // Assert
        Assert.Equal(CustodyStatus.PermissionDenied, ex.Status);
        Assert.Contains("2 are needed", ex.Message);
        Assert.Null(await tokens.Target.FindKeyAsync(name));
    }

    [Fact]
    public async Task Backup_KeyNotBackupCapable_PermissionDenied()
    {
        // Arrange
        KeyName name = KeyName.Parse("nobackup-" + Guid.NewGuid().ToString("N")[..8]);
        await tokens.Source.GenerateKeyAsync(new KeySpec(name, KeyAlgorithm.EcdsaP256));
        (List<(string, byte[])> recipients, _) = Custodians();

        // Act
        CustodyException ex = await Assert.ThrowsAsync<CustodyException>(() => BackupCeremony.BackupAsync(tokens.Source, tokens.SourceSoPin, "cer-backup",
            [name], 2, recipients, DateTimeOffset.UtcNow, CancellationToken.None));

        // Assert
        Assert.Equal(CustodyStatus.PermissionDenied, ex.Status);
    }
}
