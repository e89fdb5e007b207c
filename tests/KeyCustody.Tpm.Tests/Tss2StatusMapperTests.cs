// SPDX-License-Identifier: Apache-2.0
using KeyCustody.Core;
using Xunit;

namespace KeyCustody.Tpm.Tests;

public sealed class Tss2StatusMapperTests
{
    [Theory]
    [InlineData(0x000A000Au, CustodyStatus.TpmUnavailable)] // TSS2_TCTI_RC_IO_ERROR: connection refused
    [InlineData(0x000A0008u, CustodyStatus.TpmUnavailable)] // TSS2_TCTI_RC_NO_CONNECTION
    [InlineData(0x00060031u, CustodyStatus.TpmUnavailable)] // TSS2_FAPI_RC_NO_TPM
    [InlineData(0x00070007u, CustodyStatus.TpmUnavailable)] // TSS2_ESYS_RC_BAD_SEQUENCE after a lost connection
    [InlineData(0x00000921u, CustodyStatus.TpmLockout)]     // TPM_RC_LOCKOUT
    [InlineData(0x0000099Du, CustodyStatus.BootStateChanged)] // TPM_RC_POLICY_FAIL on session 1
    [InlineData(0x00000928u, CustodyStatus.BootStateChanged)] // TPM_RC_PCR_CHANGED
    [InlineData(0x0000098Eu, CustodyStatus.PermissionDenied)] // TPM_RC_AUTH_FAIL on session 1
    [InlineData(0x000001DFu, CustodyStatus.NotProvisioned)]  // TPM_RC_INTEGRITY on parameter 1: foreign blob
    [InlineData(0x0000014Au, CustodyStatus.NotProvisioned)]  // TPM_RC_NV_UNINITIALIZED
    [InlineData(0x00000902u, CustodyStatus.TpmUnavailable)]  // TPM_RC_OBJECT_MEMORY
    [InlineData(0x00060020u, CustodyStatus.NotFound)]        // TSS2_FAPI_RC_KEY_NOT_FOUND
    [InlineData(0x00060024u, CustodyStatus.NotFound)]        // TSS2_FAPI_RC_PATH_NOT_FOUND
    [InlineData(0x00060034u, CustodyStatus.NotProvisioned)]  // TSS2_FAPI_RC_NOT_PROVISIONED
    [InlineData(0x0006001Fu, CustodyStatus.AlreadyExists)]   // TSS2_FAPI_RC_PATH_ALREADY_EXISTS
    [InlineData(0x00060021u, CustodyStatus.DeviceFault)]     // TSS2_FAPI_RC_SIGNATURE_VERIFICATION_FAILED
    [InlineData(0x00000101u, CustodyStatus.DeviceFault)]     // TPM_RC_FAILURE
    [InlineData(0x00060001u, CustodyStatus.Internal)]        // TSS2_FAPI_RC_GENERAL_FAILURE
    public void Map_KnownCode_ReturnsStatus(uint rc, CustodyStatus expected)
    {
        // Arrange
        // (the code comes from the theory data)

        // Act
        CustodyStatus status = Tss2StatusMapper.Map(rc);

        // Assert
        Assert.Equal(expected, status);
    }

    [Theory]
    [InlineData(0x000001C4u, true)]  // TPM_RC_VALUE on parameter 1: what TPM2_PolicyPCR returns for a changed PCR
    [InlineData(0x0000099Du, true)]  // TPM_RC_POLICY_FAIL
    [InlineData(0x00000126u, true)]  // TPM_RC_POLICY
    [InlineData(0x00000928u, true)]  // TPM_RC_PCR_CHANGED
    [InlineData(0x000001DFu, false)] // TPM_RC_INTEGRITY
    [InlineData(0x00070084u, false)] // an ESYS-layer code that happens to end in 0x084
    [InlineData(0x000A000Au, false)]
    public void IsPolicyCheckFailure_Code_ClassifiesPolicyRefusals(uint rc, bool expected)
    {
        // Arrange
        // (the code comes from the theory data)

        // Act
        bool policy = Tss2StatusMapper.IsPolicyCheckFailure(rc);

        // Assert
        Assert.Equal(expected, policy);
    }

    [Theory]
    [InlineData(0x000A000Au, true)]
    [InlineData(0x00070007u, true)]
    [InlineData(0x000001C4u, false)]
    [InlineData(0x00060020u, false)]
    public void NeedsNewContext_Code_OnlyForTransportAndSequenceErrors(uint rc, bool expected)
    {
        // Arrange
        // (the code comes from the theory data)

        // Act
        bool reset = Tss2StatusMapper.NeedsNewContext(rc);

        // Assert
        Assert.Equal(expected, reset);
    }

    [Fact]
    public void ToCustodyException_TransportError_KeepsTheCodeAndIsTransient()
    {
        // Arrange
        var native = new Tss2Exception("Fapi_Unseal", 0x000A000A);

        // Act
        CustodyException error = Tss2StatusMapper.ToCustodyException(native, "Unsealing 'hsm-pin'");

        // Assert
        Assert.Equal(CustodyStatus.TpmUnavailable, error.Status);
        Assert.True(error.IsTransient);
        Assert.Contains("0x000A000A", error.Message);
        Assert.Same(native, error.InnerException);
    }
}
