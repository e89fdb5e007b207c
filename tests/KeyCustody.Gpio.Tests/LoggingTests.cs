// SPDX-License-Identifier: Apache-2.0
using KeyCustody.Core.Ports;
using KeyCustody.Testing;
using Microsoft.Extensions.Logging;

namespace KeyCustody.Gpio.Tests;

/// <summary>Collects log entries (event id, level, message).</summary>
internal sealed class ListLogger : ILogger
{
    private readonly Lock _lock = new();
    private readonly List<(int EventId, LogLevel Level, string Message)> _entries = [];

    public IReadOnlyList<(int EventId, LogLevel Level, string Message)> Entries
    {
        get
        {
            lock (_lock)
            {
                return [.. _entries];
            }
        }
    }

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        lock (_lock)
        {
            _entries.Add((eventId.Id, logLevel, formatter(state, exception)));
        }
    }
}

public sealed class LoggingTests : IDisposable
{
    private readonly TempDirectory _dir = new("keycustody-logging");

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task EvdevButton_SynDroppedAndNonDevice_WarnsWithTheirEventIds()
    {
        // Arrange
        var logger = new ListLogger();
        string path = _dir.File("events.bin");
        TimeSpan t = TimeSpan.FromSeconds(1_760_000_000);
        await File.WriteAllBytesAsync(path, [.. Records.Key(t, 1), .. Records.InputEvent(t, Records.EV_SYN, Records.SYN_DROPPED, 0)]);

        // Act
        await using (EvdevButton button = EvdevButton.Open(path, logger: logger))
        {
            await Deadline.ReadToEndAsync(button);
        }

        // Assert
        Assert.Contains(logger.Entries, e => e.EventId == 6005 && e.Level == LogLevel.Warning && e.Message.Contains(path, StringComparison.Ordinal));
        Assert.Contains(logger.Entries, e => e.EventId == 6001 && e.Level == LogLevel.Warning);
        Assert.Contains(logger.Entries, e => e.EventId == 6000);
        Assert.Contains(logger.Entries, e => e.EventId == 6004);
    }

    [Fact]
    public async Task SimulatedButton_BadRequestAndPress_Logged()
    {
        // Arrange
        var logger = new ListLogger();
        await using SimulatedPresenceButton button = SimulatedPresenceButton.Start(_dir.File("b.sock"), logger: logger);

        // Act
        await SimulatedButtonClient.PressAsync(_dir.File("b.sock"), TimeSpan.FromMilliseconds(321));
        button.Press(TimeSpan.FromMilliseconds(5));

        // Assert
        Assert.Contains(logger.Entries, e => e.EventId == 6010 && e.Message.Contains("b.sock", StringComparison.Ordinal));
        Assert.Contains(logger.Entries, e => e.EventId == 6011 && e.Message.Contains("321", StringComparison.Ordinal));
    }

    [Fact]
    public async Task SysfsLed_SetAndDisposeFailure_Logged()
    {
        // Arrange
        var logger = new ListLogger();
        string dir = SysfsIndicatorLedConformanceTests.CreateLedDirectory(_dir.Path, "keycustody");
        SysfsIndicatorLed led = SysfsIndicatorLed.Open("keycustody", _dir.Path, logger: logger);
        await led.SetAsync(LedState.On);
        File.Delete(Path.Combine(dir, "trigger"));
        Directory.CreateDirectory(Path.Combine(dir, "trigger"));

        // Act: switching off on dispose fails; dispose must log, not throw.
        await led.DisposeAsync();

        // Assert
        Assert.Contains(logger.Entries, e => e.EventId == 6020 && e.Message.Contains("On", StringComparison.Ordinal));
        Assert.Contains(logger.Entries, e => e.EventId == 6021 && e.Level == LogLevel.Warning);
    }
}
