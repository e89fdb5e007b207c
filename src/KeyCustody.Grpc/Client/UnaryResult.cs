// SPDX-License-Identifier: Apache-2.0
namespace KeyCustody.Grpc.Client;

/// <summary>A successful unary call: the response and the metadata that came with it.</summary>
/// <typeparam name="TResponse">The response message type.</typeparam>
/// <param name="Response">The response message.</param>
/// <param name="ResponseHeaders">Custom response header metadata.</param>
/// <param name="Trailers">Custom trailer metadata.</param>
public sealed record UnaryResult<TResponse>(TResponse Response, Metadata ResponseHeaders, Metadata Trailers);
