// SPDX-License-Identifier: Apache-2.0
using Google.Protobuf;
using KeyCustody.Grpc.Internal;

namespace KeyCustody.Grpc;

/// <summary>
/// The methods a <see cref="GrpcServer"/> serves, keyed by full method name ("/package.Service/Method").
/// Fill it before the server starts; it is frozen from then on.
/// </summary>
public sealed class GrpcServiceRegistry
{
    private readonly Dictionary<string, ServerMethod> _methods = new(StringComparer.Ordinal);
    private volatile bool _frozen;

    /// <summary>The registered full method names.</summary>
    public IReadOnlyCollection<string> MethodNames => _methods.Keys;

    /// <summary>Registers a unary method.</summary>
    /// <param name="fullMethodName">"/package.Service/Method", e.g. "/keycustody.v1.SigningService/Sign".</param>
    /// <param name="requestParser">Parses the request message.</param>
    /// <param name="handler">Answers one request. Throw <see cref="RpcException"/> to fail with a chosen status.</param>
    public GrpcServiceRegistry AddUnary<TRequest, TResponse>(
        string fullMethodName,
        MessageParser<TRequest> requestParser,
        Func<TRequest, ServerCallContext, Task<TResponse>> handler)
        where TRequest : IMessage<TRequest>
        where TResponse : IMessage<TResponse>
    {
        ArgumentNullException.ThrowIfNull(requestParser);
        ArgumentNullException.ThrowIfNull(handler);
        Add(new ServerMethod(fullMethodName, isServerStreaming: false, async (call, payload) =>
        {
            TRequest request = Parse(requestParser, payload);
            TResponse response = await handler(request, call.Context).ConfigureAwait(false)
                ?? throw new InvalidOperationException($"Handler for {fullMethodName} returned null.");
            await call.WriteMessageAsync(response, CancellationToken.None).ConfigureAwait(false);
        }));
        return this;
    }

    /// <summary>Registers a server-streaming method.</summary>
    /// <param name="fullMethodName">"/package.Service/Method".</param>
    /// <param name="requestParser">Parses the request message.</param>
    /// <param name="handler">Writes responses with the writer and returns when the stream is complete.</param>
    public GrpcServiceRegistry AddServerStreaming<TRequest, TResponse>(
        string fullMethodName,
        MessageParser<TRequest> requestParser,
        Func<TRequest, IServerStreamWriter<TResponse>, ServerCallContext, Task> handler)
        where TRequest : IMessage<TRequest>
        where TResponse : IMessage<TResponse>
    {
        ArgumentNullException.ThrowIfNull(requestParser);
        ArgumentNullException.ThrowIfNull(handler);
        Add(new ServerMethod(fullMethodName, isServerStreaming: true, (call, payload) =>
        {
            TRequest request = Parse(requestParser, payload);
            return handler(request, new StreamWriter<TResponse>(call), call.Context);
        }));
        return this;
    }

    internal bool TryGetMethod(string path, out ServerMethod method) => _methods.TryGetValue(path, out method!);

    internal void Freeze() => _frozen = true;

    /// <summary>True when <paramref name="name"/> looks like "/package.Service/Method".</summary>
    internal static bool IsValidMethodName(string? name)
    {
        if (name is null || name.Length < 4 || name[0] != '/')
        {
            return false;
        }

        int slash = name.IndexOf('/', 1);
        return slash > 1 && slash < name.Length - 1 && name.IndexOf('/', slash + 1) < 0 &&
            !name.Any(c => c is <= ' ' or > '~');
    }

    private void Add(ServerMethod method)
    {
        if (_frozen)
        {
            throw new InvalidOperationException("Methods cannot be added after the server has started.");
        }

        if (!IsValidMethodName(method.Name))
        {
            throw new ArgumentException($"'{method.Name}' is not a full method name like \"/package.Service/Method\".", "fullMethodName");
        }

        if (!_methods.TryAdd(method.Name, method))
        {
            throw new InvalidOperationException($"Method {method.Name} is already registered.");
        }
    }

    private static T Parse<T>(MessageParser<T> parser, byte[] payload)
        where T : IMessage<T>
    {
        try
        {
            return parser.ParseFrom(payload);
        }
        catch (InvalidProtocolBufferException)
        {
            throw new RpcException(StatusCode.Internal, "The request message could not be parsed.");
        }
    }

    private sealed class StreamWriter<T>(GrpcServerCall call) : IServerStreamWriter<T>
        where T : IMessage<T>
    {
        public Task WriteAsync(T message, CancellationToken cancellationToken = default)
        {
            ArgumentNullException.ThrowIfNull(message);
            return call.WriteMessageAsync(message, cancellationToken);
        }
    }
}
