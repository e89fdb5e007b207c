// SPDX-License-Identifier: Apache-2.0
using KeyCustody.Cli.Output;
using KeyCustody.Cli.Parsing;
using KeyCustody.Core;
using KeyCustody.Protocol.V1;
using Xunit;

namespace KeyCustody.Cli.Tests;

public sealed class ExitCodesTests
{
    [Theory]
    [InlineData(3, ExitCode.Usage)]
    [InlineData(5, ExitCode.NotFound)]
    [InlineData(7, ExitCode.PermissionDenied)]
    [InlineData(9, ExitCode.WrongState)]
    [InlineData(10, ExitCode.Expired)]
    [InlineData(14, ExitCode.Unavailable)]
    [InlineData(8, ExitCode.Unavailable)]
    [InlineData(15, ExitCode.IntegrityFailure)]
    [InlineData(16, ExitCode.Unauthenticated)]
    [InlineData(13, ExitCode.Error)]
    [InlineData(12, ExitCode.Error)]
    public void ForGrpc_EachClass_HasItsOwnCode(int grpcCode, ExitCode expected)
    {
        // Arrange / Act
        ExitCode code = ExitCodes.ForGrpc(grpcCode);

        // Assert
        Assert.Equal(expected, code);
    }

    [Fact]
    public void ForGrpc_PermissionDeniedCarryingDenied_IsDenied()
    {
        // Arrange / Act
        ExitCode code = ExitCodes.ForGrpc(7, CustodyStatus.Denied);

        // Assert
        Assert.Equal(ExitCode.Denied, code);
    }

    [Fact]
    public void ForGrpc_FailedPreconditionCarryingApprovalsMissing_StaysWrongState()
    {
        // Arrange / Act
        ExitCode code = ExitCodes.ForGrpc(9, CustodyStatus.ApprovalsMissing);

        // Assert
        Assert.Equal(ExitCode.WrongState, code);
    }

    [Fact]
    public void ExitCodes_AreDistinctPerClass()
    {
        // Arrange
        int[] values = Enum.GetValues<ExitCode>().Select(c => (int)c).ToArray();

        // Act / Assert
        Assert.Equal(values.Length, values.Distinct().Count());
        Assert.All(values, v => Assert.InRange(v, 0, 125));
    }

    [Theory]
    [InlineData(SigningRequestState.Signed, ExitCode.Success)]
    [InlineData(SigningRequestState.Denied, ExitCode.Denied)]
    [InlineData(SigningRequestState.Expired, ExitCode.Expired)]
    [InlineData(SigningRequestState.Cancelled, ExitCode.Cancelled)]
    [InlineData(SigningRequestState.Failed, ExitCode.SigningFailed)]
    public void ForState_TerminalStates_MapToOutcome(SigningRequestState state, ExitCode expected)
    {
        // Arrange / Act
        ExitCode code = ExitCodes.ForState(state);

        // Assert
        Assert.Equal(expected, code);
        Assert.True(SchemeText.IsTerminal(state));
    }

    [Theory]
    [InlineData("6", CustodyStatus.Denied)]
    [InlineData("Denied", CustodyStatus.Denied)]
    [InlineData("PERMISSION_DENIED", CustodyStatus.PermissionDenied)]
    [InlineData("approvals_missing", CustodyStatus.ApprovalsMissing)]
    public void TryParseCustodyStatus_NameOrNumber_Parses(string text, CustodyStatus expected)
    {
        // Arrange / Act
        bool ok = ExitCodes.TryParseCustodyStatus(text, out CustodyStatus status);

        // Assert
        Assert.True(ok);
        Assert.Equal(expected, status);
    }

    [Theory]
    [InlineData("")]
    [InlineData("0")]
    [InlineData("Ok")]
    [InlineData("999")]
    [InlineData("-1")]
    [InlineData("Bogus")]
    public void TryParseCustodyStatus_Unknown_ReturnsFalse(string text)
    {
        // Arrange / Act
        bool ok = ExitCodes.TryParseCustodyStatus(text, out _);

        // Assert
        Assert.False(ok);
    }

    [Fact]
    public void GrpcName_KnownAndUnknown_AreSpelledCanonically()
    {
        // Arrange / Act / Assert
        Assert.Equal("PERMISSION_DENIED", ExitCodes.GrpcName(7));
        Assert.Equal("UNAUTHENTICATED", ExitCodes.GrpcName(16));
        Assert.Equal("CODE_42", ExitCodes.GrpcName(42));
    }
}
