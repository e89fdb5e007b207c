// SPDX-License-Identifier: Apache-2.0
using KeyCustody.Testing;
using Xunit;

namespace KeyCustody.Governance.Tests;

/// <summary>
/// Real OpenSSH keys and signatures for a test class: keys are made with <c>ssh-keygen -t … -N ''</c> in a private
/// temporary directory, signatures with <c>ssh-keygen -Y sign -n NS -f KEY FILE</c>.
/// </summary>
public sealed class SshKeygen : IAsyncLifetime
{
    private readonly TempDirectory _dir = new("keycustody-governance");
    private readonly Dictionary<string, SshPublicKey> _keys = new(StringComparer.Ordinal);
    private int _counter;

    /// <summary>Key names generated up front: alice/bob/carol/dave (ed25519), erin/frank (ecdsa P-256).</summary>
    public static readonly (string Name, string Type)[] Defaults =
        [("alice", "ed25519"), ("bob", "ed25519"), ("carol", "ed25519"), ("dave", "ed25519"), ("erin", "ecdsa"), ("frank", "ecdsa")];

    public async Task InitializeAsync()
    {
        RequiredTool.Find("ssh-keygen");
        foreach ((string name, string type) in Defaults)
        {
            await GenerateAsync(name, type);
        }
    }

    public Task DisposeAsync()
    {
        _dir.Dispose();
        return Task.CompletedTask;
    }

    public string Directory => _dir.Path;

    public SshPublicKey this[string name] => _keys[name];

    public string PublicKeyPath(string name) => _dir.File(name + ".pub");

    public async Task<SshPublicKey> GenerateAsync(string name, string type)
    {
        List<string> args = type == "ecdsa" ? ["-q", "-t", "ecdsa", "-b", "256"] : ["-q", "-t", type];
        args.AddRange(["-N", "", "-C", name + "@test", "-f", _dir.File(name)]);

        (await ProcessRunner.RunAsync("ssh-keygen", args)).EnsureSuccess("ssh-keygen -t " + type);
        SshPublicKey key = SshPublicKey.Parse(await File.ReadAllTextAsync(PublicKeyPath(name)));
        _keys[name] = key;
        return key;
    }

    /// <summary>Signs <paramref name="message"/> with <c>ssh-keygen -Y sign</c>; returns the armored signature.</summary>
    public async Task<string> SignAsync(string name, byte[] message, string ns, string? hashAlgorithm = null)
    {
        string file = _dir.File($"msg-{Interlocked.Increment(ref _counter)}");
        await File.WriteAllBytesAsync(file, message);
        List<string> args = ["-Y", "sign", "-n", ns, "-f", _dir.File(name)];
        if (hashAlgorithm is not null)
        {
            args.AddRange(["-O", "hashalg=" + hashAlgorithm]);
        }

        args.Add(file);
        (await ProcessRunner.RunAsync("ssh-keygen", args)).EnsureSuccess("ssh-keygen -Y sign");
        return await File.ReadAllTextAsync(file + ".sig");
    }

    /// <summary>Asks OpenSSH itself whether a signature verifies (<c>ssh-keygen -Y check-novalidate</c>).</summary>
    public async Task<ProcessResult> CheckWithOpenSshAsync(byte[] message, string armored, string ns)
    {
        string sig = _dir.File($"check-{Interlocked.Increment(ref _counter)}.sig");
        await File.WriteAllTextAsync(sig, armored);
        return await ProcessRunner.RunAsync("ssh-keygen", ["-Y", "check-novalidate", "-n", ns, "-s", sig],
            standardInput: System.Text.Encoding.UTF8.GetString(message));
    }
}
