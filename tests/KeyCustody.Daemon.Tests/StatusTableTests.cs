// SPDX-License-Identifier: Apache-2.0
using KeyCustody.Core;
using KeyCustody.Daemon.Edge;
using KeyCustody.Grpc;

namespace KeyCustody.Daemon.Tests;

public sealed class StatusTableTests
{
    public static TheoryData<CustodyStatus, StatusCode> Table => new()
    {
        { CustodyStatus.Ok, StatusCode.OK },
        { CustodyStatus.InvalidArgument, StatusCode.InvalidArgument },
        { CustodyStatus.NotFound, StatusCode.NotFound },
        { CustodyStatus.AlreadyExists, StatusCode.AlreadyExists },
        { CustodyStatus.Unauthenticated, StatusCode.Unauthenticated },
        { CustodyStatus.PermissionDenied, StatusCode.PermissionDenied },
        { CustodyStatus.Denied, StatusCode.PermissionDenied },
        { CustodyStatus.ApprovalsMissing, StatusCode.FailedPrecondition },
        { CustodyStatus.PresenceMissing, StatusCode.FailedPrecondition },
        { CustodyStatus.KeyNotActive, StatusCode.FailedPrecondition },
        { CustodyStatus.NotProvisioned, StatusCode.FailedPrecondition },
        { CustodyStatus.Expired, StatusCode.Aborted },
        { CustodyStatus.RateLimited, StatusCode.ResourceExhausted },
        { CustodyStatus.MessageTooLarge, StatusCode.ResourceExhausted },
        { CustodyStatus.HsmUnavailable, StatusCode.Unavailable },
        { CustodyStatus.TpmUnavailable, StatusCode.Unavailable },
        { CustodyStatus.AuditUnavailable, StatusCode.Unavailable },
        { CustodyStatus.AuditCorrupt, StatusCode.DataLoss },
        { CustodyStatus.AuditRolledBack, StatusCode.DataLoss },
        { CustodyStatus.BootStateChanged, StatusCode.FailedPrecondition },
        { CustodyStatus.PinIncorrect, StatusCode.FailedPrecondition },
        { CustodyStatus.PinLocked, StatusCode.FailedPrecondition },
        { CustodyStatus.DeviceFault, StatusCode.Internal },
        { CustodyStatus.TpmLockout, StatusCode.Unavailable },
        { CustodyStatus.Cancelled, StatusCode.Cancelled },
        { CustodyStatus.WrongState, StatusCode.FailedPrecondition },
        { CustodyStatus.Unsupported, StatusCode.Unimplemented },
        { CustodyStatus.Internal, StatusCode.Internal },
    };

    [Theory]
    [MemberData(nameof(Table))]
    public void ToStatusCode_EachStatus_MapsAsTheErrorModelSays(CustodyStatus status, StatusCode expected)
    {
        // Arrange
        // Act
        StatusCode code = StatusTable.ToStatusCode(status);

        // Assert
        Assert.Equal(expected, code);
    }

    [Fact]
    public void Table_CoversEveryEnumValue()
    {
        // Arrange
        var covered = Table.Select(row => (CustodyStatus)row[0]).ToHashSet();

        // Act
        CustodyStatus[] missing = Enum.GetValues<CustodyStatus>().Where(s => !covered.Contains(s)).ToArray();

        // Assert
        Assert.Empty(missing);
    }

    [Fact]
    public void ToRpcException_DomainFailure_KeepsMessageAndAddsStatusTrailer()
    {
        // Arrange
        var ex = new CustodyException(CustodyStatus.ApprovalsMissing, "2 approvals from release-officers are still needed.");

        // Act
        RpcException rpc = StatusTable.ToRpcException(ex, "ref1");

        // Assert
        Assert.Equal(StatusCode.FailedPrecondition, rpc.StatusCode);
        Assert.Equal(ex.Message, rpc.Detail);
        Assert.Equal("ApprovalsMissing", rpc.Trailers.GetValue(StatusTable.StatusTrailer));
    }

    [Fact]
    public void ToRpcException_Internal_HidesTheMessage()
    {
        // Arrange
        var ex = new CustodyException(CustodyStatus.Internal, "stack detail /var/lib/keycustody/secret");

        // Act
        RpcException rpc = StatusTable.ToRpcException(ex, "abc123");

        // Assert
        Assert.Equal(StatusCode.Internal, rpc.StatusCode);
        Assert.DoesNotContain("secret", rpc.Detail);
        Assert.Contains("abc123", rpc.Detail);
        Assert.Equal("Internal", rpc.Trailers.GetValue(StatusTable.StatusTrailer));
    }
}
