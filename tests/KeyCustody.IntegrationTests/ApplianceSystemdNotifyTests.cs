// SPDX-License-Identifier: Apache-2.0
using System.Net.Sockets;
using System.Text;
using KeyCustody.IntegrationTests.Infrastructure;
using KeyCustody.Testing;
using Xunit;
using ServingStatus = KeyCustody.Grpc.Health.V1.HealthCheckResponse.Types.ServingStatus;

namespace KeyCustody.IntegrationTests;

/// <summary>The real daemon process speaking sd_notify to a socket that stands in for systemd's.</summary>
public sealed class ApplianceSystemdNotifyTests : IAsyncLifetime
{
    private readonly TempDirectory _sockets = new("keycustody-notify");
    private readonly Socket _manager = new(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
    private readonly NotifyFixture _appliance;

    public ApplianceSystemdNotifyTests()
    {
        _manager.Bind(new UnixDomainSocketEndPoint(_sockets.File("notify.sock")));
        _appliance = new NotifyFixture(_sockets.File("notify.sock"));
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        await _appliance.DisposeAsync();
        _manager.Dispose();
        _sockets.Dispose();
    }

    [Fact]
    public async Task Daemon_UnderNotifySocket_SendsReadyOnlyOnceServingThenWatchdogAndStopping()
    {
        // Arrange
        var received = new List<string>();

        // Act
        await _appliance.InitializeAsync();
        string ready = await ReceiveUntilAsync(received, m => m.Contains("READY=1", StringComparison.Ordinal));
        using ApplianceClient client = _appliance.Client();
        ServingStatus health = await client.HealthAsync();
        await ReceiveUntilAsync(received, m => m == "WATCHDOG=1");
        int exit = await _appliance.Daemon.StopAsync();
        await ReceiveUntilAsync(received, m => m.StartsWith("STOPPING=1", StringComparison.Ordinal));

        // Assert
        Assert.Equal("READY=1\nSTATUS=SERVING", ready);
        Assert.Equal(ServingStatus.Serving, health);
        Assert.Equal(0, exit);
        int readyAt = received.IndexOf(ready);
        Assert.Contains(received.Take(readyAt), m => m.StartsWith("STATUS=starting", StringComparison.Ordinal));
        Assert.Equal(1, received.Count(m => m.Contains("READY=1", StringComparison.Ordinal)));
    }

    private async Task<string> ReceiveUntilAsync(List<string> received, Func<string, bool> match)
    {
        byte[] buffer = new byte[4096];
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        while (true)
        {
            int n = await _manager.ReceiveAsync(buffer, SocketFlags.None, timeout.Token);
            string message = Encoding.UTF8.GetString(buffer, 0, n);
            received.Add(message);
            if (match(message))
            {
                return message;
            }
        }
    }

    private sealed class NotifyFixture(string notifySocket) : DevApplianceFixture
    {
        // A short watchdog so the test sees pings within seconds (systemd would pass WatchdogSec=30s).
        protected override IReadOnlyDictionary<string, string>? DaemonEnvironment => new Dictionary<string, string>
        {
            ["NOTIFY_SOCKET"] = notifySocket,
            ["WATCHDOG_USEC"] = "2000000",
        };
    }
}
