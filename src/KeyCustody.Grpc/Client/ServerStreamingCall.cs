// SPDX-License-Identifier: Apache-2.0
using KeyCustody.Grpc.Internal;

namespace KeyCustody.Grpc.Client;

/// <summary>
/// A server-streaming call: enumerate it (once) with <c>await foreach</c>. Enumeration ends normally when the
/// server finishes with OK and throws <see cref="RpcException"/> otherwise; breaking out early cancels the call.
/// </summary>
/// <typeparam name="TResponse">The response message type.</typeparam>
public sealed class ServerStreamingCall<TResponse> : IAsyncEnumerable<TResponse>
{
    private readonly Func<CancellationToken, Task<GrpcClientCall>> _start;
    private readonly Func<byte[], TResponse> _parse;
    private int _enumerated;

    internal ServerStreamingCall(Func<CancellationToken, Task<GrpcClientCall>> start, Func<byte[], TResponse> parse)
    {
        _start = start;
        _parse = parse;
    }

    /// <summary>Custom response header metadata; null until the response headers arrived.</summary>
    public Metadata? ResponseHeaders { get; private set; }

    /// <summary>Custom trailer metadata; null until the call finished.</summary>
    public Metadata? Trailers { get; private set; }

    /// <inheritdoc />
    public async IAsyncEnumerator<TResponse> GetAsyncEnumerator(CancellationToken cancellationToken = default)
    {
        if (Interlocked.Exchange(ref _enumerated, 1) != 0)
        {
            throw new InvalidOperationException("A server-streaming call can be enumerated only once.");
        }

        await using GrpcClientCall call = await _start(cancellationToken).ConfigureAwait(false);
        ResponseHeaders = call.ResponseHeaders;
        while (true)
        {
            byte[]? payload = await call.ReadMessageAsync().ConfigureAwait(false);
            if (payload is null)
            {
                break;
            }

            yield return _parse(payload);
        }

        Trailers = call.Trailers;
        call.ThrowIfFailed();
    }
}
