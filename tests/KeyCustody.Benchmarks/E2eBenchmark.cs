// SPDX-License-Identifier: Apache-2.0
using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using Google.Protobuf;
using KeyCustody.Core;
using KeyCustody.Core.Ports;
using KeyCustody.Grpc.Client;
using KeyCustody.Pkcs11;
using KeyCustody.Testing;
using Pb = KeyCustody.Protocol.V1;

namespace KeyCustody.Benchmarks;

/// <summary>
/// End-to-end <c>Sign</c> on <c>dev-low</c> (ECDSA P-256, audited with group commit, receipt returned) through the
/// development appliance over mTLS at 1, 16 and 64 concurrent clients, next to the raw PKCS#11 rate of the same key
/// on the same SoftHSM2 token measured in the same run (after the daemon stopped, through KeyCustody.Pkcs11 with as
/// many parallel callers). Also p99/p50 at 80% of the peak rate, and the daemon's VmRSS idle and under load.
/// The load generator shares the machine's cores with the daemon.
/// </summary>
[SupportedOSPlatform("linux")]
public sealed partial class E2eBenchmark : IBenchmarkSuite
{
    private static readonly TimeSpan s_measure = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan s_warmup = TimeSpan.FromSeconds(1);

    /// <inheritdoc />
    public string Name => "e2e";

    /// <inheritdoc />
    public async Task<IReadOnlyList<BenchResult>> RunAsync(CancellationToken cancellationToken)
    {
        using var state = new TempDirectory("kc-bench-e2e");
        var results = new List<BenchResult>();
        var rates = new Dictionary<int, (double Rate, double P50, double P99)>();
        double idleRss;
        double loadRss = 0;
        using (Process daemon = await StartDaemonAsync(state.Path, cancellationToken))
        {
            try
            {
                using GrpcChannel channel = Channel(state.Path);
                await RunClosedLoopAsync(channel, 4, s_warmup, cancellationToken);
                await Task.Delay(TimeSpan.FromSeconds(2), cancellationToken);
                GC.Collect();
                idleRss = ReadRssMegabytes(daemon);
                using var sampler = new CancellationTokenSource();
                Task<double> peakRss = SampleRssAsync(daemon, sampler.Token);
                foreach (int clients in new[] { 1, 16, 64 })
                {
                    await RunClosedLoopAsync(channel, clients, s_warmup, cancellationToken);
                    rates[clients] = await RunClosedLoopAsync(channel, clients, s_measure, cancellationToken);
                    Console.Error.WriteLine($"e2e: {clients} clients: {rates[clients].Rate:F0} sig/s, p50 {rates[clients].P50:F2} ms, p99 {rates[clients].P99:F2} ms");
                }

                double peak = rates.Values.Max(r => r.Rate);
                (double p50, double p99, double achieved) = await RunOpenLoopAsync(channel, 0.8 * peak, s_measure, cancellationToken);
                Console.Error.WriteLine($"e2e: 80% of peak ({0.8 * peak:F0}/s, achieved {achieved:F0}/s): p50 {p50:F2} ms, p99 {p99:F2} ms");
                await sampler.CancelAsync();
                loadRss = await peakRss;
                results.Add(new BenchResult("e2e-sign-p256-p99-at-80pct-peak", p99, "ms", "e2e-sign-p256-p50-at-80pct-peak", p50, 3.0, AtLeast: false));
            }
            finally
            {
                await StopDaemonAsync(daemon);
            }
        }

        double raw = await MeasureRawAsync(state.Path, cancellationToken);
        Console.Error.WriteLine($"e2e: raw PKCS#11 (KeyCustody.Pkcs11, 16 callers): {raw:F0} sig/s");
        foreach (int clients in new[] { 1, 16 })
        {
            results.Add(new BenchResult($"e2e-sign-p256-{clients}-clients", rates[clients].Rate, "sig/s", "raw-pkcs11-sign-p256-16-callers", raw, Target: null, AtLeast: true));
        }

        results.Add(new BenchResult("e2e-sign-p256-64-clients", rates[64].Rate, "sig/s", "raw-pkcs11-sign-p256-16-callers", raw, 0.6, AtLeast: true));
        foreach (int clients in new[] { 1, 16, 64 })
        {
            results.Add(new BenchResult($"e2e-sign-p256-{clients}-clients-p99", rates[clients].P99, "ms",
                $"e2e-sign-p256-{clients}-clients-p50", rates[clients].P50, Target: null, AtLeast: false));
        }

        results.Add(new BenchResult("e2e-daemon-rss-idle", idleRss, "MB", "budget-80MB", 80, 1.0, AtLeast: false));
        results.Add(new BenchResult("e2e-daemon-rss-under-load", loadRss, "MB", "budget-150MB", 150, 1.0, AtLeast: false));
        return results;
    }

    private static async Task<(double Rate, double P50, double P99)> RunClosedLoopAsync(GrpcChannel channel, int clients, TimeSpan duration, CancellationToken cancellationToken)
    {
        var latencies = new List<double>[clients];
        long start = Stopwatch.GetTimestamp();
        long end = start + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        var workers = Enumerable.Range(0, clients).Select(async i =>
        {
            var mine = latencies[i] = new List<double>(4096);
            int n = 0;
            while (Stopwatch.GetTimestamp() < end)
            {
                long t0 = Stopwatch.GetTimestamp();
                await SignOnceAsync(channel, i, n++, cancellationToken);
                mine.Add(Stopwatch.GetElapsedTime(t0).TotalMilliseconds);
            }
        }).ToArray();
        await Task.WhenAll(workers);
        double seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
        double[] all = [.. latencies.SelectMany(l => l).Order()];
        return (all.Length / seconds, Percentile(all, 0.50), Percentile(all, 0.99));
    }

    // Open loop: requests are issued on a fixed schedule at the target rate whatever the latency, so queueing shows.
    private static async Task<(double P50, double P99, double Achieved)> RunOpenLoopAsync(GrpcChannel channel, double rate, TimeSpan duration, CancellationToken cancellationToken)
    {
        int total = (int)(rate * duration.TotalSeconds);
        var latencies = new double[total];
        long start = Stopwatch.GetTimestamp();
        var calls = new List<Task>(total);
        for (int i = 0; i < total; i++)
        {
            long due = start + (long)(i / rate * Stopwatch.Frequency);
            while (Stopwatch.GetTimestamp() < due)
            {
                TimeSpan wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), due);
                await Task.Delay(wait > TimeSpan.FromMilliseconds(1) ? wait : TimeSpan.Zero, cancellationToken);
            }

            int index = i;
            calls.Add(Task.Run(async () =>
            {
                long t0 = Stopwatch.GetTimestamp();
                await SignOnceAsync(channel, 1000, index, cancellationToken);
                latencies[index] = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
            }, cancellationToken));
        }

        await Task.WhenAll(calls);
        double seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
        double[] sorted = [.. latencies.Order()];
        return (Percentile(sorted, 0.50), Percentile(sorted, 0.99), total / seconds);
    }

    private static async Task SignOnceAsync(GrpcChannel channel, int worker, int n, CancellationToken cancellationToken)
    {
        byte[] digest = SHA256.HashData(Encoding.UTF8.GetBytes($"bench {worker} {n} {Environment.TickCount64}"));
        Pb.SignResponse response = await channel.UnaryAsync("/keycustody.v1.SigningService/Sign",
            new Pb.SignRequest { Key = "dev-low", Digest = new Pb.Digest { Algorithm = Pb.DigestAlgorithm.Sha256, Value = ByteString.CopyFrom(digest) } },
            Pb.SignResponse.Parser, CallOptions.WithTimeout(TimeSpan.FromSeconds(60), cancellationToken: cancellationToken));
        if (response.Signature.IsEmpty || response.Receipt is null)
        {
            throw new InvalidOperationException("Sign answered without a signature and receipt.");
        }
    }

    // The same token and key, without the daemon: the SO PIN (kept by the dev appliance) sets a user PIN we know.
    private static async Task<double> MeasureRawAsync(string state, CancellationToken cancellationToken)
    {
        string conf = Path.Combine(state, "softhsm", "softhsm2.conf");
        string soPin = (await File.ReadAllTextAsync(Path.Combine(state, "softhsm", "so-pin"), cancellationToken)).Trim();
        string pin = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12));
        (await ProcessRunner.RunAsync("pkcs11-tool",
            ["--module", SoftHsmEnvironment.DefaultModulePath, "--token-label", "keycustody-dev", "--login", "--login-type", "so",
             "--so-pin", soPin, "--init-pin", "--new-pin", pin],
            new Dictionary<string, string> { ["SOFTHSM2_CONF"] = conf })).EnsureSuccess("pkcs11-tool --init-pin");
        Environment.SetEnvironmentVariable("SOFTHSM2_CONF", conf);
        _ = SetEnv("SOFTHSM2_CONF", conf, 1);
        await using var store = new Pkcs11KeyStore(new Pkcs11KeyStoreOptions
        {
            ModulePath = SoftHsmEnvironment.DefaultModulePath,
            TokenLabel = "keycustody-dev",
            UserPin = Pkcs11PinSources.FromValue(pin),
            PoolSize = 16,
        });
        await store.ConnectAsync(cancellationToken);
        KeyName key = KeyName.Parse("dev-low");
        async Task<int> Loop(int worker, long end)
        {
            int count = 0;
            while (Stopwatch.GetTimestamp() < end)
            {
                byte[] digest = SHA256.HashData(Encoding.UTF8.GetBytes($"raw {worker} {count}"));
                await store.SignAsync(key, new SignInput(digest, DigestAlgorithm.Sha256, SignatureScheme.EcdsaDer), cancellationToken);
                count++;
            }

            return count;
        }

        long warm = Stopwatch.GetTimestamp() + (long)(s_warmup.TotalSeconds * Stopwatch.Frequency);
        await Task.WhenAll(Enumerable.Range(0, 16).Select(i => Task.Run(() => Loop(i, warm), cancellationToken)));
        long start = Stopwatch.GetTimestamp();
        long end = start + (long)(s_measure.TotalSeconds * Stopwatch.Frequency);
        int[] counts = await Task.WhenAll(Enumerable.Range(0, 16).Select(i => Task.Run(() => Loop(i, end), cancellationToken)));
        return counts.Sum() / Stopwatch.GetElapsedTime(start).TotalSeconds;
    }

    private static async Task<Process> StartDaemonAsync(string state, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(RequiredTool.Find("dotnet"))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "keycustodyd.dll"));
        start.ArgumentList.Add("dev");
        start.ArgumentList.Add("--state");
        start.ArgumentList.Add(state);
        var process = Process.Start(start) ?? throw new InvalidOperationException("Could not start keycustodyd.");
        var ready = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data?.StartsWith("keycustody dev appliance: ", StringComparison.Ordinal) == true)
            {
                ready.TrySetResult(e.Data);
            }
        };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        string status = await ready.Task.WaitAsync(TimeSpan.FromMinutes(3), cancellationToken);
        if (!status.EndsWith("SERVING", StringComparison.Ordinal) || status.Contains("NOT_SERVING", StringComparison.Ordinal))
        {
            await StopDaemonAsync(process);
            throw new InvalidOperationException($"The dev appliance did not start serving: {status}");
        }

        return process;
    }

    private static async Task StopDaemonAsync(Process daemon)
    {
        if (!daemon.HasExited)
        {
            await ProcessRunner.RunAsync("kill", "-TERM", daemon.Id.ToString(CultureInfo.InvariantCulture));
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            try
            {
                await daemon.WaitForExitAsync(cts.Token);
            }
            catch (OperationCanceledException)
            {
                daemon.Kill(entireProcessTree: true);
            }
        }
    }

    private static GrpcChannel Channel(string state)
    {
        using JsonDocument cli = JsonDocument.Parse(File.ReadAllText(Path.Combine(state, "cli.json")));
        X509Certificate2Collection ca = [];
        ca.ImportFromPemFile(Path.Combine(state, "tls", "ca.pem"));
        return GrpcChannel.ForAddress(cli.RootElement.GetProperty("address").GetString()!, new GrpcChannelOptions
        {
            TrustedCertificateAuthorities = [.. ca],
            ClientCertificate = X509Certificate2.CreateFromPemFile(Path.Combine(state, "tls", "ci-client.pem"), Path.Combine(state, "tls", "ci-client.key")),
        });
    }

    private static async Task<double> SampleRssAsync(Process daemon, CancellationToken stop)
    {
        double peak = 0;
        while (!stop.IsCancellationRequested)
        {
            peak = Math.Max(peak, ReadRssMegabytes(daemon));
            try
            {
                await Task.Delay(200, stop);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }

        return Math.Max(peak, ReadRssMegabytes(daemon));
    }

    private static double ReadRssMegabytes(Process daemon)
    {
        foreach (string line in File.ReadLines($"/proc/{daemon.Id}/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1024.0;
            }
        }

        throw new InvalidOperationException("VmRSS not found.");
    }

    private static double Percentile(double[] sorted, double q) =>
        sorted.Length == 0 ? double.NaN : sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(q * sorted.Length) - 1)];

    [DllImport("libc", EntryPoint = "setenv", CharSet = CharSet.Ansi, BestFitMapping = false, ThrowOnUnmappableChar = true)]
#pragma warning disable SYSLIB1054 // a plain DllImport keeps this file free of generated marshalling code
    private static extern int SetEnv(string name, string value, int overwrite);
#pragma warning restore SYSLIB1054
}
