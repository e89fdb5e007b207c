// SPDX-License-Identifier: Apache-2.0
using System.Globalization;
using System.Net.Sockets;
using System.Text;

namespace KeyCustody.Daemon.Hosting;

/// <summary>
/// The service side of systemd's notification protocol, written by hand (Microsoft.Extensions.Hosting.Systemd is
/// not available): one AF_UNIX datagram per message to the socket named by <c>$NOTIFY_SOCKET</c>, each message a
/// list of newline-separated <c>KEY=VALUE</c> assignments (READY=1, WATCHDOG=1, STOPPING=1, STATUS=…).
/// A leading '@' in the socket name means Linux's abstract namespace. See sd_notify(3).
/// </summary>
public sealed class SystemdNotifier : IDisposable
{
    private readonly Socket _socket;
    private readonly UnixDomainSocketEndPoint _endpoint;
    private readonly object _gate = new();
    private bool _disposed;

    /// <summary>Creates a notifier that sends to <paramref name="socketPath"/> ("/run/…" or "@abstract").</summary>
    /// <param name="socketPath">The value of <c>$NOTIFY_SOCKET</c>.</param>
    /// <param name="watchdogInterval">The watchdog timeout systemd enforces (<c>$WATCHDOG_USEC</c>), or null.</param>
    public SystemdNotifier(string socketPath, TimeSpan? watchdogInterval = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(socketPath);
        SocketPath = socketPath;
        WatchdogTimeout = watchdogInterval;
        string name = socketPath[0] == '@' ? "\0" + socketPath[1..] : socketPath;
        _endpoint = new UnixDomainSocketEndPoint(name);
        _socket = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
    }

    /// <summary>Where notifications go.</summary>
    public string SocketPath { get; }

    /// <summary>The watchdog timeout systemd enforces for this process, or null when the watchdog is off.</summary>
    public TimeSpan? WatchdogTimeout { get; }

    /// <summary>
    /// Reads <c>$NOTIFY_SOCKET</c>, <c>$WATCHDOG_USEC</c> and <c>$WATCHDOG_PID</c>; null when the daemon does not run
    /// under a notify-type unit. The watchdog applies only when WATCHDOG_PID is absent or names this process.
    /// </summary>
    public static SystemdNotifier? FromEnvironment() => FromEnvironment(Environment.GetEnvironmentVariable, Environment.ProcessId);

    /// <summary>As <see cref="FromEnvironment()"/>, with the variables and process id supplied (for tests).</summary>
    public static SystemdNotifier? FromEnvironment(Func<string, string?> variable, int processId)
    {
        ArgumentNullException.ThrowIfNull(variable);
        string? socket = variable("NOTIFY_SOCKET");
        if (string.IsNullOrEmpty(socket) || (socket[0] != '/' && socket[0] != '@'))
        {
            return null;
        }

        TimeSpan? watchdog = null;
        string? pid = variable("WATCHDOG_PID");
        bool forUs = string.IsNullOrEmpty(pid) ||
            (int.TryParse(pid, NumberStyles.None, CultureInfo.InvariantCulture, out int p) && p == processId);
        if (forUs && ulong.TryParse(variable("WATCHDOG_USEC"), NumberStyles.None, CultureInfo.InvariantCulture, out ulong usec) && usec > 0)
        {
            watchdog = TimeSpan.FromMicroseconds(usec);
        }

        return new SystemdNotifier(socket, watchdog);
    }

    /// <summary>Sends one notification (e.g. "READY=1\nSTATUS=serving"). Returns false when the manager's socket is gone.</summary>
    public bool Notify(string state)
    {
        ArgumentException.ThrowIfNullOrEmpty(state);
        byte[] datagram = Encoding.UTF8.GetBytes(state);
        lock (_gate)
        {
            if (_disposed)
            {
                return false;
            }

            try
            {
                return _socket.SendTo(datagram, SocketFlags.None, _endpoint) == datagram.Length;
            }
            catch (SocketException)
            {
                // systemd went away or the socket is not ours to write; the daemon keeps running regardless.
                return false;
            }
        }
    }

    /// <summary>Formats a STATUS= line: one line of text (newlines would start a new assignment).</summary>
    public static string Status(string text) =>
        "STATUS=" + (text ?? string.Empty).Replace('\n', ' ').Replace('\r', ' ');

    /// <inheritdoc />
    public void Dispose()
    {
        lock (_gate)
        {
            _disposed = true;
            _socket.Dispose();
        }
    }
}
