// SPDX-License-Identifier: Apache-2.0
using System.Text;
using KeyCustody.Core;

namespace KeyCustody.Pkcs11;

/// <summary>
/// Small PIN sources for development and tests. Production reads the PIN from the TPM sealer
/// (KeyCustody.Tpm) instead. Every source returns a fresh array the caller may zero.
/// </summary>
public static class Pkcs11PinSources
{
    /// <summary>
    /// Reads the PIN from a file (one trailing newline is ignored). The file should be readable by the daemon
    /// only; a missing file is <see cref="CustodyStatus.NotProvisioned"/>.
    /// </summary>
    public static Func<CancellationToken, ValueTask<byte[]>> FromFile(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        return async cancellationToken =>
        {
            byte[] bytes;
            try
            {
                bytes = await File.ReadAllBytesAsync(path, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException or UnauthorizedAccessException)
            {
                throw new CustodyException(CustodyStatus.NotProvisioned,
                    $"The HSM PIN file '{path}' cannot be read ({ex.GetType().Name}); create it or fix its permissions.", ex);
            }

            int length = bytes.Length;
            if (length > 0 && bytes[length - 1] == (byte)'\n')
            {
                length--;
            }

            if (length > 0 && bytes[length - 1] == (byte)'\r')
            {
                length--;
            }

            byte[] pin = bytes.AsSpan(0, length).ToArray();
            System.Security.Cryptography.CryptographicOperations.ZeroMemory(bytes);
            return pin;
        };
    }

    /// <summary>Reads the PIN from an environment variable (UTF-8); an unset variable is <see cref="CustodyStatus.NotProvisioned"/>.</summary>
    public static Func<CancellationToken, ValueTask<byte[]>> FromEnvironment(string variable)
    {
        ArgumentException.ThrowIfNullOrEmpty(variable);
        return _ =>
        {
            string? value = Environment.GetEnvironmentVariable(variable);
            return value is { Length: > 0 }
                ? ValueTask.FromResult(Encoding.UTF8.GetBytes(value))
                : ValueTask.FromException<byte[]>(new CustodyException(CustodyStatus.NotProvisioned,
                    $"The environment variable {variable} that should hold the HSM PIN is not set."));
        };
    }

    /// <summary>Returns a copy of <paramref name="pin"/> each time (tests and one-shot tools).</summary>
    public static Func<CancellationToken, ValueTask<byte[]>> FromValue(string pin)
    {
        ArgumentException.ThrowIfNullOrEmpty(pin);
        byte[] bytes = Encoding.UTF8.GetBytes(pin);
        return _ => ValueTask.FromResult((byte[])bytes.Clone());
    }
}
