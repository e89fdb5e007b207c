// SPDX-License-Identifier: Apache-2.0
using KeyCustody.Audit;
using KeyCustody.Core.Ports;
using KeyCustody.Storage;
using KeyCustody.Testing;

namespace KeyCustody.Storage.Tests;

/// <summary>Per-test state for audit log tests: a temp directory, a software audit key and a file counter.</summary>
internal sealed class AuditLogFixture : IAsyncDisposable
{
    public const string Origin = "keycustody.test/storage";
    private static readonly DateTimeOffset s_start = new(2025, 6, 1, 12, 0, 0, TimeSpan.Zero);
    private readonly List<SqliteAuditLog> _opened = [];

    public AuditLogFixture(string prefix = "keycustody-storage")
    {
        Temp = new TempDirectory(prefix);
        Signer = EcdsaAuditSigner.Generate();
        Counter = new FileMonotonicCounter(Temp.File("counter"));
    }

    public TempDirectory Temp { get; }

    public EcdsaAuditSigner Signer { get; }

    public IMonotonicCounter Counter { get; set; }

    public string DatabasePath => Temp.File("state.db");

    public SqliteAuditLogOptions Options(
        TimeSpan? checkpointInterval = null,
        AuditOpenVerification verification = AuditOpenVerification.Full,
        long? maxPageCount = null,
        IReadOnlyList<SchemaMigration>? migrations = null,
        string? databasePath = null) => new()
        {
            DatabasePath = databasePath ?? DatabasePath,
            Origin = Origin,
            Signer = Signer,
            Counter = Counter,
            CheckpointInterval = checkpointInterval ?? TimeSpan.FromMilliseconds(10),
            OpenVerification = verification,
            MaxPageCount = maxPageCount,
            AdditionalMigrations = migrations ?? [],
        };

    public async Task<SqliteAuditLog> OpenAsync(SqliteAuditLogOptions? options = null)
    {
        SqliteAuditLog log = await SqliteAuditLog.OpenAsync(options ?? Options());
        _opened.Add(log);
        return log;
    }

    public static byte[] Entry(long n, string tag = "t") =>
        AuditEntry.Create("test.storage", s_start.AddMilliseconds(n)).Add("n", n).Add("tag", tag).ToUtf8();

    public AuditVerifier Verifier(SqliteAuditLog log) => new(log.PublicKey, Origin);

    /// <summary>Closes every log this fixture opened (before a mount under the temp directory is removed).</summary>
    public async ValueTask CloseLogsAsync()
    {
        foreach (SqliteAuditLog log in _opened)
        {
            await log.DisposeAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await CloseLogsAsync();
        Signer.Dispose();
        Temp.Dispose();
    }
}
