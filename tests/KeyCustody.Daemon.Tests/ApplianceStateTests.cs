// SPDX-License-Identifier: Apache-2.0
using KeyCustody.Core;
using KeyCustody.Daemon.Hosting;

namespace KeyCustody.Daemon.Tests;

public sealed class ApplianceStateTests
{
    [Fact]
    public void RequireServing_WhileStarting_IsTransientlyUnavailable()
    {
        // Arrange
        var state = new ApplianceState();

        // Act
        CustodyException ex = Assert.Throws<CustodyException>(state.RequireServing);

        // Assert
        Assert.Equal(CustodyStatus.HsmUnavailable, ex.Status);
        Assert.True(ex.IsTransient);
    }

    [Fact]
    public void RequireServing_NotServing_FailsWithTheReasonsStatusAndText()
    {
        // Arrange
        var state = new ApplianceState();
        state.SetNotServing(CustodyStatus.BootStateChanged, "PCR 23 changed");

        // Act
        CustodyException ex = Assert.Throws<CustodyException>(state.RequireServing);

        // Assert
        Assert.Equal(CustodyStatus.BootStateChanged, ex.Status);
        Assert.Contains("PCR 23 changed", ex.Message);
        Assert.Equal(ApplianceHealth.NotServing, state.Health);
    }

    [Fact]
    public void SetNotServing_Twice_KeepsTheFirstReason()
    {
        // Arrange
        var state = new ApplianceState();
        state.SetNotServing(CustodyStatus.AuditRolledBack, "rolled back");

        // Act
        state.SetNotServing(CustodyStatus.HsmUnavailable, "later failure");

        // Assert
        Assert.Equal(CustodyStatus.AuditRolledBack, state.ReasonStatus);
        Assert.Equal("rolled back", state.Reason);
    }

    [Fact]
    public void SetServing_RaisesChangedAndAllowsSigning()
    {
        // Arrange
        var state = new ApplianceState();
        var seen = new List<ApplianceHealth>();
        state.Changed += (health, _) => seen.Add(health);

        // Act
        state.SetServing();
        state.RequireServing();
        state.SetStopping();

        // Assert
        Assert.Equal([ApplianceHealth.Serving, ApplianceHealth.Stopping], seen);
        Assert.Throws<CustodyException>(state.RequireServing);
    }
}
