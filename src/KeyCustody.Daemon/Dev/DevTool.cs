// SPDX-License-Identifier: Apache-2.0
using System.Diagnostics;
using KeyCustody.Core;

namespace KeyCustody.Daemon.Dev;

/// <summary>Runs the Debian tools the development appliance drives (softhsm2-util, ssh-keygen, swtpm_ioctl).</summary>
internal static class DevTool
{
    /// <summary>Runs <paramref name="tool"/> to completion; throws NotProvisioned with its stderr when it fails or is missing.</summary>
    /// <param name="tool">Program name, looked up on PATH.</param>
    /// <param name="arguments">Arguments, passed without a shell.</param>
    /// <param name="environment">Extra environment variables.</param>
    /// <param name="redact">Arguments to replace with "***" in error messages (PINs).</param>
    /// <param name="cancellationToken">Cancels the wait and kills the tool.</param>
    public static async Task<string> RunAsync(
        string tool,
        IEnumerable<string> arguments,
        IReadOnlyDictionary<string, string>? environment = null,
        IReadOnlyCollection<string>? redact = null,
        CancellationToken cancellationToken = default)
    {
        var start = new ProcessStartInfo(Find(tool))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        if (environment is not null)
        {
            foreach ((string key, string value) in environment)
            {
                start.Environment[key] = value;
            }
        }

        using var process = Process.Start(start)
            ?? throw new CustodyException(CustodyStatus.NotProvisioned, $"Could not start {tool}.");
        process.StandardInput.Close();
        Task<string> stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        Task<string> stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        try
        {
            await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        string output = await stdout.ConfigureAwait(false);
        string error = await stderr.ConfigureAwait(false);
        if (process.ExitCode != 0)
        {
            string shown = string.Join(' ', start.ArgumentList.Select(a => redact?.Contains(a) == true ? "***" : a));
            throw new CustodyException(CustodyStatus.NotProvisioned,
                $"{tool} {shown} exited with {process.ExitCode}: {Redact(error.Trim(), redact)}");
        }

        return output;
    }

    /// <summary>The absolute path of <paramref name="tool"/> on PATH, or NotProvisioned with the install hint.</summary>
    public static string Find(string tool)
    {
        if (Path.IsPathRooted(tool))
        {
            return File.Exists(tool) ? tool : throw Missing(tool);
        }

        foreach (string dir in (Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin").Split(':'))
        {
            string candidate = Path.Combine(dir.Length == 0 ? "." : dir, tool);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw Missing(tool);
    }

    private static CustodyException Missing(string tool) =>
        new(CustodyStatus.NotProvisioned, $"'{tool}' was not found; run './build.sh setup' to install the development appliance's tools.");

    private static string Redact(string text, IReadOnlyCollection<string>? redact)
    {
        if (redact is null)
        {
            return text;
        }

        foreach (string secret in redact.Where(s => s.Length > 0))
        {
            text = text.Replace(secret, "***", StringComparison.Ordinal);
        }

        return text;
    }
}
