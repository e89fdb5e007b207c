// SPDX-License-Identifier: Apache-2.0
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using KeyCustody.Core.Ports;
using KeyCustody.Gpio.Interop;
using Microsoft.Extensions.Logging;

namespace KeyCustody.Gpio;

/// <summary>
/// The part of a hardware button driver that does not depend on the device kind: one open descriptor that
/// delivers fixed-size records, one reader at a time, presses debounced by <see cref="DebounceFilter"/>.
/// </summary>
public abstract class EdgeButton : IPresenceButton
{
    private readonly SafeFileDescriptorHandle _source;
    private readonly string _path;
    private readonly TimeSpan _debounce;
    private readonly CancellationTokenSource _disposing = new();
    private int _reading;
    private Task _loop = Task.CompletedTask;

    private protected EdgeButton(SafeFileDescriptorHandle source, string path, TimeSpan debounce, TimeProvider timeProvider, ILogger logger)
    {
        _source = source;
        _path = path;
        _debounce = debounce;
        TimeProvider = timeProvider;
        Logger = logger;
    }

    /// <inheritdoc />
    public abstract string Description { get; }

    /// <summary>The device node (or stream) the driver reads.</summary>
    public string DevicePath => _path;

    /// <summary>The software debounce window.</summary>
    public TimeSpan Debounce => _debounce;

    private protected TimeProvider TimeProvider { get; }

    private protected ILogger Logger { get; }

    /// <summary>
    /// Yields presses as they complete. Events the kernel queued since the device was opened are included:
    /// compare <see cref="ButtonPress.PressedAt"/> with the moment you started waiting. The enumeration ends
    /// when the driver is disposed or the source reaches end of file (only a pipe or a regular file does);
    /// it throws <see cref="OperationCanceledException"/> when <paramref name="cancellationToken"/> fires and
    /// <see cref="Core.CustodyException"/> (DeviceFault) when the device fails or goes away.
    /// </summary>
    /// <exception cref="InvalidOperationException">Another enumeration is still running.</exception>
    public async IAsyncEnumerable<ButtonPress> ReadPressesAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposing.IsCancellationRequested, this);
        if (Interlocked.CompareExchange(ref _reading, 1, 0) != 0)
        {
            throw new InvalidOperationException($"{Description} is already being read; one reader at a time owns the button.");
        }

        SafeFileDescriptorHandle wakeRead, wakeWrite;
        try
        {
            (wakeRead, wakeWrite) = FileDescriptor.CreateWakePipe();
        }
        catch
        {
            Volatile.Write(ref _reading, 0);
            throw;
        }

        var channel = Channel.CreateUnbounded<ButtonPress>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        var loop = new EdgeLoop(_source, _path, wakeRead, CreateDecoder(), new DebounceFilter(_debounce), ToButtonPress, channel.Writer, Logger, Description);
        Task running = Task.Factory.StartNew(loop.Run, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        _loop = running;
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _disposing.Token);
        CancellationTokenRegistration wakeOnStop = stop.Token.Register(static state => Wake((SafeFileDescriptorHandle)state!), wakeWrite);
        try
        {
            while (true)
            {
                ButtonPress? press = await NextAsync(channel.Reader, stop.Token, cancellationToken).ConfigureAwait(false);
                if (press is null)
                {
                    yield break;
                }

                yield return press.Value;
            }
        }
        finally
        {
            await wakeOnStop.DisposeAsync().ConfigureAwait(false);
            Wake(wakeWrite);
            await running.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            wakeRead.Dispose();
            wakeWrite.Dispose();
            Volatile.Write(ref _reading, 0);
        }
    }

    /// <summary>Stops a running enumeration and closes the device.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_disposing.IsCancellationRequested)
        {
            return;
        }

        await _disposing.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _source.Dispose();
        GC.SuppressFinalize(this);
    }

    /// <summary>A fresh decoder for one reader loop.</summary>
    private protected abstract IEdgeDecoder CreateDecoder();

    /// <summary>Maps a timestamp of the source's clock to wall-clock time.</summary>
    private protected abstract DateTimeOffset ToWallClock(TimeSpan sourceTimestamp);

    private ButtonPress ToButtonPress(DebouncedPress press) => new(ToWallClock(press.DownAt), press.Duration);

    private static async ValueTask<ButtonPress?> NextAsync(ChannelReader<ButtonPress> reader, CancellationToken stop, CancellationToken caller)
    {
        try
        {
            while (await reader.WaitToReadAsync(stop).ConfigureAwait(false))
            {
                if (reader.TryRead(out ButtonPress press))
                {
                    return press;
                }
            }

            return null;
        }
        catch (OperationCanceledException) when (!caller.IsCancellationRequested)
        {
            // Disposed while reading: the enumeration simply ends.
            return null;
        }
    }

    private static unsafe void Wake(SafeFileDescriptorHandle wakeWrite)
    {
        bool added = false;
        try
        {
            wakeWrite.DangerousAddRef(ref added);
            byte one = 1;

            // A full pipe (EAGAIN) already wakes the loop; nothing else can fail on a pipe we own.
            _ = Libc.write((int)wakeWrite.DangerousGetHandle(), &one, 1);
        }
        catch (ObjectDisposedException)
        {
            // The enumeration already finished and closed its pipe.
        }
        finally
        {
            if (added)
            {
                wakeWrite.DangerousRelease();
            }
        }
    }
}
