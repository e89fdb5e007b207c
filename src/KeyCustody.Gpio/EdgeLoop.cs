// SPDX-License-Identifier: Apache-2.0
using System.Runtime.InteropServices;
using System.Threading.Channels;
using KeyCustody.Core;
using KeyCustody.Core.Ports;
using KeyCustody.Gpio.Interop;
using Microsoft.Extensions.Logging;

namespace KeyCustody.Gpio;

/// <summary>
/// The blocking reader both hardware drivers share: poll(2) on the device and a wake pipe, read whole records,
/// decode them into edges, debounce, and write completed presses to a channel. It runs on a dedicated thread
/// because poll(2) blocks; the wake pipe stops it promptly on cancellation or dispose.
/// </summary>
internal sealed unsafe class EdgeLoop
{
    private const int RecordsPerRead = 64;

    private readonly SafeFileDescriptorHandle _source;
    private readonly string _path;
    private readonly SafeFileDescriptorHandle _wake;
    private readonly IEdgeDecoder _decoder;
    private readonly DebounceFilter _filter;
    private readonly Func<DebouncedPress, ButtonPress> _toPress;
    private readonly ChannelWriter<ButtonPress> _output;
    private readonly ILogger _logger;
    private readonly string _description;

    internal EdgeLoop(
        SafeFileDescriptorHandle source,
        string path,
        SafeFileDescriptorHandle wake,
        IEdgeDecoder decoder,
        DebounceFilter filter,
        Func<DebouncedPress, ButtonPress> toPress,
        ChannelWriter<ButtonPress> output,
        ILogger logger,
        string description)
    {
        _source = source;
        _path = path;
        _wake = wake;
        _decoder = decoder;
        _filter = filter;
        _toPress = toPress;
        _output = output;
        _logger = logger;
        _description = description;
    }

    /// <summary>Runs until the wake pipe is signalled or the source ends; a failure completes the channel with it.</summary>
    internal void Run()
    {
        bool sourceAdded = false;
        bool wakeAdded = false;
        try
        {
            _source.DangerousAddRef(ref sourceAdded);
            _wake.DangerousAddRef(ref wakeAdded);
            Loop((int)_source.DangerousGetHandle(), (int)_wake.DangerousGetHandle());
            _output.TryComplete();
        }
        catch (NativeCallException ex)
        {
            _output.TryComplete(ReadFailed(ex));
        }
        catch (Exception ex)
        {
            _output.TryComplete(ex);
        }
        finally
        {
            if (wakeAdded)
            {
                _wake.DangerousRelease();
            }

            if (sourceAdded)
            {
                _source.DangerousRelease();
            }
        }
    }

    private void Loop(int sourceFd, int wakeFd)
    {
        int recordSize = _decoder.RecordSize;
        byte[] buffer = new byte[recordSize * RecordsPerRead];
        int filled = 0;
        long settleStarted = 0;
        int windowMs = (int)Math.Ceiling(_filter.Window.TotalMilliseconds);
        Libc.pollfd* fds = stackalloc Libc.pollfd[2];

        while (true)
        {
            // Wait for the quiet period that confirms a release, measured from when this loop saw the up edge.
            // poll() returning 0 after it means nothing was queued at the deadline, so the release is real.
            int timeout = -1;
            if (_filter.IsSettling)
            {
                long waited = Environment.TickCount64 - settleStarted;
                timeout = (int)Math.Clamp(windowMs - waited, 0, windowMs);
            }

            fds[0] = new Libc.pollfd { fd = sourceFd, events = Libc.POLLIN };
            fds[1] = new Libc.pollfd { fd = wakeFd, events = Libc.POLLIN };
            int ready = Libc.poll(fds, new CULong(2), timeout);
            if (ready < 0)
            {
                int errno = Marshal.GetLastPInvokeError();
                if (errno == Errno.EINTR)
                {
                    continue;
                }

                throw new NativeCallException("poll", _path, errno);
            }

            if (fds[1].revents != 0)
            {
                return;
            }

            if (ready == 0)
            {
                Emit(_filter.Settle(out DebouncedPress settled), settled);
                continue;
            }

            if ((fds[0].revents & Libc.POLLNVAL) != 0)
            {
                throw new NativeCallException("poll", _path, Errno.EBADF);
            }

            nint read;
            fixed (byte* start = buffer)
            {
                read = Libc.read(sourceFd, start + filled, (nuint)(buffer.Length - filled));
            }

            if (read < 0)
            {
                int errno = Marshal.GetLastPInvokeError();
                bool spurious = (errno is Errno.EAGAIN or Errno.EINTR) && (fds[0].revents & Libc.POLLERR) == 0;
                if (spurious)
                {
                    continue;
                }

                throw new NativeCallException("read", _path, errno);
            }

            if (read == 0)
            {
                // Only a pipe or a regular file ends; a device node never does. No edge can follow, so a
                // pending release is final.
                Emit(_filter.Settle(out DebouncedPress last), last);
                GpioLog.SourceEnded(_logger, _description);
                return;
            }

            filled += (int)read;
            int offset = 0;
            for (; offset + recordSize <= filled; offset += recordSize)
            {
                EdgeDecodeResult result = _decoder.Decode(buffer.AsSpan(offset, recordSize), out RawEdge edge);
                if ((result & EdgeDecodeResult.EventsLost) != 0)
                {
                    _filter.Reset();
                    GpioLog.EventsLost(_logger, _description);
                }

                if ((result & EdgeDecodeResult.Edge) != 0)
                {
                    Emit(_filter.Push(edge, out DebouncedPress completed), completed);
                    if (!edge.IsDown && _filter.IsSettling)
                    {
                        settleStarted = Environment.TickCount64;
                    }
                }
            }

            // A pipe may deliver part of a record; keep the tail for the next read.
            filled -= offset;
            buffer.AsSpan(offset, filled).CopyTo(buffer);
        }
    }

    private void Emit(bool completed, DebouncedPress press)
    {
        if (!completed)
        {
            return;
        }

        ButtonPress result = _toPress(press);
        GpioLog.PressReported(_logger, _description, result.Duration.TotalMilliseconds);
        _output.TryWrite(result);
    }

    private CustodyException ReadFailed(NativeCallException ex) => ex.Errno switch
    {
        Errno.ENODEV or Errno.ENXIO => new CustodyException(CustodyStatus.DeviceFault,
            $"The presence button {_path} went away ({ex.Message}); check the wiring and the device tree overlay, then restart the daemon.", ex),
        _ => new CustodyException(CustodyStatus.DeviceFault, $"Reading the presence button failed: {ex.Message}.", ex),
    };
}
