// SPDX-License-Identifier: Apache-2.0
namespace KeyCustody.Grpc;

/// <summary>Writes the messages of a server-streaming response, one at a time and in order.</summary>
/// <typeparam name="T">The response message type.</typeparam>
public interface IServerStreamWriter<in T>
{
    /// <summary>
    /// Sends <paramref name="message"/>. Throws <see cref="RpcException"/> (DEADLINE_EXCEEDED, CANCELLED,
    /// RESOURCE_EXHAUSTED) once the call is over or the message is too large; nothing is written after the deadline.
    /// </summary>
    Task WriteAsync(T message, CancellationToken cancellationToken = default);
}
