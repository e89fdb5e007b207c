// SPDX-License-Identifier: Apache-2.0
using System.CommandLine;
using System.Text.Json.Nodes;
using Google.Protobuf;
using KeyCustody.Cli.Output;
using KeyCustody.Cli.Parsing;
using KeyCustody.Cli.Ssh;
using KeyCustody.Core;
using KeyCustody.Protocol.V1;

namespace KeyCustody.Cli.Commands;

/// <summary>
/// <c>keycustody approve ID</c> and <c>keycustody deny ID</c>: fetch the exact statement the appliance stored for the
/// request, sign it with the officer's SSH key through <c>ssh-keygen -Y sign</c> (or take a signature made by hand),
/// and send statement and signature back.
/// </summary>
internal static class ApprovalCommands
{
    /// <summary>The SSHSIG namespace of approval statements.</summary>
    public const string Namespace = "keycustody-approval";

    /// <summary>Builds <c>approve</c> (or <c>deny</c> when <paramref name="deny"/>).</summary>
    public static Command Create(CliApplication app, bool deny)
    {
        string verb = deny ? "deny" : "approve";
        var id = new Argument<string>("id") { Description = "The request id (see keycustody pending)." };
        var sshKey = new Option<FileInfo?>("--ssh-key") { Description = "Your enrolled SSH private key (or its .pub with the key in ssh-agent); ssh-keygen signs with it.", HelpName = "PATH" };
        var signature = new Option<FileInfo?>("--signature") { Description = "An armored SSHSIG made by hand (ssh-keygen -Y sign -n keycustody-approval) over --statement.", HelpName = "FILE" };
        var statement = new Option<FileInfo?>("--statement") { Description = $"The statement file that --signature signs (from keycustody show ID --statement-out FILE{(deny ? " --deny" : string.Empty)}).", HelpName = "FILE" };
        var command = new Command(verb, deny
            ? "Deny a pending request with your SSH key (one denial from the group ends it)."
            : "Approve a pending request with your SSH key.");
        command.Arguments.Add(id);
        command.Options.Add(sshKey);
        command.Options.Add(signature);
        command.Options.Add(statement);
        command.Validators.Add(result =>
        {
            bool hasKey = result.GetResult(sshKey) is not null;
            bool hasSignature = result.GetResult(signature) is not null;
            bool hasStatement = result.GetResult(statement) is not null;
            if (hasKey && (hasSignature || hasStatement))
            {
                result.AddError("give either --ssh-key PATH, or --signature FILE with --statement FILE, not both");
            }
            else if (!hasKey && !(hasSignature && hasStatement))
            {
                result.AddError(hasSignature || hasStatement
                    ? "--signature and --statement go together"
                    : "give --ssh-key PATH, or --signature FILE with --statement FILE");
            }
        });
        command.SetAction((parseResult, cancellationToken) => app.InvokeAsync(parseResult, cancellationToken, async (context, ct) =>
        {
            string requestId = context.ParseResult.GetRequiredValue(id);
            FileInfo? key = context.ParseResult.GetValue(sshKey);
            await using IApplianceClient client = context.Connect();

            byte[] statementBytes;
            string armored;
            if (key is not null)
            {
                ApprovalStatement served = await client.GetApprovalStatementAsync(requestId, deny, ct);
                string ns = served.Namespace.Length > 0 ? served.Namespace : Namespace;
                context.Progress(RequestText.Statement(served, $"signing the {(deny ? "denial" : "approval")} statement for {requestId} with {key.Name}").TrimEnd('\n'));
                statementBytes = served.Statement.ToByteArray();
                armored = await SshKeygen.SignAsync(key.FullName, ns, statementBytes, context.Error, ct);
            }
            else
            {
                statementBytes = await ReadAsync(context.ParseResult.GetValue(statement)!, ct);
                armored = System.Text.Encoding.UTF8.GetString(await ReadAsync(context.ParseResult.GetValue(signature)!, ct));
                if (!SshKeygen.IsArmoredSignature(armored))
                {
                    throw new CustodyException(CustodyStatus.InvalidArgument,
                        $"'{context.ParseResult.GetValue(signature)!.FullName}' is not an armored SSH signature (expected {SshKeygen.ArmorBegin})");
                }
            }

            (SigningRequest result, string officer) = await SendAsync(client, requestId, statementBytes, armored, deny, ct);
            if (context.Json)
            {
                context.WriteJson(new JsonObject
                {
                    ["request"] = JsonOutput.Message(result),
                    ["officer"] = officer,
                    ["decision"] = deny ? "deny" : "approve",
                });
            }
            else
            {
                await context.Out.WriteLineAsync(Summary(deny, officer, result));
            }

            return ExitCode.Success;
        }));
        return command;
    }

    /// <summary>
    /// Fetches the statement the appliance stored for <paramref name="requestId"/>, signs it with
    /// <paramref name="sshKeyPath"/> through ssh-keygen and sends it as an approval (or denial).
    /// </summary>
    /// <returns>The request after the approval, and the officer the appliance recognised.</returns>
    public static async Task<(SigningRequest Request, string Officer)> SignAndSendAsync(
        IApplianceClient client, string requestId, string sshKeyPath, bool deny, TextWriter prompts, CancellationToken cancellationToken)
    {
        ApprovalStatement served = await client.GetApprovalStatementAsync(requestId, deny, cancellationToken);
        byte[] statement = served.Statement.ToByteArray();
        string armored = await SshKeygen.SignAsync(sshKeyPath, served.Namespace.Length > 0 ? served.Namespace : Namespace, statement, prompts, cancellationToken);
        return await SendAsync(client, requestId, statement, armored, deny, cancellationToken);
    }

    private static async Task<(SigningRequest Request, string Officer)> SendAsync(
        IApplianceClient client, string requestId, byte[] statement, string armored, bool deny, CancellationToken cancellationToken)
    {
        if (deny)
        {
            DenyResponse denied = await client.DenyAsync(
                new DenyRequest { RequestId = requestId, Statement = ByteString.CopyFrom(statement), SshSignature = armored }, cancellationToken);
            return (denied.Request ?? new SigningRequest { RequestId = requestId }, denied.Officer);
        }

        ApproveResponse approved = await client.ApproveAsync(
            new ApproveRequest { RequestId = requestId, Statement = ByteString.CopyFrom(statement), SshSignature = armored }, cancellationToken);
        return (approved.Request ?? new SigningRequest { RequestId = requestId }, approved.Officer);
    }

    /// <summary>One line saying what the approval or denial did to the request.</summary>
    public static string Summary(bool deny, string officer, SigningRequest request)
    {
        string head = $"{(deny ? "denied" : "approved")} {request.RequestId} as {(officer.Length > 0 ? officer : "(unnamed officer)")}: ";
        return head + request.State switch
        {
            SigningRequestState.AwaitingApprovals => $"approvals {request.ApprovalsReceived}/{request.ApprovalsRequired}",
            SigningRequestState.AwaitingPresence => $"quorum met ({request.ApprovalsReceived}/{request.ApprovalsRequired}); queued for the button",
            SigningRequestState.PresenceActive => $"quorum met; press the button on the appliance, code {request.PresenceCode}",
            _ => SchemeText.Name(request.State) + (request.StateReason.Length > 0 ? ": " + request.StateReason : string.Empty),
        };
    }

    private static async Task<byte[]> ReadAsync(FileInfo file, CancellationToken cancellationToken)
    {
        try
        {
            return await File.ReadAllBytesAsync(file.FullName, cancellationToken);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CustodyException(CustodyStatus.InvalidArgument, $"cannot read '{file.FullName}': {e.Message}", e);
        }
    }
}
