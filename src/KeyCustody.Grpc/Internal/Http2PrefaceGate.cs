// SPDX-License-Identifier: Apache-2.0
using System.Buffers;
using System.IO.Pipelines;
using System.Text;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Logging;

namespace KeyCustody.Grpc.Internal;

/// <summary>
/// Connection middleware for cleartext endpoints. Kestrel cannot offer HTTP/1.1 and prior-knowledge HTTP/2 on one
/// cleartext endpoint, and an HTTP/2-only endpoint answers HTTP/1.x with a bare 400. This gate peeks at the first
/// bytes: the HTTP/2 connection preface (RFC 9113 section 3.4) passes through untouched; anything else is answered
/// with "426 Upgrade Required" and closed, which is what gRPC clients and humans with curl can act on.
/// </summary>
internal static class Http2PrefaceGate
{
    private const int MaxHttp1HeadBytes = 16 * 1024;
    private static readonly TimeSpan s_prefaceTimeout = TimeSpan.FromSeconds(30);

    private static ReadOnlySpan<byte> Preface => "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"u8;

    public static Func<ConnectionDelegate, ConnectionDelegate> Create(ILogger logger) => next => async connection =>
    {
        PipeReader input = connection.Transport.Input;
        using var timeout = new CancellationTokenSource(s_prefaceTimeout);
        while (true)
        {
            ReadResult result;
            try
            {
                result = await input.ReadAsync(timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                GrpcLog.NotHttp2(logger, "no preface within the timeout");
                return;
            }

            switch (Classify(result.Buffer))
            {
                case PrefaceMatch.Complete:
                    // Leave every byte unread for Kestrel's HTTP/2 parser.
                    input.AdvanceTo(result.Buffer.Start);
                    await next(connection).ConfigureAwait(false);
                    return;
                case PrefaceMatch.Mismatch:
                    // Examine nothing, so the next read returns these bytes again at once.
                    input.AdvanceTo(result.Buffer.Start);
                    await AnswerHttp1Async(connection, input, logger, timeout.Token).ConfigureAwait(false);
                    return;
                default:
                    if (result.IsCompleted)
                    {
                        input.AdvanceTo(result.Buffer.End);
                        return;
                    }

                    input.AdvanceTo(result.Buffer.Start, result.Buffer.End);
                    break;
            }
        }
    };

    internal enum PrefaceMatch
    {
        NeedMore,
        Complete,
        Mismatch,
    }

    internal static PrefaceMatch Classify(ReadOnlySequence<byte> buffer)
    {
        int length = (int)Math.Min(buffer.Length, Preface.Length);
        Span<byte> head = stackalloc byte[Preface.Length];
        buffer.Slice(0, length).CopyTo(head);
        if (!head[..length].SequenceEqual(Preface[..length]))
        {
            return PrefaceMatch.Mismatch;
        }

        return length == Preface.Length ? PrefaceMatch.Complete : PrefaceMatch.NeedMore;
    }

    private static async Task AnswerHttp1Async(ConnectionContext connection, PipeReader input, ILogger logger, CancellationToken cancellationToken)
    {
        // Read the request head first: closing with unread bytes would make the kernel send RST, and the client
        // could lose the response.
        try
        {
            while (true)
            {
                ReadResult result = await input.ReadAsync(cancellationToken).ConfigureAwait(false);
                if (ContainsHeadEnd(result.Buffer) || result.Buffer.Length > MaxHttp1HeadBytes || result.IsCompleted)
                {
                    input.AdvanceTo(result.Buffer.End);
                    break;
                }

                input.AdvanceTo(result.Buffer.Start, result.Buffer.End);
            }
        }
        catch (OperationCanceledException)
        {
            // The head never completed; answer anyway.
        }

        GrpcLog.NotHttp2(logger, "HTTP/1.x request answered with 426");
        const string Body = "gRPC requires HTTP/2 (prior knowledge on this cleartext endpoint).\n";
        string head = "HTTP/1.1 426 Upgrade Required\r\n" +
            "Upgrade: h2c\r\n" +
            "Connection: Upgrade, close\r\n" +
            "Content-Type: text/plain; charset=utf-8\r\n" +
            $"Content-Length: {Encoding.UTF8.GetByteCount(Body)}\r\n\r\n";
        try
        {
            using var writeTimeout = new CancellationTokenSource(s_prefaceTimeout);
            await connection.Transport.Output.WriteAsync(Encoding.ASCII.GetBytes(head + Body), writeTimeout.Token).ConfigureAwait(false);
            await connection.Transport.Output.CompleteAsync().ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or ConnectionResetException or InvalidOperationException)
        {
            GrpcLog.NotHttp2(logger, "the client went away before the 426 was sent");
        }
    }

    private static bool ContainsHeadEnd(ReadOnlySequence<byte> buffer)
    {
        var reader = new SequenceReader<byte>(buffer);
        return reader.TryReadTo(out ReadOnlySequence<byte> _, "\r\n\r\n"u8, advancePastDelimiter: true);
    }
}
