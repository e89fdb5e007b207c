// SPDX-License-Identifier: Apache-2.0
using System.Threading.Channels;
using KeyCustody.Grpc.Health.V1;
using ServingStatus = KeyCustody.Grpc.Health.V1.HealthCheckResponse.Types.ServingStatus;

namespace KeyCustody.Grpc.Health;

/// <summary>
/// The standard gRPC health service (grpc.health.v1.Health, https://github.com/grpc/grpc/blob/master/doc/health-checking.md).
/// Check answers the current status (NOT_FOUND for an unknown service); Watch sends the current status, then
/// every change, until the caller goes away. The service name "" is the server as a whole.
/// </summary>
public sealed class HealthService
{
    /// <summary>Full name of the Check method.</summary>
    public const string CheckMethod = "/grpc.health.v1.Health/Check";

    /// <summary>Full name of the Watch method.</summary>
    public const string WatchMethod = "/grpc.health.v1.Health/Watch";

    private readonly Lock _lock = new();
    private readonly Dictionary<string, ServingStatus> _statuses = new(StringComparer.Ordinal);
    private readonly List<Watcher> _watchers = [];
    private bool _shuttingDown;

    /// <summary>Creates the service with the overall ("") status <paramref name="overall"/>.</summary>
    public HealthService(ServingStatus overall = ServingStatus.Serving)
    {
        _statuses[string.Empty] = overall;
    }

    /// <summary>Sets the status of <paramref name="service"/> ("" for the whole server) and notifies watchers. Ignored after <see cref="EnterShutdown"/>.</summary>
    public void SetStatus(string service, ServingStatus status)
    {
        ArgumentNullException.ThrowIfNull(service);
        lock (_lock)
        {
            if (_shuttingDown)
            {
                return;
            }

            _statuses[service] = status;
            Notify(service, status);
        }
    }

    /// <summary>Forgets <paramref name="service"/>: Check answers NOT_FOUND, watchers see SERVICE_UNKNOWN.</summary>
    public bool ClearStatus(string service)
    {
        ArgumentNullException.ThrowIfNull(service);
        lock (_lock)
        {
            if (_shuttingDown || !_statuses.Remove(service))
            {
                return false;
            }

            Notify(service, ServingStatus.ServiceUnknown);
            return true;
        }
    }

    /// <summary>The current status of <paramref name="service"/>, or null when unknown.</summary>
    public ServingStatus? GetStatus(string service)
    {
        lock (_lock)
        {
            return _statuses.TryGetValue(service, out ServingStatus status) ? status : null;
        }
    }

    /// <summary>Marks every service NOT_SERVING and ignores later changes, so load balancers drain before the server stops.</summary>
    public void EnterShutdown()
    {
        lock (_lock)
        {
            _shuttingDown = true;
            foreach (string service in _statuses.Keys.ToArray())
            {
                _statuses[service] = ServingStatus.NotServing;
                Notify(service, ServingStatus.NotServing);
            }
        }
    }

    /// <summary>Registers Check and Watch in <paramref name="registry"/>.</summary>
    public void AddTo(GrpcServiceRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(registry);
        registry.AddUnary<HealthCheckRequest, HealthCheckResponse>(CheckMethod, HealthCheckRequest.Parser, CheckAsync);
        registry.AddServerStreaming<HealthCheckRequest, HealthCheckResponse>(WatchMethod, HealthCheckRequest.Parser, WatchAsync);
    }

    private Task<HealthCheckResponse> CheckAsync(HealthCheckRequest request, ServerCallContext context)
    {
        ServingStatus? status = GetStatus(request.Service);
        return status is { } known
            ? Task.FromResult(new HealthCheckResponse { Status = known })
            : throw new RpcException(StatusCode.NotFound, $"Unknown service '{request.Service}'.");
    }

    private async Task WatchAsync(HealthCheckRequest request, IServerStreamWriter<HealthCheckResponse> writer, ServerCallContext context)
    {
        // Only the latest status matters to a watcher, so a slow reader skips intermediate ones.
        var watcher = new Watcher(request.Service, Channel.CreateBounded<ServingStatus>(
            new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true }));
        lock (_lock)
        {
            _watchers.Add(watcher);
            watcher.Updates.Writer.TryWrite(_statuses.TryGetValue(request.Service, out ServingStatus current) ? current : ServingStatus.ServiceUnknown);
        }

        try
        {
            ServingStatus? last = null;
            await foreach (ServingStatus status in watcher.Updates.Reader.ReadAllAsync(context.CancellationToken).ConfigureAwait(false))
            {
                if (status != last)
                {
                    await writer.WriteAsync(new HealthCheckResponse { Status = status }, context.CancellationToken).ConfigureAwait(false);
                    last = status;
                }
            }
        }
        finally
        {
            lock (_lock)
            {
                _watchers.Remove(watcher);
            }
        }
    }

    private void Notify(string service, ServingStatus status)
    {
        foreach (Watcher watcher in _watchers)
        {
            if (watcher.Service == service)
            {
                watcher.Updates.Writer.TryWrite(status);
            }
        }
    }

    private sealed record Watcher(string Service, Channel<ServingStatus> Updates);
}
