// SPDX-License-Identifier: Apache-2.0
using KeyCustody.Core.Ports;
using KeyCustody.Testing;

namespace KeyCustody.Gpio.Tests;

/// <summary>
/// The contract every <see cref="IPresenceButton"/> backend keeps, run once per backend: completed presses with
/// their durations, long-press classification, order, cancellation, dispose, one reader at a time.
/// </summary>
public abstract class PresenceButtonConformance : IAsyncLifetime
{
    private IPresenceButton? _button;

    protected TempDirectory Dir { get; } = new("keycustody-button");

    protected IPresenceButton Button => _button ?? throw new InvalidOperationException("Not initialised.");

    /// <summary>Opens the backend under test.</summary>
    protected abstract Task<IPresenceButton> OpenAsync();

    /// <summary>Makes the backend see one complete press of <paramref name="duration"/>.</summary>
    protected abstract Task PressAsync(TimeSpan duration);

    public async Task InitializeAsync() => _button = await OpenAsync();

    public virtual async Task DisposeAsync()
    {
        if (_button is not null)
        {
            await _button.DisposeAsync();
        }

        Dir.Dispose();
    }

    [Fact]
    public async Task ReadPressesAsync_ShortPress_ReportedWithDurationAndNotLong()
    {
        // Arrange
        DateTimeOffset before = DateTimeOffset.UtcNow;
        using CancellationTokenSource cts = Deadline.Start();
        await using IAsyncEnumerator<ButtonPress> presses = Button.ReadPressesAsync(cts.Token).GetAsyncEnumerator(cts.Token);

        // Act
        await PressAsync(TimeSpan.FromMilliseconds(180));
        ButtonPress press = await Deadline.NextAsync(presses);

        // Assert
        Assert.Equal(TimeSpan.FromMilliseconds(180), press.Duration);
        Assert.False(press.IsLong);
        Assert.InRange(press.PressedAt, before - TimeSpan.FromMinutes(1), DateTimeOffset.UtcNow + TimeSpan.FromMinutes(1));
    }

    [Fact]
    public async Task ReadPressesAsync_LongPress_ReportedAsLong()
    {
        // Arrange
        using CancellationTokenSource cts = Deadline.Start();
        await using IAsyncEnumerator<ButtonPress> presses = Button.ReadPressesAsync(cts.Token).GetAsyncEnumerator(cts.Token);

        // Act
        await PressAsync(TimeSpan.FromMilliseconds(2600));
        ButtonPress press = await Deadline.NextAsync(presses);

        // Assert
        Assert.Equal(TimeSpan.FromMilliseconds(2600), press.Duration);
        Assert.True(press.IsLong);
    }

    [Fact]
    public async Task ReadPressesAsync_ThreePresses_ReportedInOrder()
    {
        // Arrange
        using CancellationTokenSource cts = Deadline.Start();
        await using IAsyncEnumerator<ButtonPress> presses = Button.ReadPressesAsync(cts.Token).GetAsyncEnumerator(cts.Token);

        // Act
        await PressAsync(TimeSpan.FromMilliseconds(100));
        await PressAsync(TimeSpan.FromMilliseconds(300));
        await PressAsync(TimeSpan.FromMilliseconds(2100));
        var durations = new List<TimeSpan>();
        for (int i = 0; i < 3; i++)
        {
            durations.Add((await Deadline.NextAsync(presses)).Duration);
        }

        // Assert
        Assert.Equal([TimeSpan.FromMilliseconds(100), TimeSpan.FromMilliseconds(300), TimeSpan.FromMilliseconds(2100)], durations);
    }

    [Fact]
    public async Task ReadPressesAsync_CancelledWhileWaiting_ThrowsOperationCanceled()
    {
        // Arrange
        using var cts = new CancellationTokenSource();
        await using IAsyncEnumerator<ButtonPress> presses = Button.ReadPressesAsync(cts.Token).GetAsyncEnumerator(cts.Token);
        Task<bool> waiting = presses.MoveNextAsync().AsTask();

        // Act
        await cts.CancelAsync();
        Task finished = await Task.WhenAny(waiting, Task.Delay(Deadline.Wait));

        // Assert
        Assert.Same(waiting, finished);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);
    }

    [Fact]
    public async Task DisposeAsync_WhileWaiting_EndsEnumeration()
    {
        // Arrange
        using CancellationTokenSource cts = Deadline.Start();
        await using IAsyncEnumerator<ButtonPress> presses = Button.ReadPressesAsync(cts.Token).GetAsyncEnumerator(cts.Token);
        Task<bool> waiting = presses.MoveNextAsync().AsTask();

        // Act
        await Button.DisposeAsync();
        bool hasMore = await Deadline.FinishAsync(waiting, "The enumeration after dispose");

        // Assert
        Assert.False(hasMore);
    }

    [Fact]
    public async Task ReadPressesAsync_SecondConcurrentReader_Throws()
    {
        // Arrange
        using var firstCts = new CancellationTokenSource();
        IAsyncEnumerator<ButtonPress> first = Button.ReadPressesAsync(firstCts.Token).GetAsyncEnumerator(firstCts.Token);
        Task<bool> firstWaiting = first.MoveNextAsync().AsTask();
        using CancellationTokenSource cts = Deadline.Start();

        // Act
        await using IAsyncEnumerator<ButtonPress> second = Button.ReadPressesAsync(cts.Token).GetAsyncEnumerator(cts.Token);
        Func<Task> secondWaits = async () => await second.MoveNextAsync();

        // Assert
        await Assert.ThrowsAsync<InvalidOperationException>(secondWaits);
        Assert.False(firstWaiting.IsCompleted);

        // An async iterator cannot be disposed while a MoveNextAsync is pending: stop it first.
        await firstCts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Deadline.FinishAsync(firstWaiting, "The first reader"));
        await first.DisposeAsync();
    }

    [Fact]
    public async Task ReadPressesAsync_AfterPreviousReaderStopped_ReadsAgain()
    {
        // Arrange
        using (var first = new CancellationTokenSource())
        {
            await using IAsyncEnumerator<ButtonPress> presses = Button.ReadPressesAsync(first.Token).GetAsyncEnumerator(first.Token);
            Task<bool> waiting = presses.MoveNextAsync().AsTask();
            await first.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Deadline.FinishAsync(waiting, "The cancelled read"));
        }

        using CancellationTokenSource cts = Deadline.Start();
        await using IAsyncEnumerator<ButtonPress> again = Button.ReadPressesAsync(cts.Token).GetAsyncEnumerator(cts.Token);

        // Act
        await PressAsync(TimeSpan.FromMilliseconds(250));
        ButtonPress press = await Deadline.NextAsync(again);

        // Assert
        Assert.Equal(TimeSpan.FromMilliseconds(250), press.Duration);
    }

    [Fact]
    public void Description_Always_NamesTheSource()
    {
        // Arrange / Act
        string description = Button.Description;

        // Assert
        Assert.Contains(Dir.Path, description, StringComparison.Ordinal);
    }
}

/// <summary>The evdev driver, reading input_event records from a FIFO in place of /dev/input/eventN.</summary>
public sealed class EvdevButtonConformanceTests : PresenceButtonConformance
{
    private Fifo? _fifo;
    private TimeSpan _clock = Records.RealtimeNow();

    protected override async Task<IPresenceButton> OpenAsync()
    {
        _fifo = await Fifo.CreateAsync(Dir.File("event7"));
        EvdevButton button = EvdevButton.Open(_fifo.Path);
        _fifo.OpenWriter();
        return button;
    }

    protected override Task PressAsync(TimeSpan duration)
    {
        // Each press starts a second after the previous one ended, on the realtime clock evdev uses by default.
        _clock += TimeSpan.FromSeconds(1);
        _fifo!.Write(Records.EvdevPress(_clock, duration));
        _clock += duration;
        return Task.CompletedTask;
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        _fifo?.Dispose();
    }
}

/// <summary>The GPIO chardev driver's read path, reading gpio_v2_line_event records from a FIFO in place of a line descriptor.</summary>
public sealed class GpioChipButtonConformanceTests : PresenceButtonConformance
{
    private Fifo? _fifo;
    private TimeSpan _clock;
    private uint _seqno;

    protected override async Task<IPresenceButton> OpenAsync()
    {
        _fifo = await Fifo.CreateAsync(Dir.File("line17"));
        GpioChipButton button = GpioChipButton.OpenEventStream(_fifo.Path, DebounceFilter.DefaultWindow, TimeProvider.System, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);
        _fifo.OpenWriter();
        _clock = MonotonicClock.Now;
        return button;
    }

    protected override Task PressAsync(TimeSpan duration)
    {
        // Monotonic nanosecond stamps, as the kernel gives them without EVENT_CLOCK_REALTIME.
        _clock += TimeSpan.FromSeconds(1);
        _fifo!.Write([.. Records.LineEvent(_clock, rising: true, ++_seqno), .. Records.LineEvent(_clock + duration, rising: false, ++_seqno)]);
        _clock += duration;
        return Task.CompletedTask;
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        _fifo?.Dispose();
    }
}

/// <summary>The simulated button, pressed over its real Unix socket by the real client.</summary>
public sealed class SimulatedButtonConformanceTests : PresenceButtonConformance
{
    protected override Task<IPresenceButton> OpenAsync() =>
        Task.FromResult<IPresenceButton>(SimulatedPresenceButton.Start(Dir.File("button.sock")));

    protected override Task PressAsync(TimeSpan duration) =>
        SimulatedButtonClient.PressAsync(Dir.File("button.sock"), duration);
}
