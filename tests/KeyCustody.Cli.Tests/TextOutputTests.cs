// SPDX-License-Identifier: Apache-2.0
using Google.Protobuf;
using KeyCustody.Cli.Commands;
using KeyCustody.Cli.Output;
using KeyCustody.Cli.Parsing;
using KeyCustody.Protocol.V1;
using Xunit;

namespace KeyCustody.Cli.Tests;

public sealed class TextOutputTests
{
    private static SigningRequest Request(string id, SigningRequestState state) => new()
    {
        RequestId = id,
        Key = "dev-release",
        Digest = new Digest { Algorithm = DigestAlgorithm.Sha256, Value = ByteString.CopyFrom(Enumerable.Range(0, 32).Select(i => (byte)i).ToArray()) },
        PolicyVersion = 3,
        State = state,
        ApprovalsRequired = 2,
        ApprovalsReceived = 2,
        Requester = new Identity { Subject = "CN=ci-build" },
        Metadata = new ArtifactMetadata { Name = "app.deb", Version = "1.2.0" },
        PresenceCode = state == SigningRequestState.PresenceActive ? "4821" : string.Empty,
    };

    [Fact]
    public void TextTable_PadsColumnsAndNeutralisesControlCharacters()
    {
        // Arrange
        var table = new TextTable("A", "LONGER");
        table.AddRow("xyz", "1");
        table.AddRow("evil\u001b[2J", null);

        // Act
        string text = table.ToString();

        // Assert
        Assert.Equal("A         LONGER\nxyz       1\nevil?[2J\n", text);
    }

    [Fact]
    public void PendingTable_ShowsWhichRequestOwnsTheButtonAndItsCode()
    {
        // Arrange
        PendingRequest[] pending =
        [
            new() { Request = Request("r-1", SigningRequestState.PresenceActive), OwnsButton = true },
            new() { Request = Request("r-2", SigningRequestState.AwaitingPresence) },
        ];

        // Act
        string text = RequestText.PendingTable(pending);

        // Assert
        string[] lines = text.Split('\n');
        Assert.StartsWith("ID", lines[0]);
        Assert.Contains("CN=ci-build", lines[1]);
        Assert.Contains("app.deb 1.2.0", lines[1]);
        Assert.Contains("sha256:00010203…1c1d1e1f", lines[1]);
        Assert.Contains("NOW code 4821", lines[1]);
        Assert.Contains("queued", lines[2]);
        Assert.Contains("the next short press confirms r-1 (code 4821); a long press denies it", text);
    }

    [Fact]
    public void PendingTable_Empty_SaysSo()
    {
        // Arrange / Act
        string text = RequestText.PendingTable([]);

        // Assert
        Assert.Equal("no pending requests\n", text);
    }

    [Fact]
    public void Details_ListsFullDigestApprovalsAndButton()
    {
        // Arrange
        SigningRequest request = Request("r-1", SigningRequestState.PresenceActive);
        request.Approvals.Add(new ApprovalRecord { Officer = "alice", Approve = true, SshKeyFingerprint = "SHA256:abc" });

        // Act
        string text = RequestText.Details(request, ownsButton: true);

        // Assert
        Assert.Contains("sha256:000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f", text);
        Assert.Contains("approved by alice (SHA256:abc)", text);
        Assert.Contains("code 4821", text);
        Assert.Contains("dev-release (policy v3)", text);
    }

    [Fact]
    public void Statement_IndentsEachLineAndNamesNamespace()
    {
        // Arrange
        var statement = new ApprovalStatement { Namespace = "keycustody-approval", Statement = ByteString.CopyFromUtf8("line one\nline two\n") };

        // Act
        string text = RequestText.Statement(statement, "title");

        // Assert
        Assert.Equal("title (namespace keycustody-approval):\n    line one\n    line two\n", text);
    }

    [Theory]
    [InlineData(SigningRequestState.AwaitingApprovals, "approved r-1 as bob: approvals 2/2")]
    [InlineData(SigningRequestState.PresenceActive, "approved r-1 as bob: quorum met; press the button on the appliance, code 4821")]
    public void ApprovalSummary_SaysWhatTheApprovalDid(SigningRequestState state, string expected)
    {
        // Arrange
        SigningRequest request = Request("r-1", state);

        // Act
        string line = ApprovalCommands.Summary(deny: false, "bob", request);

        // Assert
        Assert.Equal(expected, line);
    }

    [Theory]
    [InlineData("""{"version":3,"key":"dev-release","approvals":{"required":2,"group":"officers"},"presence":{"required":true}}""", "", true)]
    [InlineData("""{"version":1,"key":"k","presence":{"required":true,"window":"1m"}}""", "low", true)]
    [InlineData("""{"version":1,"key":"k","approvals":{"required":0},"presence":{"required":false}}""", "high", false)]
    [InlineData("""{"version":1,"key":"dev-low","allowedCallers":[{"subject":"CN=ci"}]}""", "", false)]
    [InlineData("""{"something":"else"}""", "low", false)]
    [InlineData("""{"something":"else"}""", "", null)]
    [InlineData("not json", "high", true)]
    public void KeyPolicyHints_ReadsQuorumAndPresence(string policyJson, string riskTier, bool? expected)
    {
        // Arrange
        var key = new Key { Name = "k", PolicyJson = policyJson, RiskTier = riskTier };

        // Act
        bool? needs = KeyPolicyHints.NeedsGovernance(key);

        // Assert
        Assert.Equal(expected, needs);
    }

    [Fact]
    public void EnumName_IsTheProtoJsonSpelling()
    {
        // Arrange / Act
        string state = JsonOutput.EnumName(SigningRequestState.PresenceActive);
        string scheme = JsonOutput.EnumName(SignatureScheme.EcdsaDer);

        // Assert
        Assert.Equal("SIGNING_REQUEST_STATE_PRESENCE_ACTIVE", state);
        Assert.Equal("SIGNATURE_SCHEME_ECDSA_DER", scheme);
        Assert.Equal(state, JsonOutput.Message(new SigningRequest { State = SigningRequestState.PresenceActive })["state"]!.GetValue<string>());
    }

    [Fact]
    public void KeysTableAndDetails_ShowInventoryAndIndentedPolicy()
    {
        // Arrange
        var key = new Key
        {
            Name = "dev-release",
            Algorithm = KeyAlgorithm.EcdsaP256,
            Status = KeyStatus.Active,
            RiskTier = "high",
            PolicyVersion = 3,
            SignatureCount = 12,
            PublicKeyPem = "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n",
            PolicyJson = """{"key":"dev-release","approvals":{"required":2}}""",
        };

        // Act
        string table = KeysCommand.Table([key]);
        string details = KeysCommand.Details(key);

        // Assert
        Assert.Equal("NAME         ALGORITHM   STATUS  RISK  POLICY  SIGNATURES  LAST USED\ndev-release  ecdsa-p256  active  high  v3      12          -\n", table);
        Assert.Contains("-----BEGIN PUBLIC KEY-----", details);
        Assert.Contains("\n  \"approvals\": {\n    \"required\": 2\n  }", details);
    }
}
