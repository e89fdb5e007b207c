// SPDX-License-Identifier: Apache-2.0
using System.Diagnostics;
using System.Text;
using KeyCustody.Core;

namespace KeyCustody.Cli.Ssh;

/// <summary>
/// Signs approval statements with the officer's own OpenSSH tooling: <c>ssh-keygen -Y sign -n NAMESPACE -f KEY FILE</c>
/// (OpenSSH PROTOCOL.sshsig). The private key never passes through this process; ssh-keygen reads it (or asks
/// ssh-agent, or the FIDO token for an <c>sk-</c> key) and asks for a passphrase or a touch on the terminal.
/// </summary>
public static class SshKeygen
{
    /// <summary>The armor line every SSHSIG signature starts with.</summary>
    public const string ArmorBegin = "-----BEGIN SSH SIGNATURE-----";

    /// <summary>
    /// Writes <paramref name="statement"/> to a private temporary file, signs it with <paramref name="keyPath"/> in
    /// <paramref name="namespace"/>, and returns the armored signature. ssh-keygen's prompts (passphrase, "confirm
    /// user presence") go to <paramref name="prompts"/>.
    /// </summary>
    /// <exception cref="CustodyException">InvalidArgument when the key is missing; Unauthenticated when ssh-keygen fails to sign.</exception>
    public static async Task<string> SignAsync(
        string keyPath, string @namespace, ReadOnlyMemory<byte> statement, TextWriter prompts, CancellationToken cancellationToken)
    {
        if (!File.Exists(keyPath))
        {
            throw new CustodyException(CustodyStatus.InvalidArgument, $"SSH key '{keyPath}' does not exist");
        }

        if (string.IsNullOrEmpty(@namespace) || @namespace.Any(c => c is < '!' or > '~'))
        {
            // ssh-keygen takes the namespace as an argument; refuse anything that is not one printable word.
            throw new CustodyException(CustodyStatus.InvalidArgument, $"'{@namespace}' is not a valid SSHSIG namespace");
        }

        string directory = Directory.CreateTempSubdirectory("keycustody-sign-").FullName;
        try
        {
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            }

            string file = Path.Combine(directory, "statement");
            await File.WriteAllBytesAsync(file, statement.ToArray(), cancellationToken);
            string tool = Find();
            var start = new ProcessStartInfo(tool)
            {
                UseShellExecute = false,
                RedirectStandardError = true,
                RedirectStandardOutput = true,
            };
            foreach (string argument in (string[])["-Y", "sign", "-n", @namespace, "-f", keyPath, file])
            {
                start.ArgumentList.Add(argument);
            }

            using var process = Process.Start(start)
                ?? throw new CustodyException(CustodyStatus.Internal, $"could not start {tool}");
            var errors = new StringBuilder();
            Task pump = PumpAsync(process.StandardError, prompts, errors);
            Task drain = process.StandardOutput.ReadToEndAsync(cancellationToken);
            try
            {
                await process.WaitForExitAsync(cancellationToken);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                throw;
            }

            await Task.WhenAll(pump, drain);
            if (process.ExitCode != 0 || !File.Exists(file + ".sig"))
            {
                string why = errors.ToString().Trim();
                throw new CustodyException(CustodyStatus.Unauthenticated,
                    $"ssh-keygen could not sign with '{keyPath}' (exit {process.ExitCode}){(why.Length > 0 ? ": " + why : string.Empty)}");
            }

            return await File.ReadAllTextAsync(file + ".sig", cancellationToken);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    /// <summary>The ssh-keygen to run: <c>KEYCUSTODY_SSH_KEYGEN</c> if set, else the first on PATH.</summary>
    /// <exception cref="CustodyException">Unsupported when ssh-keygen is not installed.</exception>
    public static string Find()
    {
        if (Environment.GetEnvironmentVariable("KEYCUSTODY_SSH_KEYGEN") is { Length: > 0 } configured)
        {
            return configured;
        }

        foreach (string dir in (Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin").Split(Path.PathSeparator))
        {
            string candidate = Path.Combine(dir.Length == 0 ? "." : dir, "ssh-keygen");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new CustodyException(CustodyStatus.Unsupported,
            "ssh-keygen was not found on PATH: install openssh-client, or sign by hand and pass --signature/--statement");
    }

    /// <summary>Whether <paramref name="text"/> looks like an armored SSHSIG.</summary>
    public static bool IsArmoredSignature(string text) => text.TrimStart().StartsWith(ArmorBegin, StringComparison.Ordinal);

    // A FIDO (sk-) key waits for a touch while its "Confirm user presence" prompt is shown, so prompts are passed
    // through as they come. Everything else (progress lines, errors) is kept for the one-line error message.
    private static async Task PumpAsync(StreamReader reader, TextWriter prompts, StringBuilder errors)
    {
        while (await reader.ReadLineAsync() is { } line)
        {
            if (line.StartsWith("Signing file ", StringComparison.Ordinal) || line.StartsWith("Write signature to ", StringComparison.Ordinal))
            {
                continue;
            }

            if (line.StartsWith("Confirm ", StringComparison.Ordinal) || line.StartsWith("Enter ", StringComparison.Ordinal))
            {
                await prompts.WriteLineAsync(line);
                continue;
            }

            errors.Append(errors.Length > 0 ? "; " : string.Empty).Append(line.Trim());
        }
    }
}
