// SPDX-License-Identifier: Apache-2.0
using System.Security.Cryptography;
using KeyCustody.Audit;
using KeyCustody.Core;
using KeyCustody.Core.Ports;
using KeyCustody.Daemon.Services;
using KeyCustody.Governance;
using KeyCustody.Storage;
using KeyCustody.Testing;
using Microsoft.Extensions.Logging.Abstractions;

namespace KeyCustody.Daemon.Tests;

/// <summary>
/// The engine over a real SQLite audit log capped like a full disk: when the signed entry cannot be made durable,
/// Sign fails with AuditUnavailable and the signature the HSM made never leaves the engine.
/// (The HSM is a software stand-in: this is about the engine's ordering, the real HSM runs in the integration tests.)
/// </summary>
public sealed class SigningEngineFailClosedTests : IAsyncLifetime
{
    private readonly TempDirectory _dir = new("engine-fail-closed");
    private readonly EcdsaAuditSigner _signer = EcdsaAuditSigner.Generate();
    private readonly SoftwareKeyStore _hsm = new();
    private SqliteAuditLog _log = null!;

    public async Task InitializeAsync()
    {
        _log = await SqliteAuditLog.OpenAsync(new SqliteAuditLogOptions
        {
            DatabasePath = _dir.File("keycustody.db"),
            Origin = "test/engine",
            Signer = _signer,
            Counter = new InMemoryMonotonicCounter(),
            AdditionalMigrations = GovernanceSchema.Migrations,
            CheckpointInterval = TimeSpan.FromMilliseconds(10),
            MaxPageCount = 64,
        });
        var roster = new Roster([new Officer("ann", [SshPublicKey.Parse("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIIOMwu24GfT+6m8X/BPp7Ps4Z5vaFsHBPB6T1xKHwe/h ann")], ["ops"])], [], 1);
        KeyPolicy policy = KeyPolicy.Parse("""
            { "version": 1, "key": "low", "riskTier": "low", "allowedCallers": [{ "subject": "CN=ci" }], "allowedDigests": ["sha256"] }
            """);
        var key = new GovernanceKeyRecord(KeyName.Parse("low"), KeyAlgorithm.EcdsaP256, GovernanceKeyRecord.Active, 1,
            _hsm.Spki, false, DateTimeOffset.UtcNow, 0, null);
        await _log.AppendAsync(AuditEntry.Create("ceremony.completed", DateTimeOffset.UtcNow).Add("kind", "test").ToUtf8(), (c, t) =>
        {
            GovernanceStore.WriteRoster(c, t, roster, DateTimeOffset.UtcNow);
            GovernanceStore.WriteKey(c, t, key);
            GovernanceStore.WritePolicy(c, t, policy, DateTimeOffset.UtcNow);
            GovernanceStore.WriteMeta(c, t, "genesis", "now");
        });
    }

    public async Task DisposeAsync()
    {
        await _log.DisposeAsync();
        _signer.Dispose();
        _hsm.Dispose();
        _dir.Dispose();
    }

    private static Submission Submit(int n) => new(new CallerIdentity("CN=ci"), "00", "low", DigestAlgorithm.Sha256,
        SHA256.HashData(BitConverter.GetBytes(n)), 0, null, null, new Dictionary<string, string>(), null);

    [Fact]
    public async Task SignNow_AuditLogFull_AuditUnavailableAndNoSignatureReleased()
    {
        // Arrange
        SigningEngine engine = await SigningEngine.LoadAsync(_log, new GovernanceStore(_log.OpenReadConnection), _hsm,
            TimeProvider.System, NullLogger.Instance, CancellationToken.None);
        SignOutcome first = await engine.SignNowAsync(Submit(0), CancellationToken.None);
        string filler = new('x', 40_000);
        try
        {
            while (true)
            {
                await _log.AppendAsync(AuditEntry.Create("test.filler", DateTimeOffset.UtcNow).Add("pad", filler).ToUtf8());
            }
        }
        catch (CustodyException full) when (full.Status == CustodyStatus.AuditUnavailable)
        {
            // The cap is reached: the log has failed closed.
        }

        int signaturesBefore = _hsm.Signatures;

        // Act
        CustodyException ex = await Assert.ThrowsAsync<CustodyException>(() => engine.SignNowAsync(Submit(1), CancellationToken.None));

        // Assert
        Assert.NotEmpty(first.Signature);
        Assert.Equal(CustodyStatus.AuditUnavailable, ex.Status);
        Assert.True(_hsm.Signatures <= signaturesBefore + 1);
        Assert.False(_log.IsWritable);
    }

    /// <summary>A software P-256 key behind the HSM port (engine ordering only).</summary>
    private sealed class SoftwareKeyStore : ISigningKeyStore, IDisposable
    {
        private readonly ECDsa _key = ECDsa.Create(ECCurve.NamedCurves.nistP256);

        public byte[] Spki => _key.ExportSubjectPublicKeyInfo();

        public int Signatures { get; private set; }

        public ValueTask<KeyInfo> GenerateKeyAsync(KeySpec spec, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public ValueTask<KeyInfo?> FindKeyAsync(KeyName name, CancellationToken cancellationToken = default) =>
            ValueTask.FromResult<KeyInfo?>(new KeyInfo(name, KeyAlgorithm.EcdsaP256, new byte[] { 1 }, Spki, false));

        public ValueTask<IReadOnlyList<KeyInfo>> ListKeysAsync(CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public ValueTask<byte[]> SignAsync(KeyName name, SignInput input, CancellationToken cancellationToken = default)
        {
            Signatures++;
            return ValueTask.FromResult(_key.SignHash(input.Data.Span, DSASignatureFormat.Rfc3279DerSequence));
        }

        public ValueTask DestroyKeyAsync(KeyName name, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public void Dispose() => _key.Dispose();
    }
}
