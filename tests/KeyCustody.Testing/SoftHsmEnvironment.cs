// SPDX-License-Identifier: Apache-2.0
using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace KeyCustody.Testing;

/// <summary>
/// One SoftHSM2 configuration per test process. SoftHSM reads <c>SOFTHSM2_CONF</c> at C_Initialize and builds its
/// slot list then; a module is initialised once per process, so every test class in the process shares this one
/// configuration and token directory, and each class leases its own token (see <see cref="SoftHsmFixture"/>).
/// Because tokens made after the in-process C_Initialize stay invisible to that process, a pool of tokens is
/// created up front, before any test can load the module. The directory is removed when the process exits.
/// </summary>
public static class SoftHsmEnvironment
{
    /// <summary>Where Debian's softhsm2 package installs the module.</summary>
    public const string DefaultModulePath = "/usr/lib/softhsm/libsofthsm2.so";

    /// <summary>How many tokens are made before the first lease (override with KEYCUSTODY_SOFTHSM_TOKENS).</summary>
    public const int DefaultPoolSize = 16;

    private static readonly Lock s_lock = new();
    private static readonly Queue<SoftHsmToken> s_pool = new();
    private static TempDirectory? s_directory;
    private static int s_created;

    /// <summary>The module every fixture uses (fails the test with an install hint when SoftHSM2 is missing).</summary>
    public static string ModulePath => RequiredTool.FindFile(DefaultModulePath);

    /// <summary>The process-wide softhsm2.conf (created on first use).</summary>
    public static string ConfigPath
    {
        get
        {
            EnsureCreated();
            return s_directory!.File("softhsm2.conf");
        }
    }

    /// <summary>Environment for child processes (the daemon, pkcs11-tool, softhsm2-util): <c>SOFTHSM2_CONF</c>.</summary>
    public static IReadOnlyDictionary<string, string> ChildEnvironment => new Dictionary<string, string> { ["SOFTHSM2_CONF"] = ConfigPath };

    /// <summary>Takes an unused token from the pool, or makes a new one when the pool is empty.</summary>
    internal static SoftHsmToken Lease()
    {
        lock (s_lock)
        {
            EnsureCreated();
            return s_pool.Count > 0 ? s_pool.Dequeue() : CreateToken();
        }
    }

    private static void EnsureCreated()
    {
        lock (s_lock)
        {
            if (s_directory is not null)
            {
                return;
            }

            var directory = new TempDirectory("keycustody-softhsm");
            string tokens = Directory.CreateDirectory(directory.File("tokens")).FullName;
            File.WriteAllText(directory.File("softhsm2.conf"),
                $"directories.tokendir = {tokens}\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n");

            // Both copies of the environment: the managed one (inherited by Process.Start) and libc's, which the
            // module reads with getenv() during C_Initialize — .NET does not forward SetEnvironmentVariable to it.
            string config = directory.File("softhsm2.conf");
            Environment.SetEnvironmentVariable("SOFTHSM2_CONF", config);
            if (SetEnv("SOFTHSM2_CONF", config, 1) != 0)
            {
                throw new InvalidOperationException($"setenv(SOFTHSM2_CONF) failed: errno {Marshal.GetLastPInvokeError()}");
            }

            s_directory = directory;
            AppDomain.CurrentDomain.ProcessExit += (_, _) => directory.Dispose();

            int count = int.TryParse(Environment.GetEnvironmentVariable("KEYCUSTODY_SOFTHSM_TOKENS"), out int n) && n > 0 ? n : DefaultPoolSize;
            for (int i = 0; i < count; i++)
            {
                s_pool.Enqueue(CreateToken());
            }
        }
    }

    private static SoftHsmToken CreateToken()
    {
        int number = Interlocked.Increment(ref s_created);
        // Fixed-width number first: pkcs11-tool --token-label matches by prefix, so no label may prefix another.
        string label = $"kc-test-{number:D3}-{Environment.ProcessId}";
        string userPin = "u" + Convert.ToHexString(RandomNumberGenerator.GetBytes(8)).ToLowerInvariant();
        string soPin = "s" + Convert.ToHexString(RandomNumberGenerator.GetBytes(8)).ToLowerInvariant();
        ProcessResult result = RunUtil("--init-token", "--free", "--label", label, "--pin", userPin, "--so-pin", soPin);
        result.EnsureSuccess($"softhsm2-util --init-token --label {label}");

        string serial = ReadSerial(label);
        return new SoftHsmToken(label, serial, userPin, soPin);
    }

    private static string ReadSerial(string label)
    {
        // "--show-slots" prints blocks of "Serial number: X" ... "Label: Y"; take the serial of our label's block.
        string output = RunUtil("--show-slots").EnsureSuccess("softhsm2-util --show-slots").StandardOutput;
        string? serial = null;
        foreach (string raw in output.Split('\n'))
        {
            string line = raw.Trim();
            if (line.StartsWith("Serial number:", StringComparison.Ordinal))
            {
                serial = line["Serial number:".Length..].Trim();
            }
            else if (line.StartsWith("Label:", StringComparison.Ordinal) && line["Label:".Length..].Trim() == label)
            {
                return serial ?? throw new InvalidOperationException($"softhsm2-util printed no serial for token {label}.");
            }
        }

        throw new InvalidOperationException($"Token {label} is missing from softhsm2-util --show-slots:\n{output}");
    }

    /// <summary>Runs softhsm2-util against this environment's configuration.</summary>
    internal static ProcessResult RunUtil(params string[] arguments) =>
        ProcessRunner.RunAsync("softhsm2-util", arguments, ChildEnvironmentUnchecked()).GetAwaiter().GetResult();

    private static Dictionary<string, string> ChildEnvironmentUnchecked() =>
        new() { ["SOFTHSM2_CONF"] = s_directory!.File("softhsm2.conf") };

    [DllImport("libc", EntryPoint = "setenv", SetLastError = true)]
    private static extern int SetEnv([MarshalAs(UnmanagedType.LPUTF8Str)] string name, [MarshalAs(UnmanagedType.LPUTF8Str)] string value, int overwrite);
}

/// <summary>A token in the shared SoftHSM2 configuration and its PINs.</summary>
/// <param name="Label">The token label.</param>
/// <param name="Serial">The serial number SoftHSM assigned.</param>
/// <param name="UserPin">The user PIN.</param>
/// <param name="SoPin">The security officer PIN.</param>
public sealed record SoftHsmToken(string Label, string Serial, string UserPin, string SoPin)
{
    /// <summary>Never prints the PINs.</summary>
    public override string ToString() => $"SoftHSM token {Label} (serial {Serial})";
}
