// SPDX-License-Identifier: Apache-2.0
using System.Text;
using Xunit;

namespace KeyCustody.Governance.Tests;

public sealed class CeremonyStatementTests(SshKeygen keys) : IClassFixture<SshKeygen>
{
    private const string Nonce = "2Yx0G3nQ8vJkL1mP0oR5sT";

    [Fact]
    public void ToText_CanonicalisesParameters()
    {
        // Arrange
        var statement = new CeremonyStatement("cer-01", "generate-key", "{ \"key\": \"release\", \"algorithm\": \"ecdsa-p256\" }",
            Nonce, new DateTimeOffset(2025, 3, 1, 12, 0, 0, TimeSpan.Zero));

        // Act
        string text = statement.ToText();

        // Assert
        Assert.Equal(
            "keycustody-ceremony-v1\n"
            + "ceremony: cer-01\n"
            + "kind: generate-key\n"
            + "params: {\"algorithm\":\"ecdsa-p256\",\"key\":\"release\"}\n"
            + "nonce: 2Yx0G3nQ8vJkL1mP0oR5sT\n"
            + "expires: 2025-03-01T12:00:00Z\n",
            text);
    }

    [Fact]
    public void TryParse_CanonicalAndSpacedParams_OnlyCanonicalAccepted()
    {
        // Arrange
        var statement = new CeremonyStatement("cer-01", "change-policy", "{\"policy\":{\"b\":1,\"a\":\"multi\\nline\"}}", Nonce, DateTimeOffset.UnixEpoch);
        string spaced = statement.ToText().Replace("{\"policy\":", "{ \"policy\":");

        // Act
        bool parsed = CeremonyStatement.TryParse(statement.ToBytes(), out CeremonyStatement? back, out string? error);
        bool parsedSpaced = CeremonyStatement.TryParse(Encoding.UTF8.GetBytes(spaced), out _, out string? spacedError);

        // Assert
        Assert.True(parsed, error);
        Assert.Equal(statement, back);
        Assert.Equal(6, statement.ToText().Count(c => c == '\n'));
        Assert.False(parsedSpaced);
        Assert.Equal("the statement is not in canonical form", spacedError);
    }

    [Theory]
    [InlineData("Generate-Key")]
    [InlineData("generate--key")]
    [InlineData("generate-")]
    [InlineData("")]
    public void Constructor_BadKind_Rejected(string kind)
    {
        // Act & Assert
        Assert.Throws<ArgumentException>(() => new CeremonyStatement("cer-01", kind, "{}", Nonce, DateTimeOffset.UnixEpoch));
    }

    [Fact]
    public async Task Verify_CeremonyNamespace_VerifiesOnlyAsCeremony()
    {
        // Arrange
        byte[] bytes = new CeremonyStatement("cer-02", "enrol-member", "{\"name\":\"dave\"}", Nonce, DateTimeOffset.UnixEpoch).ToBytes();
        string armored = await keys.SignAsync("carol", bytes, CeremonyStatement.Namespace);

        // Act
        VerifiedSshSignature verified = SshSignatureVerifier.Verify(bytes, armored, SshNamespaces.Ceremony);
        var asApproval = Assert.Throws<KeyCustody.Core.CustodyException>(() => SshSignatureVerifier.Verify(bytes, armored, SshNamespaces.Approval));

        // Assert
        Assert.Equal(keys["carol"], verified.Signer);
        Assert.Equal(KeyCustody.Core.CustodyStatus.Unauthenticated, asApproval.Status);
    }
}
