// SPDX-License-Identifier: Apache-2.0
using KeyCustody.Testing;

namespace KeyCustody.Gpio.Tests;

/// <summary>A named pipe standing in for a device node: the driver opens it for reading, the test writes records.</summary>
internal sealed class Fifo : IDisposable
{
    private FileStream? _writer;

    private Fifo(string path) => Path = path;

    internal string Path { get; }

    /// <summary>Creates the FIFO with mkfifo(1).</summary>
    internal static async Task<Fifo> CreateAsync(string path)
    {
        (await ProcessRunner.RunAsync("mkfifo", "-m", "0600", path)).EnsureSuccess("mkfifo");
        return new Fifo(path);
    }

    /// <summary>Opens the write end; call after the driver opened the read end (otherwise open(2) waits for a reader).</summary>
    internal void OpenWriter() => _writer = new FileStream(Path, FileMode.Open, FileAccess.Write, FileShare.ReadWrite, bufferSize: 0);

    /// <summary>Writes bytes straight through to the pipe.</summary>
    internal void Write(ReadOnlySpan<byte> bytes)
    {
        if (_writer is null)
        {
            throw new InvalidOperationException("OpenWriter first.");
        }

        _writer.Write(bytes);
        _writer.Flush();
    }

    /// <summary>Closes the write end: the reader sees end of file.</summary>
    internal void CloseWriter()
    {
        _writer?.Dispose();
        _writer = null;
    }

    public void Dispose() => CloseWriter();
}
