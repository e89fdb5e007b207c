// SPDX-License-Identifier: Apache-2.0
// Appends a stream of audit entries from several concurrent callers and prints "ack <index> <sha256-hex>" for each
// entry only after AppendAsync returned, i.e. after the commit that made it durable. The crash-consistency test kills
// this process with SIGKILL at random points and checks that every acknowledged entry survived.
// Usage: KeyCustody.Storage.CrashWriter DB KEY_PEM COUNTER ORIGIN TAG [WRITERS]
using System.Security.Cryptography;
using KeyCustody.Audit;
using KeyCustody.Core;
using KeyCustody.Core.Ports;
using KeyCustody.Storage;

if (args.Length < 5)
{
    Console.Error.WriteLine("usage: KeyCustody.Storage.CrashWriter DB KEY_PEM COUNTER ORIGIN TAG [WRITERS]");
    return 2;
}

int writers = args.Length > 5 ? int.Parse(args[5], System.Globalization.CultureInfo.InvariantCulture) : 8;
using EcdsaAuditSigner signer = EcdsaAuditSigner.FromPem(File.ReadAllText(args[1]));
var counter = new FileMonotonicCounter(args[2]);
ulong counterBefore = await counter.ReadAsync();
SqliteAuditLog log;
try
{
    log = await SqliteAuditLog.OpenAsync(new SqliteAuditLogOptions
    {
        DatabasePath = args[0],
        Origin = args[3],
        Signer = signer,
        Counter = counter,
        CheckpointInterval = TimeSpan.FromMilliseconds(5),
    });
}
catch (CustodyException ex)
{
    Console.WriteLine($"error {ex.Status} {ex.Message}");
    return 3;
}

// "ready SIZE CHECKPOINTS COUNTER_BEFORE_OPEN": more checkpoints than the counter showed means open completed a
// publication the previous run was killed in the middle of.
Console.WriteLine($"ready {log.Size} {log.Health.PublishedCheckpoints} {counterBefore}");
string tag = args[4];
var tasks = Enumerable.Range(0, writers).Select(w => Task.Run(async () =>
{
    for (long k = 0; ; k++)
    {
        byte[] entry = AuditEntry.Create("test.crash", DateTimeOffset.UtcNow).Add("tag", tag).Add("w", w).Add("k", k).ToUtf8();
        AuditAppendResult result = await log.AppendAsync(entry);
        Console.WriteLine($"ack {result.Index} {Convert.ToHexStringLower(SHA256.HashData(entry))}");
    }
}));
await Task.WhenAll(tasks);
return 0;
