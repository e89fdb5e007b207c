// SPDX-License-Identifier: Apache-2.0
using Xunit;

namespace KeyCustody.Tpm.Tests;

public sealed class Tss2ReturnCodeTests
{
    [Theory]
    [InlineData(0x000001C4u, 0x084u)] // TPM_RC_VALUE + parameter 1
    [InlineData(0x0000099Du, 0x09Du)] // TPM_RC_POLICY_FAIL + session 1
    [InlineData(0x00000921u, 0x921u)] // warning, format 0
    [InlineData(0x0000014Au, 0x14Au)] // error, format 0
    [InlineData(0x000C0921u, 0x921u)] // relayed by a resource manager
    [InlineData(0x00060020u, 0x000u)] // not a TPM code
    public void NormalizeTpm_Code_StripsPosition(uint rc, uint expected)
    {
        // Arrange
        // (the code comes from the theory data)

        // Act
        uint normalized = Tss2ReturnCode.NormalizeTpm(rc);

        // Assert
        Assert.Equal(expected, normalized);
    }

    [Fact]
    public void Tss2Exception_FapiCode_RendersFunctionCodeAndLayer()
    {
        // Arrange
        const uint keyNotFound = 0x00060020;

        // Act
        var error = new Tss2Exception("Fapi_Unseal", keyNotFound);

        // Assert
        Assert.Equal(Tss2Layer.Fapi, error.Layer);
        Assert.StartsWith("Fapi_Unseal returned 0x00060020 (fapi:", error.Message);
        Assert.Equal("0x00060020", error.Code);
    }

    [Fact]
    public void Describe_WithLibtss2Rc_AgreesWithOurLayerName()
    {
        // Arrange
        uint[] codes = [0x00060020, 0x000A000A, 0x00000921, 0x00070007];

        // Act
        string[] native = codes.Select(Tss2ReturnCode.Describe).ToArray();
        string[] managed = codes.Select(Tss2ReturnCode.DescribeManaged).ToArray();

        // Assert
        for (int i = 0; i < codes.Length; i++)
        {
            Assert.Equal(native[i].Split(':')[0], managed[i].Split(':')[0]);
        }

        Assert.Contains("lockout", managed[2], StringComparison.OrdinalIgnoreCase);
    }
}
