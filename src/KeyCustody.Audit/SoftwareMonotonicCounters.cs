// SPDX-License-Identifier: Apache-2.0
using System.Globalization;
using KeyCustody.Core;
using KeyCustody.Core.Ports;

namespace KeyCustody.Audit;

/// <summary>A monotonic counter in memory, for unit tests. It forgets everything with the process.</summary>
public sealed class InMemoryMonotonicCounter : IMonotonicCounter
{
    private long _value;

    /// <summary>Creates a counter starting at <paramref name="initial"/>.</summary>
    public InMemoryMonotonicCounter(ulong initial = 0) => _value = checked((long)initial);

    /// <inheritdoc />
    public ValueTask<ulong> ReadAsync(CancellationToken cancellationToken = default) =>
        ValueTask.FromResult((ulong)Interlocked.Read(ref _value));

    /// <inheritdoc />
    public ValueTask<ulong> IncrementAsync(CancellationToken cancellationToken = default) =>
        ValueTask.FromResult((ulong)Interlocked.Increment(ref _value));
}

/// <summary>
/// A monotonic counter kept in a small file, for development appliances and crash tests. Each increment writes a
/// new file, flushes it to disk and renames it over the old one, so a killed process leaves either the old or the
/// new value. It is not a hardware anchor: anyone who can write the file can roll it back, which is exactly what
/// the TPM NV counter prevents in production.
/// </summary>
public sealed class FileMonotonicCounter : IMonotonicCounter
{
    private readonly string _path;
    private readonly SemaphoreSlim _lock = new(1, 1);

    /// <summary>Uses the counter stored at <paramref name="path"/> (a missing file reads as 0).</summary>
    public FileMonotonicCounter(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        _path = path;
    }

    /// <inheritdoc />
    public async ValueTask<ulong> ReadAsync(CancellationToken cancellationToken = default)
    {
        await _lock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return Read();
        }
        finally
        {
            _lock.Release();
        }
    }

    /// <inheritdoc />
    public async ValueTask<ulong> IncrementAsync(CancellationToken cancellationToken = default)
    {
        await _lock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ulong next = checked(Read() + 1);
            string temporary = _path + ".tmp";
            using (var stream = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None))
            {
                byte[] text = System.Text.Encoding.ASCII.GetBytes(next.ToString(CultureInfo.InvariantCulture) + "\n");
                stream.Write(text);
                stream.Flush(flushToDisk: true);
            }

            File.Move(temporary, _path, overwrite: true);
            return next;
        }
        catch (IOException ex)
        {
            throw new CustodyException(CustodyStatus.TpmUnavailable, $"The counter file could not be updated: {ex.Message}", ex);
        }
        finally
        {
            _lock.Release();
        }
    }

    private ulong Read()
    {
        if (!File.Exists(_path))
        {
            return 0;
        }

        string text = File.ReadAllText(_path).Trim();
        return ulong.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out ulong value)
            ? value
            : throw new CustodyException(CustodyStatus.AuditCorrupt, $"The counter file '{_path}' does not hold a number.");
    }
}
