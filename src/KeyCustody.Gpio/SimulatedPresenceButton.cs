// SPDX-License-Identifier: Apache-2.0
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Text;
using System.Threading.Channels;
using KeyCustody.Core;
using KeyCustody.Core.Ports;
using KeyCustody.Gpio.Interop;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace KeyCustody.Gpio;

/// <summary>
/// A presence button for the development appliance and tests: a Unix-domain socket (mode 0600, so only the
/// daemon's own user and root can press) that accepts <see cref="SimulatedButtonProtocol"/> requests, which
/// <see cref="SimulatedButtonClient"/> and <c>keycustody dev press</c> send. A press is reported at once with
/// the requested duration (it does not take that long in real time), stamped with the time it was received.
/// Never configure it on a production appliance: anyone running as the daemon's user could confirm a signing.
/// </summary>
public sealed class SimulatedPresenceButton : IPresenceButton
{
    /// <summary>Longest Unix socket path the kernel accepts (sun_path is 108 bytes with the terminating NUL).</summary>
    public const int MaxSocketPathBytes = 107;

    private static readonly TimeSpan s_requestTimeout = TimeSpan.FromSeconds(10);

    private readonly Socket _listener;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;
    private readonly Channel<ButtonPress> _presses = Channel.CreateBounded<ButtonPress>(
        new BoundedChannelOptions(64) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true });
    private readonly CancellationTokenSource _disposing = new();
    private readonly Task _acceptLoop;
    private readonly Lock _connectionsLock = new();
    private readonly HashSet<Task> _connections = [];
    private int _reading;

    private SimulatedPresenceButton(Socket listener, string socketPath, TimeProvider timeProvider, ILogger logger)
    {
        _listener = listener;
        SocketPath = socketPath;
        _timeProvider = timeProvider;
        _logger = logger;
        _acceptLoop = Task.Run(AcceptLoopAsync);
    }

    /// <summary>The socket's absolute path.</summary>
    public string SocketPath { get; }

    /// <inheritdoc />
    public string Description => $"simulated button on {SocketPath}";

    /// <summary>
    /// Creates the socket at <paramref name="socketPath"/> (mode 0600) and starts serving. A stale socket left
    /// by a crashed daemon is replaced; anything else at that path is left alone and reported.
    /// </summary>
    /// <exception cref="CustodyException">InvalidArgument for a path that is too long or not a socket;
    /// AlreadyExists when another process serves the socket; NotProvisioned when the directory is missing.</exception>
    public static SimulatedPresenceButton Start(string socketPath, TimeProvider? timeProvider = null, ILogger? logger = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(socketPath);
        if (OperatingSystem.IsWindows())
        {
            throw new PlatformNotSupportedException("The simulated button needs Unix socket file modes.");
        }

        logger ??= NullLogger.Instance;
        string path = Path.GetFullPath(socketPath);
        string directory = Path.GetDirectoryName(path)!;
        if (Encoding.UTF8.GetByteCount(path) > MaxSocketPathBytes)
        {
            throw new CustodyException(CustodyStatus.InvalidArgument,
                $"The simulated button socket path {path} is longer than {MaxSocketPathBytes} bytes; choose a shorter Button.SocketPath.");
        }

        if (!Directory.Exists(directory))
        {
            throw new CustodyException(CustodyStatus.NotProvisioned, $"The directory {directory} for the simulated button socket does not exist.");
        }

        RemoveStaleSocket(path);

        // Bind under a temporary name, restrict it, then rename it into place: no moment exists in which the
        // socket is reachable at its real path with the umask's wider mode.
        string temporary = Path.Combine(directory, $".kcb-{Environment.ProcessId}-{Random.Shared.Next():x8}");
        if (Encoding.UTF8.GetByteCount(temporary) > MaxSocketPathBytes)
        {
            temporary = path;
        }

        var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            listener.Bind(new UnixDomainSocketEndPoint(temporary));
            File.SetUnixFileMode(temporary, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            if (temporary != path)
            {
                File.Move(temporary, path, overwrite: false);
            }

            listener.Listen(16);
        }
        catch (Exception ex) when (ex is SocketException or IOException or UnauthorizedAccessException)
        {
            listener.Dispose();
            TryDelete(temporary);
            throw new CustodyException(CustodyStatus.NotProvisioned, $"Cannot create the simulated button socket {path}: {ex.Message}", ex);
        }

        GpioLog.SimulatedListening(logger, path);
        return new SimulatedPresenceButton(listener, path, timeProvider ?? TimeProvider.System, logger);
    }

    /// <summary>Queues a press as if it had arrived over the socket (for in-process tests and the dev appliance).</summary>
    public void Press(TimeSpan duration)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(duration, TimeSpan.Zero);
        ObjectDisposedException.ThrowIf(_disposing.IsCancellationRequested, this);
        _presses.Writer.TryWrite(new ButtonPress(_timeProvider.GetUtcNow(), duration));
        GpioLog.SimulatedPress(_logger, duration.TotalMilliseconds);
    }

    /// <summary>
    /// Yields presses in the order they arrived, including ones queued before the call (up to 64). Ends when the
    /// button is disposed; throws <see cref="OperationCanceledException"/> when <paramref name="cancellationToken"/> fires.
    /// </summary>
    /// <exception cref="InvalidOperationException">Another enumeration is still running.</exception>
    public async IAsyncEnumerable<ButtonPress> ReadPressesAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposing.IsCancellationRequested, this);
        if (Interlocked.CompareExchange(ref _reading, 1, 0) != 0)
        {
            throw new InvalidOperationException($"{Description} is already being read; one reader at a time owns the button.");
        }

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _disposing.Token);
        try
        {
            while (true)
            {
                ButtonPress? press = await NextAsync(stop.Token, cancellationToken).ConfigureAwait(false);
                if (press is null)
                {
                    yield break;
                }

                yield return press.Value;
            }
        }
        finally
        {
            Volatile.Write(ref _reading, 0);
        }
    }

    /// <summary>Stops serving, removes the socket and ends a running enumeration.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_disposing.IsCancellationRequested)
        {
            return;
        }

        await _disposing.CancelAsync().ConfigureAwait(false);
        _listener.Dispose();
        await _acceptLoop.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        Task[] connections;
        lock (_connectionsLock)
        {
            connections = [.. _connections];
        }

        await Task.WhenAll(connections).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _presses.Writer.TryComplete();
        TryDelete(SocketPath);
    }

    private async ValueTask<ButtonPress?> NextAsync(CancellationToken stop, CancellationToken caller)
    {
        try
        {
            return await _presses.Reader.ReadAsync(stop).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!caller.IsCancellationRequested)
        {
            return null;
        }
        catch (ChannelClosedException)
        {
            return null;
        }
    }

    private async Task AcceptLoopAsync()
    {
        while (!_disposing.IsCancellationRequested)
        {
            Socket connection;
            try
            {
                connection = await _listener.AcceptAsync(_disposing.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or SocketException && _disposing.IsCancellationRequested)
            {
                return;
            }
            catch (SocketException ex)
            {
                GpioLog.SimulatedConnectionFailed(_logger, ex);
                continue;
            }

            Task handler = ServeAsync(connection);
            lock (_connectionsLock)
            {
                _connections.Add(handler);
            }

            _ = handler.ContinueWith(
                (done, state) =>
                {
                    var self = (SimulatedPresenceButton)state!;
                    lock (self._connectionsLock)
                    {
                        self._connections.Remove(done);
                    }
                },
                this,
                CancellationToken.None,
                TaskContinuationOptions.ExecuteSynchronously,
                TaskScheduler.Default);
        }
    }

    private async Task ServeAsync(Socket connection)
    {
        await Task.Yield();
        using (connection)
        using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(_disposing.Token))
        {
            timeout.CancelAfter(s_requestTimeout);
            var reader = new LineReader(connection);
            try
            {
                while (true)
                {
                    LineReader.Result result = await reader.ReadLineAsync(timeout.Token).ConfigureAwait(false);
                    if (result.Status == LineReader.Status.EndOfStream)
                    {
                        return;
                    }

                    if (result.Status == LineReader.Status.TooLong)
                    {
                        GpioLog.SimulatedRejected(_logger, "request line too long");
                        await SendAsync(connection, SimulatedButtonProtocol.ErrorPrefix + "request line too long", timeout.Token).ConfigureAwait(false);
                        await DrainAsync(connection, timeout.Token).ConfigureAwait(false);
                        return;
                    }

                    if (SimulatedButtonProtocol.TryParseRequest(result.Line, out TimeSpan duration, out string error))
                    {
                        Press(duration);
                        await SendAsync(connection, SimulatedButtonProtocol.Ok, timeout.Token).ConfigureAwait(false);
                    }
                    else
                    {
                        GpioLog.SimulatedRejected(_logger, error);
                        await SendAsync(connection, SimulatedButtonProtocol.ErrorPrefix + error, timeout.Token).ConfigureAwait(false);
                    }
                }
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                // A client that hung up, stalled past the timeout, or a shutdown: nothing to answer.
            }
        }
    }

    /// <summary>
    /// Stops sending and discards what the client still sends (up to 64 KiB) before closing: closing a Unix
    /// socket with unread input resets the connection, and the client would lose the error line.
    /// </summary>
    private static async Task DrainAsync(Socket connection, CancellationToken cancellationToken)
    {
        connection.Shutdown(SocketShutdown.Send);
        var discard = new byte[1024];
        for (int total = 0; total < 64 * 1024;)
        {
            int read = await connection.ReceiveAsync(discard, SocketFlags.None, cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                return;
            }

            total += read;
        }
    }

    private static async Task SendAsync(Socket connection, string line, CancellationToken cancellationToken) =>
        await connection.SendAsync(Encoding.ASCII.GetBytes(line + "\n"), SocketFlags.None, cancellationToken).ConfigureAwait(false);

    private static void RemoveStaleSocket(string path)
    {
        if (!File.Exists(path) && !Directory.Exists(path))
        {
            return;
        }

        bool isSocket;
        try
        {
            isSocket = FileType.IsSocket(path);
        }
        catch (NativeCallException ex)
        {
            throw new CustodyException(CustodyStatus.NotProvisioned, $"Cannot inspect {path}: {ex.Message}.", ex);
        }

        if (!isSocket)
        {
            throw new CustodyException(CustodyStatus.InvalidArgument,
                $"{path} exists and is not a socket; refusing to replace it. Point Button.SocketPath at a path of its own.");
        }

        using (var probe = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified))
        {
            try
            {
                probe.Connect(new UnixDomainSocketEndPoint(path));
                throw new CustodyException(CustodyStatus.AlreadyExists,
                    $"Another process is already serving the simulated button at {path}; stop it first.");
            }
            catch (SocketException)
            {
                // Nobody listens: the socket was left behind by a process that ended.
            }
        }

        TryDelete(path);
    }

    private static void TryDelete(string path)
    {
        try
        {
            if (FileType.IsSocket(path))
            {
                File.Delete(path);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Best effort: the next Start replaces a stale socket anyway.
        }
    }
}
