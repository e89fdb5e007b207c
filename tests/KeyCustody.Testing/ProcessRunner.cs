// SPDX-License-Identifier: Apache-2.0
using System.Diagnostics;

namespace KeyCustody.Testing;

/// <summary>The outcome of running an external program to completion.</summary>
public sealed record ProcessResult(int ExitCode, string StandardOutput, string StandardError)
{
    /// <summary>Throws with both streams when the program failed.</summary>
    public ProcessResult EnsureSuccess(string what)
    {
        if (ExitCode != 0)
        {
            throw new InvalidOperationException($"{what} exited with {ExitCode}.\nstdout: {StandardOutput}\nstderr: {StandardError}");
        }

        return this;
    }
}

/// <summary>Runs external tools (openssl, ssh-keygen, softhsm2-util, python3, node) for tests.</summary>
public static class ProcessRunner
{
    /// <summary>Runs <paramref name="tool"/> (found with <see cref="RequiredTool"/>) and waits for it.</summary>
    public static async Task<ProcessResult> RunAsync(
        string tool,
        IEnumerable<string> arguments,
        IReadOnlyDictionary<string, string>? environment = null,
        string? standardInput = null,
        string? workingDirectory = null,
        TimeSpan? timeout = null)
    {
        var start = new ProcessStartInfo(RequiredTool.Find(tool))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = standardInput is not null,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
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

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {tool}.");
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        if (standardInput is not null)
        {
            await process.StandardInput.WriteAsync(standardInput);
            process.StandardInput.Close();
        }

        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromMinutes(2));
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{tool} {string.Join(' ', start.ArgumentList)} did not finish in time.");
        }

        return new ProcessResult(process.ExitCode, await stdout, await stderr);
    }

    /// <summary>Convenience overload with params arguments.</summary>
    public static Task<ProcessResult> RunAsync(string tool, params string[] arguments) =>
        RunAsync(tool, (IEnumerable<string>)arguments);
}
