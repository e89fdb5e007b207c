// SPDX-License-Identifier: Apache-2.0
using KeyCustody.Core;
using Xunit;

namespace KeyCustody.Governance.Tests;

public sealed class CanonicalJsonTests
{
    [Theory]
    [InlineData("{ \"b\": 1, \"a\": [true, false, null] }", "{\"a\":[true,false,null],\"b\":1}")]
    [InlineData("{\"z\":{\"y\":2,\"x\":1},\"A\":\"\"}", "{\"A\":\"\",\"z\":{\"x\":1,\"y\":2}}")]
    [InlineData("[ -0, 10, -7 ]", "[0,10,-7]")]
    [InlineData("\"caf\\u00e9 \\u2603\"", "\"café ☃\"")]
    [InlineData("\"line\\nbreak\\t\\u0001 \\\"q\\\" \\\\ \\/\"", "\"line\\nbreak\\t\\u0001 \\\"q\\\" \\\\ /\"")]
    [InlineData("{\"\\u00e9\":1,\"e\":2,\"f\":3}", "{\"e\":2,\"f\":3,\"é\":1}")]
    [InlineData("\"<tag> & '+'\"", "\"<tag> & '+'\"")]
    public void Canonicalize_Examples_CanonicalAndIdempotent(string input, string expected)
    {
        // Act
        string canonical = CanonicalJson.Canonicalize(input);

        // Assert
        Assert.Equal(expected, canonical);
        Assert.Equal(canonical, CanonicalJson.Canonicalize(canonical));
    }

    [Theory]
    [InlineData("{\"a\":1,\"a\":2}", "$.a appears twice")]
    [InlineData("{\"a\":1.5}", "$.a: 1.5 is not a whole number")]
    [InlineData("[1e3]", "$[0]: 1e3 is not a whole number")]
    [InlineData("{\"a\":99999999999999999999}", "is not a whole number in the 64-bit range")]
    [InlineData("{", "not valid JSON")]
    [InlineData("[\"\\ud800\"]", "$[0]: the string is not valid Unicode")]
    [InlineData("", "the document is empty")]
    public void TryCanonicalize_Refused_ReturnsReason(string input, string fragment)
    {
        // Act
        bool ok = CanonicalJson.TryCanonicalize(input, out string? canonical, out string? error);

        // Assert
        Assert.False(ok);
        Assert.Null(canonical);
        Assert.Contains(fragment, error);
    }

    [Fact]
    public void Canonicalize_Invalid_ThrowsInvalidArgument()
    {
        // Act
        var e = Assert.Throws<CustodyException>(() => CanonicalJson.Canonicalize("{\"a\":0.1}"));

        // Assert
        Assert.Equal(CustodyStatus.InvalidArgument, e.Status);
    }
}
