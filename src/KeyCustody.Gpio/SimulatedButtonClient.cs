// SPDX-License-Identifier: Apache-2.0
using System.Net.Sockets;
using KeyCustody.Core;
using KeyCustody.Core.Ports;

namespace KeyCustody.Gpio;

/// <summary>Presses the simulated button of a running development appliance (what <c>keycustody dev press</c> calls).</summary>
public static class SimulatedButtonClient
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(10);

    /// <summary>A short press (confirms the request awaiting presence).</summary>
    public static TimeSpan ShortPress { get; } = TimeSpan.FromMilliseconds(200);

    /// <summary>A long press (denies it): comfortably past <see cref="ButtonPress.LongPressThreshold"/>.</summary>
    public static TimeSpan LongPress { get; } = ButtonPress.LongPressThreshold + TimeSpan.FromMilliseconds(500);

    /// <summary>
    /// Sends one press of <paramref name="duration"/> to the socket at <paramref name="socketPath"/> and waits for
    /// the appliance to accept it (at most 10 seconds). Returns as soon as the press is queued; it does not take
    /// <paramref name="duration"/> in real time.
    /// </summary>
    /// <exception cref="CustodyException">InvalidArgument for a duration outside 1 ms–60 s or one the appliance
    /// refused; NotProvisioned when no appliance listens at the path or it is not accessible; DeviceFault when
    /// it does not answer in time or answers nonsense.</exception>
    public static async Task PressAsync(string socketPath, TimeSpan duration, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(socketPath);
        string request;
        try
        {
            request = SimulatedButtonProtocol.FormatPress(duration);
        }
        catch (ArgumentOutOfRangeException ex)
        {
            throw new CustodyException(CustodyStatus.InvalidArgument, ex.Message.Split(" (Parameter", 2)[0], ex);
        }

        string path = Path.GetFullPath(socketPath);
        if (!File.Exists(path))
        {
            throw new CustodyException(CustodyStatus.NotProvisioned,
                $"No simulated button socket at {path}: is the development appliance running ('./build.sh run')?");
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(s_timeout);
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(path), timeout.Token).ConfigureAwait(false);
            await socket.SendAsync(System.Text.Encoding.ASCII.GetBytes(request), SocketFlags.None, timeout.Token).ConfigureAwait(false);
            LineReader.Result answer = await new LineReader(socket).ReadLineAsync(timeout.Token).ConfigureAwait(false);
            if (answer.Status == LineReader.Status.Line && answer.Line == SimulatedButtonProtocol.Ok)
            {
                return;
            }

            if (answer.Status == LineReader.Status.Line && answer.Line.StartsWith(SimulatedButtonProtocol.ErrorPrefix, StringComparison.Ordinal))
            {
                throw new CustodyException(CustodyStatus.InvalidArgument,
                    $"The simulated button refused the press: {answer.Line[SimulatedButtonProtocol.ErrorPrefix.Length..]}.");
            }

            throw new CustodyException(CustodyStatus.DeviceFault, $"The simulated button at {path} gave no valid answer.");
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new CustodyException(CustodyStatus.DeviceFault, $"The simulated button at {path} did not answer within {s_timeout.TotalSeconds:0} s.");
        }
        catch (SocketException ex) when (ex.SocketErrorCode == SocketError.AccessDenied)
        {
            throw new CustodyException(CustodyStatus.NotProvisioned,
                $"Permission denied connecting to {path}: the socket is private (mode 0600) to the user the appliance runs as; run the command as that user.", ex);
        }
        catch (SocketException ex)
        {
            throw new CustodyException(CustodyStatus.NotProvisioned,
                $"Cannot reach the simulated button at {path} ({ex.SocketErrorCode}): is the development appliance running ('./build.sh run')?", ex);
        }
    }
}
