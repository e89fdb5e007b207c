// SPDX-License-Identifier: Apache-2.0
using System.Net.Sockets;
using System.Text;

namespace KeyCustody.Gpio;

/// <summary>Reads '\n'-terminated ASCII lines of at most <see cref="SimulatedButtonProtocol.MaxLineBytes"/> bytes from a socket.</summary>
internal sealed class LineReader
{
    private readonly Socket _socket;
    private readonly byte[] _buffer = new byte[SimulatedButtonProtocol.MaxLineBytes];
    private int _filled;

    internal LineReader(Socket socket) => _socket = socket;

    internal enum Status
    {
        Line,
        EndOfStream,
        TooLong,
    }

    internal readonly record struct Result(Status Status, string Line);

    /// <summary>The next line without its newline; EndOfStream when the peer closed (a partial last line is dropped).</summary>
    internal async ValueTask<Result> ReadLineAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            int newline = Array.IndexOf(_buffer, (byte)'\n', 0, _filled);
            if (newline >= 0)
            {
                string line = Encoding.ASCII.GetString(_buffer, 0, newline);
                int rest = _filled - newline - 1;
                Array.Copy(_buffer, newline + 1, _buffer, 0, rest);
                _filled = rest;
                return new Result(Status.Line, line);
            }

            if (_filled == _buffer.Length)
            {
                return new Result(Status.TooLong, string.Empty);
            }

            int read = await _socket.ReceiveAsync(_buffer.AsMemory(_filled), SocketFlags.None, cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                return new Result(Status.EndOfStream, string.Empty);
            }

            _filled += read;
        }
    }
}
