// SPDX-License-Identifier: Apache-2.0
using System.Net.Sockets;
using KeyCustody.Gpio.Interop;
using KeyCustody.Testing;

namespace KeyCustody.Gpio.Tests;

/// <summary>stat(1) as the independent judge of what a path is.</summary>
internal static class StatSays
{
    internal static async Task<bool> IsSocketAsync(string path) =>
        (await ProcessRunner.RunAsync("stat", "-c", "%F", path)).EnsureSuccess("stat").StandardOutput.Trim() == "socket";
}

public sealed class FileTypeTests : IDisposable
{
    private readonly TempDirectory _dir = new("keycustody-filetype");

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task IsSocket_BoundUnixSocket_True()
    {
        // Arrange
        string path = _dir.File("s.sock");
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        socket.Bind(new UnixDomainSocketEndPoint(path));

        // Act
        bool isSocket = FileType.IsSocket(path);

        // Assert
        Assert.True(isSocket);
        Assert.True(await StatSays.IsSocketAsync(path));
    }

    [Fact]
    public async Task IsSocket_OtherKindsOfFile_False()
    {
        // Arrange
        string file = _dir.File("file");
        File.WriteAllText(file, "x");
        string directory = _dir.File("dir");
        Directory.CreateDirectory(directory);
        using Fifo fifo = await Fifo.CreateAsync(_dir.File("fifo"));
        string link = _dir.File("link");
        File.CreateSymbolicLink(link, file);

        // Act
        bool[] results = [FileType.IsSocket(file), FileType.IsSocket(directory), FileType.IsSocket(fifo.Path), FileType.IsSocket(link), FileType.IsSocket(_dir.File("missing"))];

        // Assert
        Assert.All(results, Assert.False);
    }
}
