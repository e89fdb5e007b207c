// SPDX-License-Identifier: Apache-2.0
using System.Runtime.CompilerServices;
using KeyCustody.Grpc.Client;
using KeyCustody.Grpc.Health.V1;
using ServingStatus = KeyCustody.Grpc.Health.V1.HealthCheckResponse.Types.ServingStatus;

namespace KeyCustody.Grpc.Health;

/// <summary>Typed client for grpc.health.v1.Health.</summary>
/// <param name="channel">The channel to the server.</param>
public sealed class HealthClient(GrpcChannel channel)
{
    /// <summary>The status of <paramref name="service"/> ("" = the whole server). Unknown services fail with NOT_FOUND.</summary>
    public async Task<ServingStatus> CheckAsync(string service = "", CallOptions options = default)
    {
        HealthCheckResponse response = await channel.UnaryAsync(
            HealthService.CheckMethod, new HealthCheckRequest { Service = service }, HealthCheckResponse.Parser, options).ConfigureAwait(false);
        return response.Status;
    }

    /// <summary>The current status of <paramref name="service"/>, then each change, until cancelled or the deadline.</summary>
    public async IAsyncEnumerable<ServingStatus> WatchAsync(
        string service = "", CallOptions options = default, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ServerStreamingCall<HealthCheckResponse> call = channel.ServerStreamingAsync(
            HealthService.WatchMethod, new HealthCheckRequest { Service = service }, HealthCheckResponse.Parser, options);
        await foreach (HealthCheckResponse response in call.WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            yield return response.Status;
        }
    }
}
