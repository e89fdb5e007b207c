// SPDX-License-Identifier: Apache-2.0
using KeyCustody.Core;
using Xunit;

namespace KeyCustody.Core.Tests;

public class CustodyExceptionTests
{
    [Fact]
    public void Constructor_OkStatus_IsRejected()
    {
        Assert.Throws<ArgumentException>(() => new CustodyException(CustodyStatus.Ok, "nothing went wrong"));
    }

    [Theory]
    [InlineData(CustodyStatus.HsmUnavailable, true)]
    [InlineData(CustodyStatus.AuditUnavailable, true)]
    [InlineData(CustodyStatus.PermissionDenied, false)]
    [InlineData(CustodyStatus.AuditRolledBack, false)]
    public void IsTransient_ByStatus_OnlyDeviceAndLimitOutcomes(CustodyStatus status, bool expected)
    {
        Assert.Equal(expected, new CustodyException(status, "x").IsTransient);
    }

    [Fact]
    public void CustodyStatus_Values_AreStableAndDistinct()
    {
        // The numeric values are stored in audit entries; renumbering would change what old entries mean.
        int[] values = Enum.GetValues<CustodyStatus>().Select(s => (int)s).ToArray();
        Assert.Equal(values.Length, values.Distinct().Count());
        Assert.Equal(0, (int)CustodyStatus.Ok);
        Assert.Equal(18, (int)CustodyStatus.AuditRolledBack);
        Assert.Equal(27, (int)CustodyStatus.Internal);
    }
}
