// SPDX-License-Identifier: Apache-2.0
using System.CommandLine;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Google.Protobuf;
using KeyCustody.Audit;
using KeyCustody.Cli.Connection;
using KeyCustody.Cli.Dev;
using KeyCustody.Cli.Output;
using KeyCustody.Cli.Parsing;
using KeyCustody.Core;
using KeyCustody.Gpio;
using KeyCustody.Protocol.V1;
using SignatureScheme = KeyCustody.Protocol.V1.SignatureScheme;
using Digest = KeyCustody.Protocol.V1.Digest;

namespace KeyCustody.Cli.Commands;

/// <summary>
/// <c>keycustody dev demo</c> (what <c>./build.sh demo</c> runs): starts a fresh dev appliance in a temporary state
/// directory and walks the whole high-risk flow without a person: CI submits, two officers approve with
/// <c>ssh-keygen -Y sign</c>, the simulated button is pressed, the signature is verified with OpenSSL and the
/// receipt with the offline audit verifier. Exits 0 only when every step passed.
/// </summary>
internal static class DevDemo
{
    private static readonly Option<string?> s_daemon = new("--daemon") { Description = "keycustodyd to start (an executable or keycustodyd.dll) [env: KEYCUSTODY_DAEMON]. Default: the one built beside this CLI.", HelpName = "PATH" };
    private static readonly Option<string> s_key = new("--key") { Description = "The high-risk key to sign with.", DefaultValueFactory = _ => "dev-release", HelpName = "KEY" };
    private static readonly Option<bool> s_keep = new("--keep") { Description = "Keep the temporary state directory (and the appliance's log) afterwards." };
    private static readonly Option<int> s_startupTimeout = new("--startup-timeout") { Description = "Seconds the new appliance may take to become ready (it provisions SoftHSM2 and swtpm first).", DefaultValueFactory = _ => 300, HelpName = "SECONDS" };

    /// <summary>Builds the command.</summary>
    public static Command Create(CliApplication app)
    {
        var demo = new Command("demo", "Run the whole high-risk signing flow against a fresh dev appliance and verify the result.");
        foreach (Option option in (Option[])[s_daemon, s_key, s_keep, s_startupTimeout])
        {
            demo.Options.Add(option);
        }

        demo.SetAction((parseResult, cancellationToken) => app.InvokeAsync(parseResult, cancellationToken, (context, ct) => RunAsync(app, context, ct)));
        return demo;
    }

    private static async Task<ExitCode> RunAsync(CliApplication app, CliContext context, CancellationToken cancellationToken)
    {
        string root = Directory.CreateTempSubdirectory("keycustody-demo-").FullName;
        var report = new Report(context, root);
        bool keep = context.ParseResult.GetValue(s_keep);
        try
        {
            return await RunStepsAsync(app, context, report, root, cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            string message = e switch
            {
                CustodyException c => c.Message,
                _ when TransportErrors.TryDescribe(e, out _, out string text) => text,
                _ => e.GetType().Name + ": " + e.Message,
            };
            report.Fail(message);
            await context.Error.WriteLineAsync($"error: demo failed at step {report.Count}: {message}");

            // The demo answers one question, did the whole flow work: 0 yes, 1 no (the line above says where).
            return ExitCode.Error;
        }
        finally
        {
            if (keep)
            {
                context.Progress($"kept {root}");
            }
            else
            {
                TryDelete(root);
            }
        }
    }

    private static async Task<ExitCode> RunStepsAsync(CliApplication app, CliContext context, Report report, string root, CancellationToken ct)
    {
        string keyName = context.ParseResult.GetRequiredValue(s_key);
        string work = Directory.CreateDirectory(Path.Combine(root, "work")).FullName;
        string state = Path.Combine(root, "state");
        TimeSpan stepTimeout = TimeSpan.FromMinutes(2);

        await using DevApplianceProcess daemon = DevApplianceProcess.Start(state, context.ParseResult.GetValue(s_daemon));
        report.Step($"started keycustodyd dev (pid {daemon.ProcessId}) in {state}");
        ConnectionSettings settings;
        try
        {
            settings = await daemon.WaitReadyAsync(app.ClientFactory, TimeSpan.FromSeconds(context.ParseResult.GetValue(s_startupTimeout)), ct);
        }
        finally
        {
            report.Note("appliance log: " + daemon.LogPath);
        }

        await using IApplianceClient client = app.ClientFactory(settings, context.CallTimeout);
        ListKeysResponse keys = await client.ListKeysAsync(ct);
        report.Step($"appliance ready at {settings.Address}; keys: {string.Join(", ", keys.Keys.Select(k => $"{k.Name} ({k.RiskTier})"))}");

        Key key = await client.GetKeyAsync(keyName, ct);
        string artifact = Path.Combine(work, "keycustody-demo-artifact.txt");
        await File.WriteAllTextAsync(artifact,
            $"KeyCustody demo artifact\ncreated {DateTimeOffset.UtcNow:O}\nnonce {Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16))}\n", ct);
        DigestText digest = await FileDigester.HashFileAsync(artifact, Core.DigestAlgorithm.Sha256, cancellationToken: ct);
        var metadata = new ArtifactMetadata { Name = Path.GetFileName(artifact), Version = "demo", PipelineRun = "keycustody dev demo" };
        SigningRequest request = (await client.SubmitSigningRequestAsync(new SubmitSigningRequestRequest
        {
            Key = keyName,
            Digest = new Digest { Algorithm = SchemeText.ToProto(digest.Algorithm), Value = ByteString.CopyFrom(digest.Value) },
            Metadata = metadata,
        }, ct)).Request;
        report.Step($"CI submitted {digest} to {keyName}: request {request.RequestId} needs {request.ApprovalsRequired} approval(s)"
            + (request.ApproverGroup.Length > 0 ? $" from {request.ApproverGroup}" : string.Empty)
            + (request.PresenceRequired ? " and a button press" : string.Empty));
        if (request.ApprovalsRequired < 1 || !request.PresenceRequired)
        {
            throw new CustodyException(CustodyStatus.InvalidArgument,
                $"key {keyName} is not high-risk (approvals {request.ApprovalsRequired}, presence {request.PresenceRequired}); the demo needs approvals and presence");
        }

        IReadOnlyList<DevMember> officers = settings.StateFile?.Officers ?? [];
        if (officers.Count < request.ApprovalsRequired)
        {
            throw new CustodyException(CustodyStatus.NotProvisioned,
                $"the dev appliance lists {officers.Count} officer key(s) in cli.json; {request.ApprovalsRequired} are needed");
        }

        foreach (DevMember officer in officers.Take(request.ApprovalsRequired))
        {
            (request, string recognised) = await ApprovalCommands.SignAndSendAsync(client, request.RequestId, officer.SshKeyPath, deny: false, context.Error, ct);
            report.Step($"officer {recognised} approved with ssh-keygen -Y sign -f {Path.GetRelativePath(state, officer.SshKeyPath)}: approvals {request.ApprovalsReceived}/{request.ApprovalsRequired}");
        }

        request = await WaitForButtonAsync(client, request, stepTimeout, ct);
        await SimulatedButtonClient.PressAsync(settings.RequireButtonSocket(), SimulatedButtonClient.ShortPress, ct);
        report.Step($"request {request.RequestId} owns the button, code {request.PresenceCode}; pressed the simulated button");

        SigningRequest final = await SignCommand.WaitAsync(_ => { }, client, request, stepTimeout, ct);
        if (final.State != SigningRequestState.Signed)
        {
            throw new CustodyException(final.State == SigningRequestState.Denied ? CustodyStatus.Denied : CustodyStatus.WrongState,
                $"request {final.RequestId} ended {SchemeText.Name(final.State)}: {final.StateReason}");
        }

        Receipt receipt = final.Receipt is { } r && (r.Json.Length > 0 || !r.Entry.IsEmpty) ? r : await client.GetReceiptAsync(final.RequestId, ct);
        string signaturePath = artifact + ".sig";
        string receiptPath = artifact + ".receipt.json";
        await File.WriteAllBytesAsync(signaturePath, final.Signature.ToByteArray(), ct);
        await File.WriteAllTextAsync(receiptPath, receipt.Json, ct);
        report.Step($"signed: {final.Signature.Length}-byte {SchemeText.Name(final.Scheme)} signature, receipt for audit leaf {receipt.LeafIndex}");

        string verdict = await OpensslVerifier.VerifyAsync(key, final.Scheme, digest.Algorithm, artifact, digest.Value, signaturePath, work, ct);
        report.Step($"openssl verified the signature with {keyName}'s public key: {verdict}");

        GetAuditKeyResponse auditKey = await client.GetAuditKeyAsync(ct);
        using (AuditPublicKey publicAuditKey = AuditPublicKey.FromPem(auditKey.PublicKeyPem))
        {
            ReceiptVerification proven = new AuditVerifier(publicAuditKey, auditKey.KeyName.Length > 0 ? auditKey.KeyName : null)
                .VerifyReceipt(Encoding.UTF8.GetBytes(receipt.Json));
            if (!Encoding.UTF8.GetString(proven.Entry).Contains(final.RequestId, StringComparison.Ordinal))
            {
                throw new CustodyException(CustodyStatus.AuditCorrupt,
                    $"the receipt proves audit entry {proven.LeafIndex}, which does not record request {final.RequestId}");
            }

            report.Step($"receipt verified offline with the audit key {auditKey.KeyIdHex}: entry {proven.LeafIndex} (request {final.RequestId}) is in "
                + $"'{proven.Checkpoint.Origin}' at size {proven.Checkpoint.TreeSize}");
        }

        report.Step("demo passed");
        if (context.Json)
        {
            context.WriteJson(report.ToJson(passed: true, final.RequestId));
        }

        return ExitCode.Success;
    }

    private static async Task<SigningRequest> WaitForButtonAsync(IApplianceClient client, SigningRequest request, TimeSpan timeout, CancellationToken ct)
    {
        // Quorum moves the request to the button queue; it owns the button as soon as nothing is ahead of it.
        var deadline = DateTimeOffset.UtcNow + timeout;
        while (request.State != SigningRequestState.PresenceActive)
        {
            if (SchemeText.IsTerminal(request.State))
            {
                throw new CustodyException(CustodyStatus.WrongState, $"request {request.RequestId} ended {SchemeText.Name(request.State)} before the press: {request.StateReason}");
            }

            if (DateTimeOffset.UtcNow > deadline)
            {
                throw new CustodyException(CustodyStatus.PresenceMissing,
                    $"request {request.RequestId} did not get the button within {timeout.TotalSeconds:0} s (state: {SchemeText.Name(request.State)})");
            }

            await Task.Delay(TimeSpan.FromMilliseconds(200), ct);
            request = await client.GetSigningRequestAsync(request.RequestId, ct);
        }

        return request;
    }

    private static void TryDelete(string directory)
    {
        try
        {
            Directory.Delete(directory, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A socket or a file still held by a stopping child: the system's temp cleaner takes it.
        }
    }

    /// <summary>Numbered step lines on stdout (or collected for --json).</summary>
    private sealed class Report(CliContext context, string directory)
    {
        private readonly List<string> _steps = [];
        private readonly List<string> _notes = [];
        private string? _failure;

        public int Count => _steps.Count + 1;

        public void Step(string text)
        {
            _steps.Add(text);
            if (!context.Json)
            {
                context.Out.WriteLine($"[{_steps.Count}] {text}");
            }
        }

        public void Note(string text) => _notes.Add(text);

        public void Fail(string message)
        {
            _failure = message;
            if (context.Json)
            {
                context.WriteJson(ToJson(passed: false, requestId: null));
            }
        }

        public JsonObject ToJson(bool passed, string? requestId) => new()
        {
            ["passed"] = passed,
            ["requestId"] = requestId,
            ["directory"] = directory,
            ["steps"] = new JsonArray([.. _steps.Select(s => (JsonNode?)JsonValue.Create(s))]),
            ["notes"] = new JsonArray([.. _notes.Select(s => (JsonNode?)JsonValue.Create(s))]),
            ["error"] = _failure,
        };
    }
}
