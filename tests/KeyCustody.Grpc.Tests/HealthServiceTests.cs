// SPDX-License-Identifier: Apache-2.0
using KeyCustody.Grpc.Health;
using Xunit;
using ServingStatus = KeyCustody.Grpc.Health.V1.HealthCheckResponse.Types.ServingStatus;

namespace KeyCustody.Grpc.Tests;

public sealed class HealthServiceTests
{
    [Fact]
    public void Constructor_Default_OverallServing()
    {
        // Arrange / Act
        var health = new HealthService();

        // Assert
        Assert.Equal(ServingStatus.Serving, health.GetStatus(string.Empty));
        Assert.Null(health.GetStatus("unknown"));
    }

    [Fact]
    public void SetStatus_ThenClear_ForgetsService()
    {
        // Arrange
        var health = new HealthService(ServingStatus.NotServing);

        // Act
        health.SetStatus("svc", ServingStatus.Serving);
        ServingStatus? set = health.GetStatus("svc");
        bool cleared = health.ClearStatus("svc");
        bool clearedAgain = health.ClearStatus("svc");

        // Assert
        Assert.Equal(ServingStatus.NotServing, health.GetStatus(string.Empty));
        Assert.Equal(ServingStatus.Serving, set);
        Assert.True(cleared);
        Assert.False(clearedAgain);
        Assert.Null(health.GetStatus("svc"));
    }

    [Fact]
    public void AddTo_Registry_RegistersCheckAndWatch()
    {
        // Arrange
        var registry = new GrpcServiceRegistry();

        // Act
        new HealthService().AddTo(registry);

        // Assert
        Assert.Equal(new[] { HealthService.CheckMethod, HealthService.WatchMethod }.Order(), registry.MethodNames.Order());
    }

    [Fact]
    public void EnterShutdown_AllNotServingAndLaterChangesIgnored()
    {
        // Arrange
        var health = new HealthService();
        health.SetStatus("svc", ServingStatus.Serving);

        // Act
        health.EnterShutdown();
        health.SetStatus("svc", ServingStatus.Serving);

        // Assert
        Assert.Equal(ServingStatus.NotServing, health.GetStatus(string.Empty));
        Assert.Equal(ServingStatus.NotServing, health.GetStatus("svc"));
    }
}
