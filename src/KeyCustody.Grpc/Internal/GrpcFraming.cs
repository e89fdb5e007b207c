// SPDX-License-Identifier: Apache-2.0
using System.Buffers;
using System.Buffers.Binary;
using System.IO.Compression;
using System.IO.Pipelines;

namespace KeyCustody.Grpc.Internal;

/// <summary>
/// gRPC's length-prefixed messages: a 1-byte compressed flag, a 4-byte big-endian length, then the payload
/// ("Length-Prefixed-Message" in https://github.com/grpc/grpc/blob/master/doc/PROTOCOL-HTTP2.md).
/// </summary>
internal static class GrpcFraming
{
    public const int HeaderSize = 5;

    /// <summary>Writes the 5-byte prefix for a payload of <paramref name="length"/> bytes.</summary>
    public static void WriteHeader(Span<byte> destination, bool compressed, int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        destination[0] = compressed ? (byte)1 : (byte)0;
        BinaryPrimitives.WriteUInt32BigEndian(destination[1..], (uint)length);
    }

    /// <summary>Returns prefix + payload as one array.</summary>
    public static byte[] Frame(ReadOnlySpan<byte> payload, bool compressed = false)
    {
        byte[] framed = new byte[HeaderSize + payload.Length];
        WriteHeader(framed, compressed, payload.Length);
        payload.CopyTo(framed.AsSpan(HeaderSize));
        return framed;
    }

    /// <summary>
    /// Takes one whole message off the front of <paramref name="buffer"/>. Returns false when more bytes are
    /// needed. Throws <see cref="RpcException"/> as soon as the prefix shows a bad flag or an oversize length,
    /// so an oversize message is never buffered.
    /// </summary>
    public static bool TryReadFrame(ref ReadOnlySequence<byte> buffer, int maxMessageSize, out bool compressed, out ReadOnlySequence<byte> payload)
    {
        compressed = false;
        payload = default;
        if (buffer.Length < HeaderSize)
        {
            return false;
        }

        Span<byte> header = stackalloc byte[HeaderSize];
        buffer.Slice(0, HeaderSize).CopyTo(header);
        compressed = header[0] switch
        {
            0 => false,
            1 => true,
            _ => throw new RpcException(StatusCode.Internal, $"Invalid compressed flag {header[0]} in message prefix (must be 0 or 1)."),
        };
        uint length = BinaryPrimitives.ReadUInt32BigEndian(header[1..]);
        if (length > (uint)maxMessageSize)
        {
            throw new RpcException(StatusCode.ResourceExhausted,
                $"Received message larger than max ({length} vs. {maxMessageSize}).");
        }

        if (buffer.Length - HeaderSize < length)
        {
            return false;
        }

        payload = buffer.Slice(HeaderSize, length);
        buffer = buffer.Slice(HeaderSize + length);
        return true;
    }

    /// <summary>
    /// Reads the next message from <paramref name="reader"/>. Returns null at a clean end of stream (no partial
    /// bytes). Throws <see cref="RpcException"/> for a truncated message, a bad flag, an oversize message, a
    /// compressed message without an encoding, or bad gzip data.
    /// </summary>
    public static async ValueTask<byte[]?> ReadMessageAsync(PipeReader reader, int maxMessageSize, string? encoding, CancellationToken cancellationToken)
    {
        while (true)
        {
            ReadResult result = await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            ReadOnlySequence<byte> buffer = result.Buffer;
            bool consumedFrame = false;
            try
            {
                if (TryReadFrame(ref buffer, maxMessageSize, out bool compressed, out ReadOnlySequence<byte> payload))
                {
                    consumedFrame = true;
                    if (!compressed)
                    {
                        return payload.ToArray();
                    }

                    if (encoding is null || encoding == GrpcProtocol.Identity)
                    {
                        throw new RpcException(StatusCode.Internal,
                            "Message has the compressed flag set but grpc-encoding is identity or absent.");
                    }

                    if (encoding != GrpcProtocol.Gzip)
                    {
                        throw new RpcException(StatusCode.Unimplemented, $"Unsupported grpc-encoding '{encoding}'.");
                    }

                    return Decompress(payload, maxMessageSize);
                }

                if (result.IsCompleted)
                {
                    if (result.Buffer.IsEmpty)
                    {
                        return null;
                    }

                    throw new RpcException(StatusCode.Internal,
                        $"Incomplete message: the stream ended inside a message ({result.Buffer.Length} bytes of a partial frame).");
                }

                if (result.IsCanceled)
                {
                    throw new OperationCanceledException(cancellationToken);
                }
            }
            finally
            {
                // Consume the frame when one was taken; otherwise mark everything examined so the next read waits
                // for more data instead of returning the same bytes.
                if (consumedFrame)
                {
                    reader.AdvanceTo(buffer.Start);
                }
                else
                {
                    reader.AdvanceTo(result.Buffer.Start, result.Buffer.End);
                }
            }
        }
    }

    /// <summary>Gzip-decompresses a message, failing with RESOURCE_EXHAUSTED past <paramref name="maxMessageSize"/> (a zip bomb stops there).</summary>
    public static byte[] Decompress(ReadOnlySequence<byte> payload, int maxMessageSize)
    {
        try
        {
            using var input = new MemoryStream(payload.ToArray(), writable: false);
            using var gzip = new GZipStream(input, CompressionMode.Decompress);
            using var output = new MemoryStream();
            byte[] chunk = ArrayPool<byte>.Shared.Rent(16 * 1024);
            try
            {
                int read;
                while ((read = gzip.Read(chunk, 0, chunk.Length)) > 0)
                {
                    if (output.Length + read > maxMessageSize)
                    {
                        throw new RpcException(StatusCode.ResourceExhausted,
                            $"Received message larger than max after decompression (more than {maxMessageSize} bytes).");
                    }

                    output.Write(chunk, 0, read);
                }
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(chunk);
            }

            return output.ToArray();
        }
        catch (InvalidDataException)
        {
            throw new RpcException(StatusCode.Internal, "Message could not be decompressed: invalid gzip data.");
        }
    }

    /// <summary>Gzip-compresses a message payload.</summary>
    public static byte[] Compress(ReadOnlySpan<byte> payload)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true))
        {
            gzip.Write(payload);
        }

        return output.ToArray();
    }
}
