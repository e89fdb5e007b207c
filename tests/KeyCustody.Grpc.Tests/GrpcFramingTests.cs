// SPDX-License-Identifier: Apache-2.0
using System.Buffers;
using System.IO.Pipelines;
using KeyCustody.Grpc.Internal;
using Xunit;

namespace KeyCustody.Grpc.Tests;

public sealed class GrpcFramingTests
{
    private const int Max = 1024;

    [Fact]
    public void Frame_Payload_PrefixesFlagAndBigEndianLength()
    {
        // Arrange
        byte[] payload = [0xAA, 0xBB, 0xCC];

        // Act
        byte[] framed = GrpcFraming.Frame(payload);
        byte[] compressed = GrpcFraming.Frame(payload, compressed: true);

        // Assert
        Assert.Equal(new byte[] { 0, 0, 0, 0, 3, 0xAA, 0xBB, 0xCC }, framed);
        Assert.Equal(1, compressed[0]);
    }

    [Fact]
    public void WriteHeader_LargeLength_IsBigEndian()
    {
        // Arrange
        byte[] header = new byte[5];

        // Act
        GrpcFraming.WriteHeader(header, compressed: false, 0x01020304);

        // Assert
        Assert.Equal(new byte[] { 0, 1, 2, 3, 4 }, header);
    }

    [Fact]
    public void TryReadFrame_TwoFramesInOneBuffer_ReadsBothAndLeavesRest()
    {
        // Arrange
        byte[] data = [.. GrpcFraming.Frame([1, 2]), .. GrpcFraming.Frame([3]), 0, 0];
        var buffer = new ReadOnlySequence<byte>(data);

        // Act
        bool first = GrpcFraming.TryReadFrame(ref buffer, Max, out _, out ReadOnlySequence<byte> a);
        byte[] firstPayload = a.ToArray();
        bool second = GrpcFraming.TryReadFrame(ref buffer, Max, out _, out ReadOnlySequence<byte> b);
        byte[] secondPayload = b.ToArray();
        bool third = GrpcFraming.TryReadFrame(ref buffer, Max, out _, out _);

        // Assert
        Assert.True(first);
        Assert.Equal(new byte[] { 1, 2 }, firstPayload);
        Assert.True(second);
        Assert.Equal(new byte[] { 3 }, secondPayload);
        Assert.False(third);
        Assert.Equal(2, buffer.Length);
    }

    [Fact]
    public void TryReadFrame_EmptyPayload_IsAMessage()
    {
        // Arrange
        var buffer = new ReadOnlySequence<byte>(new byte[] { 0, 0, 0, 0, 0 });

        // Act
        bool ok = GrpcFraming.TryReadFrame(ref buffer, Max, out bool compressed, out ReadOnlySequence<byte> payload);

        // Assert
        Assert.True(ok);
        Assert.False(compressed);
        Assert.True(payload.IsEmpty);
        Assert.True(buffer.IsEmpty);
    }

    [Theory]
    [InlineData(2)]
    [InlineData(0x80)]
    [InlineData(0xFF)]
    public void TryReadFrame_BadFlag_ThrowsInternal(byte flag)
    {
        // Arrange
        var buffer = new ReadOnlySequence<byte>(new byte[] { flag, 0, 0, 0, 1, 9 });

        // Act
        var error = Assert.Throws<RpcException>(() => GrpcFraming.TryReadFrame(ref buffer, Max, out _, out _));

        // Assert
        Assert.Equal(StatusCode.Internal, error.StatusCode);
    }

    [Fact]
    public void TryReadFrame_OversizePrefixOnly_ThrowsResourceExhaustedBeforeThePayloadArrives()
    {
        // Arrange
        var buffer = new ReadOnlySequence<byte>(new byte[] { 0, 0xFF, 0xFF, 0xFF, 0xFF });

        // Act
        var error = Assert.Throws<RpcException>(() => GrpcFraming.TryReadFrame(ref buffer, Max, out _, out _));

        // Assert
        Assert.Equal(StatusCode.ResourceExhausted, error.StatusCode);
    }

    [Fact]
    public void TryReadFrame_ExactlyMax_IsAccepted()
    {
        // Arrange
        var buffer = new ReadOnlySequence<byte>(GrpcFraming.Frame(new byte[Max]));

        // Act
        bool ok = GrpcFraming.TryReadFrame(ref buffer, Max, out _, out ReadOnlySequence<byte> payload);

        // Assert
        Assert.True(ok);
        Assert.Equal(Max, payload.Length);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(7)]
    public async Task ReadMessageAsync_PartialWrites_ReassemblesMessages(int chunkSize)
    {
        // Arrange
        var pipe = new Pipe();
        byte[] first = [.. Enumerable.Range(0, 40).Select(i => (byte)i)];
        byte[] stream = [.. GrpcFraming.Frame(first), .. GrpcFraming.Frame([42])];
        Task writer = Task.Run(async () =>
        {
            for (int i = 0; i < stream.Length; i += chunkSize)
            {
                await pipe.Writer.WriteAsync(stream.AsMemory(i, Math.Min(chunkSize, stream.Length - i)));
            }

            await pipe.Writer.CompleteAsync();
        });

        // Act
        byte[]? a = await GrpcFraming.ReadMessageAsync(pipe.Reader, Max, null, CancellationToken.None);
        byte[]? b = await GrpcFraming.ReadMessageAsync(pipe.Reader, Max, null, CancellationToken.None);
        byte[]? end = await GrpcFraming.ReadMessageAsync(pipe.Reader, Max, null, CancellationToken.None);
        await writer;

        // Assert
        Assert.Equal(first, a);
        Assert.Equal(new byte[] { 42 }, b);
        Assert.Null(end);
    }

    [Theory]
    [InlineData(new byte[] { 0 })]
    [InlineData(new byte[] { 0, 0, 0, 0 })]
    [InlineData(new byte[] { 0, 0, 0, 0, 4, 1, 2, 3 })]
    public async Task ReadMessageAsync_StreamEndsInsideFrame_ThrowsInternal(byte[] data)
    {
        // Arrange
        var pipe = new Pipe();
        await pipe.Writer.WriteAsync(data);
        await pipe.Writer.CompleteAsync();

        // Act
        var error = await Assert.ThrowsAsync<RpcException>(() => GrpcFraming.ReadMessageAsync(pipe.Reader, Max, null, CancellationToken.None).AsTask());

        // Assert
        Assert.Equal(StatusCode.Internal, error.StatusCode);
        Assert.Contains("Incomplete", error.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReadMessageAsync_CompressedWithGzip_Decompresses()
    {
        // Arrange
        byte[] original = [.. Enumerable.Repeat((byte)'k', 500)];
        var pipe = new Pipe();
        await pipe.Writer.WriteAsync(GrpcFraming.Frame(GrpcFraming.Compress(original), compressed: true));
        await pipe.Writer.CompleteAsync();

        // Act
        byte[]? message = await GrpcFraming.ReadMessageAsync(pipe.Reader, Max, "gzip", CancellationToken.None);

        // Assert
        Assert.Equal(original, message);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("identity")]
    public async Task ReadMessageAsync_CompressedFlagWithoutEncoding_ThrowsInternal(string? encoding)
    {
        // Arrange
        var pipe = new Pipe();
        await pipe.Writer.WriteAsync(GrpcFraming.Frame([1, 2, 3], compressed: true));
        await pipe.Writer.CompleteAsync();

        // Act
        var error = await Assert.ThrowsAsync<RpcException>(() => GrpcFraming.ReadMessageAsync(pipe.Reader, Max, encoding, CancellationToken.None).AsTask());

        // Assert
        Assert.Equal(StatusCode.Internal, error.StatusCode);
    }

    [Fact]
    public async Task ReadMessageAsync_GzipBombOverMax_ThrowsResourceExhausted()
    {
        // Arrange
        byte[] bomb = GrpcFraming.Compress(new byte[Max * 100]);
        var pipe = new Pipe();
        await pipe.Writer.WriteAsync(GrpcFraming.Frame(bomb, compressed: true));
        await pipe.Writer.CompleteAsync();

        // Act
        var error = await Assert.ThrowsAsync<RpcException>(() => GrpcFraming.ReadMessageAsync(pipe.Reader, Max, "gzip", CancellationToken.None).AsTask());

        // Assert
        Assert.True(bomb.Length < Max);
        Assert.Equal(StatusCode.ResourceExhausted, error.StatusCode);
    }

    [Fact]
    public async Task ReadMessageAsync_InvalidGzip_ThrowsInternal()
    {
        // Arrange
        var pipe = new Pipe();
        await pipe.Writer.WriteAsync(GrpcFraming.Frame([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], compressed: true));
        await pipe.Writer.CompleteAsync();

        // Act
        var error = await Assert.ThrowsAsync<RpcException>(() => GrpcFraming.ReadMessageAsync(pipe.Reader, Max, "gzip", CancellationToken.None).AsTask());

        // Assert
        Assert.Equal(StatusCode.Internal, error.StatusCode);
    }
}
