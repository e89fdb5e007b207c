// SPDX-License-Identifier: Apache-2.0
namespace KeyCustody.Testing;

/// <summary>
/// A SoftHSM2 token of its own for one test class (use as <c>IClassFixture&lt;SoftHsmFixture&gt;</c>). In-process
/// code loads <see cref="ModulePath"/> (SOFTHSM2_CONF is already set for this process); child processes get
/// <see cref="Environment"/>. The token is deleted on dispose; the configuration directory when the process exits.
/// </summary>
/// <remarks>
/// SoftHSM fixes its slot list at C_Initialize, so in-process users see the tokens that existed when the module was
/// first initialised in this process: the shared pool (<see cref="SoftHsmEnvironment.DefaultPoolSize"/>, or
/// KEYCUSTODY_SOFTHSM_TOKENS) is made before that. Child processes always see every token.
/// </remarks>
public sealed class SoftHsmFixture : IDisposable
{
    private readonly SoftHsmToken _token;
    private int _disposed;

    /// <summary>Leases a fresh token.</summary>
    public SoftHsmFixture()
    {
        ModulePath = SoftHsmEnvironment.ModulePath;
        _token = SoftHsmEnvironment.Lease();
    }

    /// <summary>The SoftHSM2 module path.</summary>
    public string ModulePath { get; }

    /// <summary>The softhsm2.conf in use (also in this process's SOFTHSM2_CONF).</summary>
    public string ConfigPath => SoftHsmEnvironment.ConfigPath;

    /// <summary>This class's token label.</summary>
    public string TokenLabel => _token.Label;

    /// <summary>This class's token serial number.</summary>
    public string TokenSerial => _token.Serial;

    /// <summary>The token's user PIN.</summary>
    public string UserPin => _token.UserPin;

    /// <summary>The token's security officer PIN.</summary>
    public string SoPin => _token.SoPin;

    /// <summary>Environment a child process needs to see the token (SOFTHSM2_CONF).</summary>
    public IReadOnlyDictionary<string, string> Environment => SoftHsmEnvironment.ChildEnvironment;

    /// <summary>
    /// Runs <c>pkcs11-tool --module M --token-label L [--login --pin P] ARGS</c> against this token and fails on a
    /// non-zero exit.
    /// </summary>
    public async Task<ProcessResult> RunPkcs11ToolAsync(bool login, params string[] arguments)
    {
        var all = new List<string> { "--module", ModulePath, "--token-label", TokenLabel };
        if (login)
        {
            all.AddRange(["--login", "--pin", UserPin]);
        }

        all.AddRange(arguments);
        ProcessResult result = await ProcessRunner.RunAsync("pkcs11-tool", all, Environment);
        // Report the arguments without the PIN.
        return result.EnsureSuccess("pkcs11-tool " + string.Join(' ', arguments));
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        // Best effort: the whole directory goes at process exit anyway.
        _ = SoftHsmEnvironment.RunUtil("--delete-token", "--token", _token.Label);
    }

    /// <inheritdoc />
    public override string ToString() => _token.ToString();
}
