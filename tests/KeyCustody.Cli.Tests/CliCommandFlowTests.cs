// SPDX-License-Identifier: Apache-2.0
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Google.Protobuf;
using KeyCustody.Cli.Output;
using KeyCustody.Grpc;
using KeyCustody.Protocol.V1;
using KeyCustody.Testing;
using Xunit;

namespace KeyCustody.Cli.Tests;

/// <summary>The commands' own decisions against a scripted appliance: which RPCs, which files, which exit code.</summary>
public sealed class CliCommandFlowTests : IDisposable
{
    private const string LowPolicy = """{"version":1,"key":"dev-low","riskTier":"low"}""";
    private const string HighPolicy = """{"version":3,"key":"dev-release","riskTier":"high","approvals":{"required":2},"presence":{"required":true}}""";

    private readonly TempDirectory _temp = new("keycustody-cli-flow");
    private readonly FakeApplianceClient _fake = new();

    public void Dispose() => _temp.Dispose();

    private async Task<(int Code, string Out, string Err)> RunAsync(params string[] args)
    {
        var app = new CliApplication(_fake.Factory, _ => null);
        var output = new StringWriter();
        var error = new StringWriter();
        int code = await app.RunAsync(["--address", "https://appliance.test:7443", .. args], output, error);
        return (code, output.ToString(), error.ToString());
    }

    private string Artifact(string content = "artifact")
    {
        string path = _temp.File("app.bin");
        File.WriteAllText(path, content);
        return path;
    }

    private static SigningRequest Request(SigningRequestState state, int received = 0) => new()
    {
        RequestId = "r-7",
        Key = "dev-release",
        State = state,
        ApprovalsRequired = 2,
        ApprovalsReceived = received,
        PresenceRequired = true,
        PresenceCode = state == SigningRequestState.PresenceActive ? "4821" : string.Empty,
    };

    private static async IAsyncEnumerable<SigningRequest> Stream(IEnumerable<SigningRequest> updates, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        foreach (SigningRequest update in updates)
        {
            await Task.Yield();
            cancellationToken.ThrowIfCancellationRequested();
            yield return update;
        }
    }

    [Fact]
    public async Task Sign_LowRiskKey_OneSignCallWritesSignatureAndReceipt()
    {
        // Arrange
        string artifact = Artifact("hello");
        SignRequest? sent = null;
        _fake.GetKey = name => new Key { Name = name, RiskTier = "low", PolicyJson = LowPolicy };
        _fake.Sign = request =>
        {
            sent = request;
            return new SignResponse { RequestId = "r-1", Signature = ByteString.CopyFromUtf8("SIG"), Receipt = new Receipt { LeafIndex = 9, Json = """{"format":"receipt"}""" } };
        };

        // Act
        (int code, string output, string error) = await RunAsync("sign", "--key", "dev-low", "--file", artifact);

        // Assert
        Assert.True(code == 0, error);
        Assert.Equal(["GetKeyAsync", "SignAsync"], _fake.Calls);
        Assert.Equal(SHA256.HashData(Encoding.UTF8.GetBytes("hello")), sent!.Digest.Value.ToByteArray());
        Assert.Equal(DigestAlgorithm.Sha256, sent.Digest.Algorithm);
        Assert.Equal("app.bin", sent.Metadata.Name);
        Assert.Equal("SIG", await File.ReadAllTextAsync(artifact + ".sig"));
        Assert.Equal("""{"format":"receipt"}""", await File.ReadAllTextAsync(artifact + ".sig.receipt.json"));
        Assert.Contains("audit leaf 9", output);
    }

    [Fact]
    public async Task Sign_HighRiskWithoutWait_SubmitsAndExits13()
    {
        // Arrange
        SubmitSigningRequestRequest? sent = null;
        _fake.GetKey = name => new Key { Name = name, RiskTier = "high", PolicyJson = HighPolicy };
        _fake.Submit = request =>
        {
            sent = request;
            return new SubmitSigningRequestResponse { Request = Request(SigningRequestState.AwaitingApprovals) };
        };

        // Act
        (int code, string output, _) = await RunAsync("sign", "--json", "--key", "dev-release", "--digest", "sha384:" + new string('a', 96),
            "--meta", "commit=abc", "--meta", "team=release", "--client-token", "build-42", "--scheme", "ecdsa-raw");

        // Assert
        Assert.Equal((int)ExitCode.Submitted, code);
        Assert.Equal(["GetKeyAsync", "SubmitSigningRequestAsync"], _fake.Calls);
        Assert.Equal(DigestAlgorithm.Sha384, sent!.Digest.Algorithm);
        Assert.Equal("abc", sent.Metadata.Commit);
        Assert.Equal("release", sent.Metadata.Labels["team"]);
        Assert.Equal("build-42", sent.ClientToken);
        Assert.Equal(SignatureScheme.EcdsaRaw, sent.Scheme);
        JsonNode json = JsonNode.Parse(output)!;
        Assert.Equal("r-7", json["requestId"]!.GetValue<string>());
        Assert.Equal("SIGNING_REQUEST_STATE_AWAITING_APPROVALS", json["state"]!.GetValue<string>());
    }

    [Fact]
    public async Task Sign_HighRiskWait_FollowsTheStreamPrintsTheCodeAndWritesTheSignature()
    {
        // Arrange
        string artifact = Artifact();
        _fake.GetKey = name => new Key { Name = name, PolicyJson = HighPolicy };
        _fake.Submit = _ => new SubmitSigningRequestResponse { Request = Request(SigningRequestState.AwaitingApprovals) };
        SigningRequest signed = Request(SigningRequestState.Signed, 2);
        signed.Signature = ByteString.CopyFromUtf8("GOVERNED");
        signed.Receipt = new Receipt { LeafIndex = 12, Json = "{}" };
        _fake.Watch = (_, ct) => Stream(
            [Request(SigningRequestState.AwaitingApprovals, 1), Request(SigningRequestState.AwaitingPresence, 2), Request(SigningRequestState.PresenceActive, 2), signed], ct);

        // Act
        (int code, string output, string error) = await RunAsync("sign", "--key", "dev-release", "--file", artifact, "--wait", "--out", _temp.File("out.sig"));

        // Assert
        Assert.True(code == 0, error);
        Assert.Contains("waiting for approvals: 0/2", error);
        Assert.Contains("queued for the presence button", error);
        Assert.Contains("press the button on the appliance now, code 4821", error);
        Assert.Equal("GOVERNED", await File.ReadAllTextAsync(_temp.File("out.sig")));
        Assert.True(File.Exists(_temp.File("out.sig.receipt.json")));
        Assert.Contains("audit leaf 12", output);
    }

    [Fact]
    public async Task Sign_StreamEndsBeforeAnOutcome_RereadsAndWatchesAgain()
    {
        // Arrange
        _fake.GetKey = name => new Key { Name = name, PolicyJson = HighPolicy };
        _fake.Submit = _ => new SubmitSigningRequestResponse { Request = Request(SigningRequestState.AwaitingApprovals) };
        SigningRequest signed = Request(SigningRequestState.Signed, 2);
        signed.Signature = ByteString.CopyFromUtf8("S");
        signed.Receipt = new Receipt { Json = "{}" };
        int watches = 0;
        _fake.Watch = (_, ct) => ++watches == 1 ? Stream([Request(SigningRequestState.AwaitingApprovals, 1)], ct) : Stream([signed], ct);
        _fake.GetRequest = _ => Request(SigningRequestState.AwaitingPresence, 2);

        // Act
        (int code, _, string error) = await RunAsync("sign", "--key", "dev-release", "--digest", "sha256:" + new string('0', 64), "--wait", "--out", _temp.File("s"));

        // Assert
        Assert.True(code == 0, error);
        Assert.Equal(2, watches);
        Assert.Contains("GetSigningRequestAsync", _fake.Calls);
    }

    [Fact]
    public async Task Sign_InventoryForbiddenAndKeyNeedsApprovals_FallsBackToSubmit()
    {
        // Arrange
        _fake.GetKey = _ => throw FakeApplianceClient.Error(StatusCode.PermissionDenied, "no inventory for CI");
        _fake.Sign = _ => throw FakeApplianceClient.Error(StatusCode.FailedPrecondition, "key dev-release needs 2 approvals", "ApprovalsMissing");
        _fake.Submit = _ => new SubmitSigningRequestResponse { Request = Request(SigningRequestState.AwaitingApprovals) };

        // Act
        (int code, _, _) = await RunAsync("sign", "--key", "dev-release", "--digest", "sha256:" + new string('1', 64));

        // Assert
        Assert.Equal((int)ExitCode.Submitted, code);
        Assert.Equal(["GetKeyAsync", "SignAsync", "SubmitSigningRequestAsync"], _fake.Calls);
    }

    [Fact]
    public async Task Sign_KeyNotActive_ReportsOneLineAndDoesNotSubmit()
    {
        // Arrange
        _fake.GetKey = name => new Key { Name = name, PolicyJson = LowPolicy };
        _fake.Sign = _ => throw FakeApplianceClient.Error(StatusCode.FailedPrecondition, "key dev-low is retired", "KeyNotActive");

        // Act
        (int code, string output, string error) = await RunAsync("sign", "--key", "dev-low", "--digest", "sha256:" + new string('2', 64));

        // Assert
        Assert.Equal((int)ExitCode.WrongState, code);
        Assert.Equal(["GetKeyAsync", "SignAsync"], _fake.Calls);
        Assert.Equal("error: FAILED_PRECONDITION: key dev-low is retired\n", error.Replace("\r", string.Empty));
        Assert.Equal(string.Empty, output);
    }

    [Fact]
    public async Task Sign_PolicyDeniesCaller_PermissionDeniedExit5()
    {
        // Arrange
        _fake.GetKey = name => new Key { Name = name, PolicyJson = LowPolicy };
        _fake.Sign = _ => throw FakeApplianceClient.Error(StatusCode.PermissionDenied, "caller CN=ci-x is not allowed by policy of key dev-low v1", "PermissionDenied");

        // Act
        (int code, _, string error) = await RunAsync("sign", "--key", "dev-low", "--digest", "sha256:" + new string('3', 64));

        // Assert
        Assert.Equal((int)ExitCode.PermissionDenied, code);
        Assert.Equal("error: PERMISSION_DENIED: caller CN=ci-x is not allowed by policy of key dev-low v1", error.Trim());
    }

    [Theory]
    [InlineData(SigningRequestState.Denied, ExitCode.Denied)]
    [InlineData(SigningRequestState.Expired, ExitCode.Expired)]
    [InlineData(SigningRequestState.Failed, ExitCode.SigningFailed)]
    public async Task Sign_RequestEndsWithoutSignature_ExitCodeNamesTheOutcome(SigningRequestState outcome, ExitCode expected)
    {
        // Arrange
        string artifact = Artifact();
        _fake.GetKey = name => new Key { Name = name, PolicyJson = HighPolicy };
        _fake.Submit = _ => new SubmitSigningRequestResponse { Request = Request(SigningRequestState.AwaitingApprovals) };
        SigningRequest end = Request(outcome);
        end.StateReason = "because";
        _fake.Watch = (_, ct) => Stream([end], ct);

        // Act
        (int code, _, string error) = await RunAsync("sign", "--key", "dev-release", "--file", artifact, "--wait");

        // Assert
        Assert.Equal((int)expected, code);
        Assert.Contains("error: request r-7 ", error);
        Assert.Contains("because", error);
        Assert.False(File.Exists(artifact + ".sig"));
    }

    [Fact]
    public async Task Sign_WaitTimeoutPasses_ExitsExpiredNamingTheState()
    {
        // Arrange
        _fake.GetKey = name => new Key { Name = name, PolicyJson = HighPolicy };
        _fake.Submit = _ => new SubmitSigningRequestResponse { Request = Request(SigningRequestState.AwaitingApprovals) };
        _fake.Watch = (_, ct) => Forever(ct);

        // Act
        (int code, _, string error) = await RunAsync("sign", "--key", "dev-release", "--digest", "sha256:" + new string('4', 64), "--wait", "--wait-timeout", "1");

        // Assert
        Assert.Equal((int)ExitCode.Expired, code);
        Assert.Contains("gave up waiting after 1 s; request r-7 is still awaiting approvals", error);

        static async IAsyncEnumerable<SigningRequest> Forever([EnumeratorCancellation] CancellationToken ct)
        {
            await Task.Delay(Timeout.Infinite, ct);
            yield break;
        }
    }

    [Fact]
    public async Task Approve_WithSshKey_SignsTheServedBytesExactly()
    {
        // Arrange
        string key = _temp.File("alice");
        (await ProcessRunner.RunAsync("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "alice", "-f", key)).EnsureSuccess("ssh-keygen");
        byte[] served = Encoding.UTF8.GetBytes("keycustody approval v1\nrequest r-7\n\u00e9 trailing space \n");
        ApproveRequest? sent = null;
        _fake.GetStatement = (id, deny) => new ApprovalStatement { RequestId = id, Statement = ByteString.CopyFrom(served), Namespace = "keycustody-approval" };
        _fake.Approve = request =>
        {
            sent = request;
            return new ApproveResponse { Officer = "alice", Request = Request(SigningRequestState.AwaitingApprovals, 1) };
        };

        // Act
        (int code, string output, string error) = await RunAsync("approve", "r-7", "--ssh-key", key);

        // Assert
        Assert.True(code == 0, error);
        Assert.Equal(served, sent!.Statement.ToByteArray());
        Assert.Equal("r-7", sent.RequestId);
        Assert.Contains("approved r-7 as alice: approvals 1/2", output);
        string allowed = _temp.File("allowed");
        await File.WriteAllTextAsync(allowed, "alice " + await File.ReadAllTextAsync(key + ".pub"));
        string sig = _temp.File("sent.sig");
        await File.WriteAllTextAsync(sig, sent.SshSignature);
        string statement = _temp.File("statement");
        await File.WriteAllBytesAsync(statement, served);
        ProcessResult verify = await ProcessRunner.RunAsync("sh", "-c", $"ssh-keygen -Y verify -f '{allowed}' -I alice -n keycustody-approval -s '{sig}' < '{statement}'");
        Assert.True(verify.ExitCode == 0, verify.StandardError + verify.StandardOutput);
    }

    [Fact]
    public async Task Deny_WithHandMadeSignature_SendsFileBytesToDeny()
    {
        // Arrange
        string statement = _temp.File("st");
        await File.WriteAllBytesAsync(statement, [1, 2, 3]);
        string signature = _temp.File("st.sig");
        await File.WriteAllTextAsync(signature, "-----BEGIN SSH SIGNATURE-----\nAAAA\n-----END SSH SIGNATURE-----\n");
        DenyRequest? sent = null;
        _fake.Deny = request =>
        {
            sent = request;
            return new DenyResponse { Officer = "carol", Request = Request(SigningRequestState.Denied) };
        };

        // Act
        (int code, string output, string error) = await RunAsync("deny", "r-7", "--statement", statement, "--signature", signature, "--json");

        // Assert
        Assert.True(code == 0, error);
        Assert.Equal(["DenyAsync"], _fake.Calls);
        Assert.Equal([1, 2, 3], sent!.Statement.ToByteArray());
        Assert.StartsWith("-----BEGIN SSH SIGNATURE-----", sent.SshSignature);
        JsonNode json = JsonNode.Parse(output)!;
        Assert.Equal("carol", json["officer"]!.GetValue<string>());
        Assert.Equal("deny", json["decision"]!.GetValue<string>());
    }

    [Fact]
    public async Task Approve_SignatureFileNotArmored_IsRejectedBeforeSending()
    {
        // Arrange
        string statement = _temp.File("st");
        await File.WriteAllBytesAsync(statement, [1]);
        string signature = _temp.File("st.sig");
        await File.WriteAllTextAsync(signature, "not a signature");

        // Act
        (int code, _, string error) = await RunAsync("approve", "r-7", "--statement", statement, "--signature", signature);

        // Assert
        Assert.Equal((int)ExitCode.Usage, code);
        Assert.Contains("is not an armored SSH signature", error);
        Assert.Empty(_fake.Calls);
    }

    [Fact]
    public async Task Show_StatementOut_WritesTheServedBytesAndPrintsHowToSign()
    {
        // Arrange
        byte[] approve = Encoding.UTF8.GetBytes("approve r-7\n");
        byte[] deny = Encoding.UTF8.GetBytes("deny r-7\n");
        _fake.ListPending = () => new ListPendingRequestsResponse
        {
            Requests =
            {
                new PendingRequest
                {
                    Request = Request(SigningRequestState.AwaitingApprovals),
                    ApproveStatement = new ApprovalStatement { RequestId = "r-7", Statement = ByteString.CopyFrom(approve), Namespace = "keycustody-approval" },
                    DenyStatement = new ApprovalStatement { RequestId = "r-7", Statement = ByteString.CopyFrom(deny), Namespace = "keycustody-approval" },
                },
            },
        };

        // Act
        (int approveCode, string output, string error) = await RunAsync("show", "r-7", "--statement-out", _temp.File("a"));
        (int denyCode, _, _) = await RunAsync("show", "r-7", "--statement-out", _temp.File("d"), "--deny");

        // Assert
        Assert.True(approveCode == 0, error);
        Assert.Equal(0, denyCode);
        Assert.Equal(approve, await File.ReadAllBytesAsync(_temp.File("a")));
        Assert.Equal(deny, await File.ReadAllBytesAsync(_temp.File("d")));
        Assert.Contains("ssh-keygen -Y sign -n keycustody-approval -f YOUR_KEY", error);
        Assert.Contains("statement to sign to approve", output);
        Assert.Contains("    approve r-7", output);
    }

    [Fact]
    public async Task Show_FinishedRequest_ReadsItFromTheSigningService()
    {
        // Arrange
        _fake.ListPending = () => new ListPendingRequestsResponse();
        _fake.GetRequest = _ => Request(SigningRequestState.Signed, 2);

        // Act
        (int code, string output, string error) = await RunAsync("show", "r-7");

        // Assert
        Assert.True(code == 0, error);
        Assert.Equal(["ListPendingRequestsAsync", "GetSigningRequestAsync"], _fake.Calls);
        Assert.Contains("signed", output);
        Assert.DoesNotContain("statement to sign", output);
    }

    [Fact]
    public async Task AnyCommand_UnexpectedException_OneLineNoStackTraceExit1()
    {
        // Arrange
        _fake.ListPending = () => throw new InvalidOperationException("boom\nsecond line");

        // Act
        (int code, string output, string error) = await RunAsync("pending");

        // Assert
        Assert.Equal((int)ExitCode.Error, code);
        Assert.Equal(string.Empty, output);
        Assert.Equal("error: unexpected InvalidOperationException: boom second line", error.Trim());
    }
}
