// SPDX-License-Identifier: Apache-2.0
using System.Net.Sockets;
using System.Text;
using KeyCustody.Core;
using KeyCustody.Daemon.Hosting;
using KeyCustody.Testing;

namespace KeyCustody.Daemon.Tests;

/// <summary>
/// sd_notify against a real AF_UNIX datagram socket standing in for systemd's notification socket.
/// </summary>
public sealed class SystemdNotifierTests : IDisposable
{
    private readonly TempDirectory _directory = new("keycustody-sdnotify");
    private readonly Socket _manager = new(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);

    public SystemdNotifierTests()
    {
        _manager.Bind(new UnixDomainSocketEndPoint(SocketPath));
    }

    private string SocketPath => _directory.File("notify.sock");

    public void Dispose()
    {
        _manager.Dispose();
        _directory.Dispose();
    }

    [Fact]
    public async Task Notify_PathSocket_DeliversOneDatagramWithTheExactText()
    {
        // Arrange
        using var notifier = new SystemdNotifier(SocketPath);

        // Act
        bool sent = notifier.Notify("READY=1\nSTATUS=SERVING");

        // Assert
        Assert.True(sent);
        Assert.Equal("READY=1\nSTATUS=SERVING", await ReceiveAsync(_manager));
    }

    [Fact]
    public async Task Notify_AbstractSocket_DeliversDatagram()
    {
        // Arrange
        string name = "keycustody-test-" + Guid.NewGuid().ToString("N");
        using var manager = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        manager.Bind(new UnixDomainSocketEndPoint("\0" + name));
        using SystemdNotifier notifier = SystemdNotifier.FromEnvironment(v => v == "NOTIFY_SOCKET" ? "@" + name : null, 1)!;

        // Act
        bool sent = notifier.Notify("WATCHDOG=1");

        // Assert
        Assert.True(sent);
        Assert.Equal("WATCHDOG=1", await ReceiveAsync(manager));
    }

    [Fact]
    public void Notify_NoListener_ReturnsFalseWithoutThrowing()
    {
        // Arrange
        using var notifier = new SystemdNotifier(_directory.File("nobody.sock"));

        // Act
        bool sent = notifier.Notify("READY=1");

        // Assert
        Assert.False(sent);
    }

    [Fact]
    public void FromEnvironment_NoNotifySocket_ReturnsNull()
    {
        // Arrange, Act
        SystemdNotifier? notifier = SystemdNotifier.FromEnvironment(_ => null, 42);
        SystemdNotifier? relative = SystemdNotifier.FromEnvironment(v => v == "NOTIFY_SOCKET" ? "relative.sock" : null, 42);

        // Assert
        Assert.Null(notifier);
        Assert.Null(relative);
    }

    [Theory]
    [InlineData(null, 30_000_000L, 30_000L)]
    [InlineData("42", 30_000_000L, 30_000L)]
    [InlineData("43", 30_000_000L, null)]
    [InlineData(null, null, null)]
    public void FromEnvironment_WatchdogVariables_ApplyOnlyToThisProcess(string? watchdogPid, long? usec, long? expectedMs)
    {
        // Arrange
        var variables = new Dictionary<string, string?>
        {
            ["NOTIFY_SOCKET"] = SocketPath,
            ["WATCHDOG_PID"] = watchdogPid,
            ["WATCHDOG_USEC"] = usec?.ToString(System.Globalization.CultureInfo.InvariantCulture),
        };

        // Act
        using SystemdNotifier notifier = SystemdNotifier.FromEnvironment(v => variables.GetValueOrDefault(v), 42)!;

        // Assert
        Assert.Equal(expectedMs is { } ms ? TimeSpan.FromMilliseconds(ms) : null, notifier.WatchdogTimeout);
    }

    [Fact]
    public async Task Lifecycle_StartReachesServing_SendsReadyThenStopping()
    {
        // Arrange
        using var notifier = new SystemdNotifier(SocketPath);
        var state = new ApplianceState();
        SystemdLifecycle lifecycle = SystemdLifecycle.Attach(notifier, state);

        // Act
        state.SetServing();
        lifecycle.StartCompleted();
        await lifecycle.DisposeAsync();

        // Assert
        Assert.StartsWith("STATUS=starting", await ReceiveAsync(_manager), StringComparison.Ordinal);
        Assert.Equal("STATUS=SERVING", await ReceiveAsync(_manager));
        Assert.Equal("READY=1\nSTATUS=SERVING", await ReceiveAsync(_manager));
        Assert.Equal("STOPPING=1\nSTATUS=stopping", await ReceiveAsync(_manager));
    }

    [Fact]
    public async Task Lifecycle_StartEndsNotServing_SendsReasonButNeverReady()
    {
        // Arrange
        using var notifier = new SystemdNotifier(SocketPath);
        var state = new ApplianceState();
        SystemdLifecycle lifecycle = SystemdLifecycle.Attach(notifier, state);

        // Act
        state.SetNotServing(CustodyStatus.BootStateChanged, "PCR 23 changed\nsince sealing");
        lifecycle.StartCompleted();
        await lifecycle.DisposeAsync();

        // Assert
        var messages = new List<string>();
        for (int i = 0; i < 4; i++)
        {
            messages.Add(await ReceiveAsync(_manager));
        }

        Assert.DoesNotContain(messages, m => m.Contains("READY=1", StringComparison.Ordinal));
        Assert.Contains("STATUS=NOT_SERVING (BootStateChanged): PCR 23 changed since sealing", messages);
        Assert.StartsWith("STOPPING=1", messages[^1], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Lifecycle_WatchdogEnabled_PingsRepeatedly()
    {
        // Arrange
        using var notifier = new SystemdNotifier(SocketPath, TimeSpan.FromMilliseconds(200));
        var state = new ApplianceState();

        // Act
        SystemdLifecycle lifecycle = SystemdLifecycle.Attach(notifier, state);
        int pings = 0;
        while (pings < 3)
        {
            if (await ReceiveAsync(_manager) == "WATCHDOG=1")
            {
                pings++;
            }
        }

        await lifecycle.DisposeAsync();

        // Assert
        Assert.Equal(3, pings);
    }

    private static async Task<string> ReceiveAsync(Socket socket)
    {
        byte[] buffer = new byte[4096];
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        int n = await socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token);
        return Encoding.UTF8.GetString(buffer, 0, n);
    }
}
