// SPDX-License-Identifier: Apache-2.0
using System.Diagnostics;
using System.Globalization;
using KeyCustody.Core;
using KeyCustody.Core.Ports;
using KeyCustody.Pkcs11;
using KeyCustody.Testing;
using static KeyCustody.Pkcs11.Interop.Pkcs11Constants;

namespace KeyCustody.Benchmarks;

/// <summary>
/// "pkcs11": ECDSA P-256 signatures per second on one SoftHSM2 token and key, on 1 and 2 threads.
/// (a) Our binding's raw C_SignInit/C_Sign loop, next to the same loop in C (native/pkcs11-sign-loop.c, compiled
/// with gcc at bench time, dlopen of the same module, same key by label).
/// (b) <see cref="Pkcs11KeyStore.SignAsync"/> — session pool and verify-before-return included — next to the C
/// loop doing the same work: C_Sign, then an OpenSSL verification of each signature (what .NET does underneath).
/// Verifying a P-256 signature costs about twice as much as making one, so (b) is not comparable with the
/// sign-only loop. Runs alternate and repeat; the best round of each counts, so a noisy neighbour on the machine
/// hurts both sides alike.
/// </summary>
public sealed class Pkcs11Bench : IBenchmarkSuite
{
    private const int Rounds = 3;
    private static readonly TimeSpan s_window = TimeSpan.FromSeconds(2);
    private static readonly string s_keyLabel = "bench-p256";

    /// <inheritdoc />
    public string Name => "pkcs11";

    /// <inheritdoc />
    public async Task<IReadOnlyList<BenchResult>> RunAsync(CancellationToken cancellationToken)
    {
        using var hsm = new SoftHsmFixture();
        using var work = new TempDirectory("keycustody-bench-pkcs11");
        string loop = work.File("pkcs11-sign-loop");
        (await ProcessRunner.RunAsync("gcc", ["-O2", "-o", loop, FindSource(), "-ldl", "-lpthread", "-lcrypto"])).EnsureSuccess("gcc pkcs11-sign-loop.c");
        string spkiFile = work.File("bench-p256.spki.der");

        var results = new List<BenchResult>();
        foreach (int threads in new[] { 1, 2 })
        {
            await using var store = new Pkcs11KeyStore(new Pkcs11KeyStoreOptions
            {
                ModulePath = hsm.ModulePath,
                TokenLabel = hsm.TokenLabel,
                UserPin = Pkcs11PinSources.FromValue(hsm.UserPin),
                PoolSize = threads,
            });
            KeyName name = KeyName.Parse(s_keyLabel);
            KeyInfo key = await store.FindKeyAsync(name, cancellationToken)
                ?? await store.GenerateKeyAsync(new KeySpec(name, KeyAlgorithm.EcdsaP256), cancellationToken);
            await File.WriteAllBytesAsync(spkiFile, key.SubjectPublicKeyInfo.ToArray(), cancellationToken);

            // Warm-up: JIT, the pool, SoftHSM's caches.
            await StoreLoopAsync(store, name, threads, TimeSpan.FromMilliseconds(500), cancellationToken);
            BindingLoop(hsm, threads, TimeSpan.FromMilliseconds(500));

            double cSign = 0, binding = 0, cSignVerify = 0, keyStore = 0;
            for (int round = 0; round < Rounds; round++)
            {
                cSign = Math.Max(cSign, await CLoopAsync(loop, hsm, threads, null, cancellationToken));
                binding = Math.Max(binding, BindingLoop(hsm, threads, s_window));
                cSignVerify = Math.Max(cSignVerify, await CLoopAsync(loop, hsm, threads, spkiFile, cancellationToken));
                keyStore = Math.Max(keyStore, await StoreLoopAsync(store, name, threads, s_window, cancellationToken));
            }

            string suffix = threads == 1 ? "1thread" : $"{threads}threads";
            results.Add(new BenchResult($"pkcs11-sign-p256-binding-{suffix}", binding, "sig/s",
                $"c-loop-c_sign-p256-{suffix}", cSign, 0.9, AtLeast: true));
            results.Add(new BenchResult($"pkcs11-sign-p256-keystore-{suffix}", keyStore, "sig/s",
                $"c-loop-c_sign+verify-p256-{suffix}", cSignVerify, 0.9, AtLeast: true));
            Console.Error.WriteLine(FormattableString.Invariant(
                $"pkcs11 {suffix}: keystore (with verify) = {keyStore / cSign:F2} x the sign-only C loop"));
        }

        return results;
    }

    /// <summary>The C baseline in its own process: signatures per second (verified with OpenSSL when <paramref name="spkiFile"/> is given).</summary>
    private static async Task<double> CLoopAsync(string loop, SoftHsmFixture hsm, int threads, string? spkiFile, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var arguments = new List<string>
        {
            hsm.ModulePath, hsm.TokenLabel, s_keyLabel, threads.ToString(CultureInfo.InvariantCulture),
            s_window.TotalSeconds.ToString(CultureInfo.InvariantCulture),
        };
        arguments.AddRange(spkiFile is null ? ["sign"] : ["sign-verify", spkiFile]);
        ProcessResult result = (await ProcessRunner.RunAsync(loop, arguments, hsm.Environment, standardInput: hsm.UserPin + "\n"))
            .EnsureSuccess("pkcs11-sign-loop");
        Dictionary<string, string> fields = result.StandardOutput.Trim().Split(' ')
            .Select(f => f.Split('=', 2)).ToDictionary(f => f[0], f => f[1]);
        return double.Parse(fields["signatures"], CultureInfo.InvariantCulture) / double.Parse(fields["seconds"], CultureInfo.InvariantCulture);
    }

    /// <summary>Our binding, no pool and no verification: C_SignInit + C_Sign per iteration, one session per thread.</summary>
    private static double BindingLoop(SoftHsmFixture hsm, int threads, TimeSpan window)
    {
        using Pkcs11Module module = Pkcs11Module.Load(hsm.ModulePath);
        Pkcs11Slot slot = module.GetSlots().Single(s => TryLabel(s) == hsm.TokenLabel);
        var sessions = Enumerable.Range(0, threads).Select(_ => slot.OpenSession()).ToList();
        try
        {
            if (!sessions[0].GetSessionInfo().UserLoggedIn)
            {
                sessions[0].Login(CKU_USER, System.Text.Encoding.UTF8.GetBytes(hsm.UserPin));
            }

            ulong key = sessions[0].FindObjects([Pkcs11Attribute.ULong(CKA_CLASS, CKO_PRIVATE_KEY), Pkcs11Attribute.Text(CKA_LABEL, s_keyLabel)]).Single();
            var mechanism = new Pkcs11Mechanism(CKM_ECDSA);
            byte[] digest = Enumerable.Range(0, 32).Select(i => (byte)((i * 7) + 1)).ToArray();
            var counts = new long[threads];
            using var start = new Barrier(threads + 1);
            var workers = Enumerable.Range(0, threads).Select(t => new Thread(() =>
            {
                Span<byte> signature = stackalloc byte[256];
                start.SignalAndWait();
                var clock = Stopwatch.StartNew();
                long done = 0;
                do
                {
                    sessions[t].Sign(mechanism, key, digest, signature);
                    done++;
                }
                while (clock.Elapsed < window);
                counts[t] = done;
            })).ToList();
            workers.ForEach(w => w.Start());
            start.SignalAndWait();
            var elapsed = Stopwatch.StartNew();
            workers.ForEach(w => w.Join());
            return counts.Sum() / elapsed.Elapsed.TotalSeconds;
        }
        finally
        {
            sessions.ForEach(s => s.Dispose());
        }
    }

    /// <summary>The key store: pooled sessions, SignAsync with verify-before-return, one caller per pooled session.</summary>
    private static async Task<double> StoreLoopAsync(Pkcs11KeyStore store, KeyName name, int threads, TimeSpan window, CancellationToken cancellationToken)
    {
        var input = new SignInput(Enumerable.Range(0, 32).Select(i => (byte)((i * 7) + 1)).ToArray(), DigestAlgorithm.Sha256, SignatureScheme.EcdsaRaw);
        var clock = Stopwatch.StartNew();
        long[] counts = await Task.WhenAll(Enumerable.Range(0, threads).Select(_ => Task.Run(async () =>
        {
            long done = 0;
            do
            {
                await store.SignAsync(name, input, cancellationToken);
                done++;
            }
            while (clock.Elapsed < window);
            return done;
        }, cancellationToken)));
        return counts.Sum() / clock.Elapsed.TotalSeconds;
    }

    private static string? TryLabel(Pkcs11Slot slot)
    {
        try
        {
            return slot.GetTokenInfo().Label;
        }
        catch (Pkcs11Exception)
        {
            return null;
        }
    }

    /// <summary>native/pkcs11-sign-loop.c next to this project, found upwards from the build output.</summary>
    private static string FindSource()
    {
        for (DirectoryInfo? dir = new(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            foreach (string candidate in new[]
            {
                Path.Combine(dir.FullName, "native", "pkcs11-sign-loop.c"),
                Path.Combine(dir.FullName, "tests", "KeyCustody.Benchmarks", "native", "pkcs11-sign-loop.c"),
            })
            {
                if (File.Exists(candidate))
                {
                    return candidate;
                }
            }
        }

        throw new FileNotFoundException("native/pkcs11-sign-loop.c was not found above " + AppContext.BaseDirectory);
    }
}
