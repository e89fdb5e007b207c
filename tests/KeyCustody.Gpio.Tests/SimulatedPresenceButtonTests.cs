// SPDX-License-Identifier: Apache-2.0
using System.Net.Sockets;
using System.Text;
using KeyCustody.Core;
using KeyCustody.Core.Ports;
using KeyCustody.Testing;

namespace KeyCustody.Gpio.Tests;

public sealed class SimulatedPresenceButtonTests : IDisposable
{
    private readonly TempDirectory _dir = new("keycustody-sim");

    public void Dispose() => _dir.Dispose();

    private string SocketPath => _dir.File("button.sock");

    /// <summary>Binds a socket in another process that then exits (.NET itself unlinks its sockets on dispose).</summary>
    private static async Task LeaveStaleSocketAsync(string path) =>
        (await ProcessRunner.RunAsync("/usr/bin/python3", "-c", "import socket,sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])", path))
            .EnsureSuccess("python3 bind");

    /// <summary>Sends raw lines over a fresh connection and returns everything the server answered until it closed or went quiet.</summary>
    private static async Task<string> ExchangeAsync(string socketPath, string request, int expectedLines)
    {
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        using CancellationTokenSource cts = Deadline.Start();
        await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath), cts.Token);
        await socket.SendAsync(Encoding.ASCII.GetBytes(request), SocketFlags.None, cts.Token);
        var answer = new StringBuilder();
        var buffer = new byte[256];
        while (answer.ToString().Count(c => c == '\n') < expectedLines)
        {
            int read = await socket.ReceiveAsync(buffer, SocketFlags.None, cts.Token);
            if (read == 0)
            {
                break;
            }

            answer.Append(Encoding.ASCII.GetString(buffer, 0, read));
        }

        return answer.ToString();
    }

    [Fact]
    public async Task Start_Always_CreatesSocketReadableAndWritableByOwnerOnly()
    {
        // Arrange / Act
        await using SimulatedPresenceButton button = SimulatedPresenceButton.Start(SocketPath);

        // Assert
        Assert.True(await StatSays.IsSocketAsync(SocketPath));
        Assert.Equal("600", (await ProcessRunner.RunAsync("stat", "-c", "%a", SocketPath)).StandardOutput.Trim());
        Assert.Empty(Directory.GetFiles(_dir.Path, ".kcb-*"));
    }

    [Fact]
    public async Task DisposeAsync_Always_RemovesSocket()
    {
        // Arrange
        SimulatedPresenceButton button = SimulatedPresenceButton.Start(SocketPath);

        // Act
        await button.DisposeAsync();

        // Assert
        Assert.False(File.Exists(SocketPath));
    }

    [Fact]
    public async Task Start_StaleSocketFromEndedProcess_ReplacesIt()
    {
        // Arrange: a process that bound the socket and ended leaves its file behind.
        await LeaveStaleSocketAsync(SocketPath);
        Assert.True(await StatSays.IsSocketAsync(SocketPath));

        // Act
        await using SimulatedPresenceButton button = SimulatedPresenceButton.Start(SocketPath);
        await SimulatedButtonClient.PressAsync(SocketPath, TimeSpan.FromMilliseconds(120));

        // Assert
        using CancellationTokenSource cts = Deadline.Start();
        await using IAsyncEnumerator<ButtonPress> presses = button.ReadPressesAsync(cts.Token).GetAsyncEnumerator(cts.Token);
        Assert.Equal(TimeSpan.FromMilliseconds(120), (await Deadline.NextAsync(presses)).Duration);
    }

    [Fact]
    public async Task Start_AnotherInstanceServes_AlreadyExists()
    {
        // Arrange
        await using SimulatedPresenceButton first = SimulatedPresenceButton.Start(SocketPath);

        // Act
        var ex = Assert.Throws<CustodyException>(() => SimulatedPresenceButton.Start(SocketPath));

        // Assert
        Assert.Equal(CustodyStatus.AlreadyExists, ex.Status);
        Assert.True(await StatSays.IsSocketAsync(SocketPath));
    }

    [Fact]
    public void Start_PathIsARegularFile_InvalidArgumentAndFileKept()
    {
        // Arrange
        File.WriteAllText(SocketPath, "precious");

        // Act
        var ex = Assert.Throws<CustodyException>(() => SimulatedPresenceButton.Start(SocketPath));

        // Assert
        Assert.Equal(CustodyStatus.InvalidArgument, ex.Status);
        Assert.Equal("precious", File.ReadAllText(SocketPath));
    }

    [Fact]
    public void Start_PathTooLong_InvalidArgument()
    {
        // Arrange
        string path = _dir.File(new string('b', 120) + ".sock");

        // Act
        var ex = Assert.Throws<CustodyException>(() => SimulatedPresenceButton.Start(path));

        // Assert
        Assert.Equal(CustodyStatus.InvalidArgument, ex.Status);
        Assert.Contains("107 bytes", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Start_DirectoryMissing_NotProvisioned()
    {
        // Arrange
        string path = _dir.File(Path.Combine("missing", "button.sock"));

        // Act
        var ex = Assert.Throws<CustodyException>(() => SimulatedPresenceButton.Start(path));

        // Assert
        Assert.Equal(CustodyStatus.NotProvisioned, ex.Status);
    }

    [Theory]
    [InlineData("hello\n", "error unknown request")]
    [InlineData("press 0\n", "error the duration must be 1 to 60000 ms")]
    [InlineData("press 60001\n", "error the duration must be 1 to 60000 ms")]
    [InlineData("press -5\n", "error the duration must be a whole number")]
    [InlineData("press 1e3\n", "error the duration must be a whole number")]
    public async Task Serve_BadRequest_AnswersErrorAndQueuesNothing(string request, string expectedPrefix)
    {
        // Arrange
        await using SimulatedPresenceButton button = SimulatedPresenceButton.Start(SocketPath);

        // Act
        string answer = await ExchangeAsync(SocketPath, request + "press 77\n", expectedLines: 2);

        // Assert: the error does not end the connection; only the valid request became a press.
        string[] lines = answer.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith(expectedPrefix, lines[0], StringComparison.Ordinal);
        Assert.Equal("ok", lines[1]);
        using CancellationTokenSource cts = Deadline.Start();
        await using IAsyncEnumerator<ButtonPress> presses = button.ReadPressesAsync(cts.Token).GetAsyncEnumerator(cts.Token);
        Assert.Equal(TimeSpan.FromMilliseconds(77), (await Deadline.NextAsync(presses)).Duration);
    }

    [Fact]
    public async Task Serve_LineTooLong_AnswersErrorAndCloses()
    {
        // Arrange
        await using SimulatedPresenceButton button = SimulatedPresenceButton.Start(SocketPath);

        // Act
        string answer = await ExchangeAsync(SocketPath, new string('x', 500), expectedLines: 2);

        // Assert
        Assert.Equal("error request line too long\n", answer);
    }

    [Fact]
    public async Task Serve_CrLfLine_Accepted()
    {
        // Arrange
        await using SimulatedPresenceButton button = SimulatedPresenceButton.Start(SocketPath);

        // Act
        string answer = await ExchangeAsync(SocketPath, "press 40\r\n", expectedLines: 1);

        // Assert
        Assert.Equal("ok\n", answer);
    }

    [Fact]
    public async Task Press_InProcess_StampedWithTimeProvider()
    {
        // Arrange
        var now = new DateTimeOffset(2031, 5, 6, 7, 8, 9, TimeSpan.Zero);
        await using SimulatedPresenceButton button = SimulatedPresenceButton.Start(SocketPath, new FixedTimeProvider(now));
        using CancellationTokenSource cts = Deadline.Start();
        await using IAsyncEnumerator<ButtonPress> presses = button.ReadPressesAsync(cts.Token).GetAsyncEnumerator(cts.Token);

        // Act
        button.Press(SimulatedButtonClient.LongPress);
        ButtonPress press = await Deadline.NextAsync(presses);

        // Assert
        Assert.Equal(now, press.PressedAt);
        Assert.True(press.IsLong);
    }

    [Fact]
    public async Task ClientPress_BeforeAnyReader_QueuedAndDeliveredLater()
    {
        // Arrange
        await using SimulatedPresenceButton button = SimulatedPresenceButton.Start(SocketPath);
        await SimulatedButtonClient.PressAsync(SocketPath, SimulatedButtonClient.ShortPress);

        // Act
        using CancellationTokenSource cts = Deadline.Start();
        await using IAsyncEnumerator<ButtonPress> presses = button.ReadPressesAsync(cts.Token).GetAsyncEnumerator(cts.Token);
        ButtonPress press = await Deadline.NextAsync(presses);

        // Assert
        Assert.Equal(SimulatedButtonClient.ShortPress, press.Duration);
        Assert.False(press.IsLong);
    }

    [Fact]
    public async Task ClientPress_NoSocket_NotProvisionedPointingAtTheDevAppliance()
    {
        // Arrange / Act
        var ex = await Assert.ThrowsAsync<CustodyException>(() => SimulatedButtonClient.PressAsync(SocketPath, SimulatedButtonClient.ShortPress));

        // Assert
        Assert.Equal(CustodyStatus.NotProvisioned, ex.Status);
        Assert.Contains("./build.sh run", ex.Message, StringComparison.Ordinal);
        Assert.Contains(SocketPath, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ClientPress_StaleSocketNobodyListens_NotProvisioned()
    {
        // Arrange
        await LeaveStaleSocketAsync(SocketPath);

        // Act
        var ex = await Assert.ThrowsAsync<CustodyException>(() => SimulatedButtonClient.PressAsync(SocketPath, SimulatedButtonClient.ShortPress));

        // Assert
        Assert.Equal(CustodyStatus.NotProvisioned, ex.Status);
        Assert.Contains("ConnectionRefused", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(60_001)]
    public async Task ClientPress_DurationOutOfRange_InvalidArgumentWithoutConnecting(int milliseconds)
    {
        // Arrange: no server at all; the duration is refused first.
        TimeSpan duration = TimeSpan.FromMilliseconds(milliseconds);

        // Act
        var ex = await Assert.ThrowsAsync<CustodyException>(() => SimulatedButtonClient.PressAsync(SocketPath, duration));

        // Assert
        Assert.Equal(CustodyStatus.InvalidArgument, ex.Status);
        Assert.Contains("1 ms to 60 s", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ClientPress_ServerAnswersNonsense_DeviceFault()
    {
        // Arrange: something else listens at the path and answers garbage.
        using var impostor = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        impostor.Bind(new UnixDomainSocketEndPoint(SocketPath));
        impostor.Listen(1);
        Task serve = Task.Run(async () =>
        {
            using Socket connection = await impostor.AcceptAsync();
            await connection.SendAsync(Encoding.ASCII.GetBytes("HTTP/1.1 400 Bad Request\n"), SocketFlags.None);
        });

        // Act
        var ex = await Assert.ThrowsAsync<CustodyException>(() => SimulatedButtonClient.PressAsync(SocketPath, SimulatedButtonClient.ShortPress));
        await Deadline.FinishAsync(serve.ContinueWith(_ => true), "The impostor");

        // Assert
        Assert.Equal(CustodyStatus.DeviceFault, ex.Status);
    }

    [Fact]
    public void LongPress_Constant_IsPastTheThreshold()
    {
        // Arrange / Act
        TimeSpan longPress = SimulatedButtonClient.LongPress;

        // Assert
        Assert.True(new ButtonPress(DateTimeOffset.UnixEpoch, longPress).IsLong);
        Assert.False(new ButtonPress(DateTimeOffset.UnixEpoch, SimulatedButtonClient.ShortPress).IsLong);
    }

    private sealed class FixedTimeProvider(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}

public class SimulatedButtonProtocolTests
{
    [Theory]
    [InlineData(200, "press 200\n")]
    [InlineData(2500, "press 2500\n")]
    [InlineData(0.6, "press 1\n")]
    [InlineData(60000, "press 60000\n")]
    public void FormatPress_Duration_WholeMillisecondsLine(double milliseconds, string expected)
    {
        // Arrange / Act
        string line = SimulatedButtonProtocol.FormatPress(TimeSpan.FromMilliseconds(milliseconds));

        // Assert
        Assert.Equal(expected, line);
    }

    [Theory]
    [InlineData(0.4)]
    [InlineData(60_001)]
    [InlineData(-10)]
    public void FormatPress_OutOfRange_Throws(double milliseconds)
    {
        // Arrange
        TimeSpan duration = TimeSpan.FromMilliseconds(milliseconds);

        // Act
        Action format = () => SimulatedButtonProtocol.FormatPress(duration);

        // Assert
        Assert.Throws<ArgumentOutOfRangeException>(format);
    }

    [Theory]
    [InlineData("press 1", 1)]
    [InlineData("press 2500", 2500)]
    [InlineData("press 60000\r", 60000)]
    public void TryParseRequest_ValidLine_Duration(string line, int expectedMs)
    {
        // Arrange / Act
        bool ok = SimulatedButtonProtocol.TryParseRequest(line, out TimeSpan duration, out string error);

        // Assert
        Assert.True(ok, error);
        Assert.Equal(TimeSpan.FromMilliseconds(expectedMs), duration);
    }

    [Theory]
    [InlineData("")]
    [InlineData("press")]
    [InlineData("press ")]
    [InlineData("Press 10")]
    [InlineData("press  10")]
    [InlineData("press +10")]
    [InlineData("press 10 extra")]
    [InlineData("press 999999")]
    [InlineData("press 0")]
    [InlineData("release 10")]
    public void TryParseRequest_InvalidLine_FalseWithReason(string line)
    {
        // Arrange / Act
        bool ok = SimulatedButtonProtocol.TryParseRequest(line, out _, out string error);

        // Assert
        Assert.False(ok);
        Assert.NotEmpty(error);
    }
}
