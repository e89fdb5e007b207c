// SPDX-License-Identifier: Apache-2.0
using System.CommandLine;
using System.Text.Json.Nodes;
using KeyCustody.Cli.Output;
using KeyCustody.Grpc;
using KeyCustody.Protocol.V1;

namespace KeyCustody.Cli.Commands;

/// <summary><c>keycustody pending</c> and <c>keycustody show ID</c>: what officers review before they approve.</summary>
internal static class PendingCommands
{
    private static readonly Option<string?> s_officer = new("--officer")
    {
        Description = "Only requests this officer may still approve.",
        HelpName = "NAME",
    };

    private static readonly Argument<string> s_id = new("id") { Description = "The request id." };

    private static readonly Option<FileInfo?> s_statementOut = new("--statement-out")
    {
        Description = "Write the exact statement bytes here, to sign on another machine with: ssh-keygen -Y sign -n keycustody-approval -f KEY FILE.",
        HelpName = "FILE",
    };

    private static readonly Option<bool> s_deny = new("--deny") { Description = "With --statement-out: write the denial statement instead of the approval." };

    /// <summary>Builds <c>pending</c>.</summary>
    public static Command CreatePending(CliApplication app)
    {
        var command = new Command("pending", "List signing requests waiting for approvals or the button (officers).");
        command.Options.Add(s_officer);
        command.SetAction((parseResult, cancellationToken) => app.InvokeAsync(parseResult, cancellationToken, async (context, ct) =>
        {
            await using IApplianceClient client = context.Connect();
            ListPendingRequestsResponse response = await client.ListPendingRequestsAsync(context.ParseResult.GetValue(s_officer), ct);
            if (context.Json)
            {
                context.WriteJson(JsonOutput.Message(response));
            }
            else
            {
                await context.Out.WriteAsync(RequestText.PendingTable(response.Requests));
            }

            return ExitCode.Success;
        }));
        return command;
    }

    /// <summary>Builds <c>show</c>.</summary>
    public static Command CreateShow(CliApplication app)
    {
        var command = new Command("show", "Show everything about one request, and the statement an officer signs to approve it.");
        command.Arguments.Add(s_id);
        command.Options.Add(s_statementOut);
        command.Options.Add(s_deny);
        command.Validators.Add(result =>
        {
            if (result.GetResult(s_deny) is { Implicit: false } && result.GetResult(s_statementOut) is null)
            {
                result.AddError("--deny only chooses which statement --statement-out writes");
            }
        });
        command.SetAction((parseResult, cancellationToken) => app.InvokeAsync(parseResult, cancellationToken, ShowAsync));
        return command;
    }

    private static async Task<ExitCode> ShowAsync(CliContext context, CancellationToken cancellationToken)
    {
        string id = context.ParseResult.GetRequiredValue(s_id);
        FileInfo? statementOut = context.ParseResult.GetValue(s_statementOut);
        bool deny = context.ParseResult.GetValue(s_deny);
        await using IApplianceClient client = context.Connect();

        // Pending requests come with both statements from the approval service, which officers may call without a
        // CI certificate; finished ones are read from the signing service.
        ListPendingRequestsResponse pending = await client.ListPendingRequestsAsync(null, cancellationToken);
        PendingRequest? item = pending.Requests.FirstOrDefault(p => p.Request?.RequestId == id);
        SigningRequest request = item?.Request ?? await client.GetSigningRequestAsync(id, cancellationToken);
        ApprovalStatement? approve = item?.ApproveStatement;
        ApprovalStatement? denial = item?.DenyStatement;
        if (statementOut is not null)
        {
            ApprovalStatement chosen = (deny ? denial : approve)
                ?? await TryGetStatementAsync(client, id, deny, cancellationToken)
                ?? throw new Core.CustodyException(Core.CustodyStatus.WrongState,
                    $"request {id} is {Parsing.SchemeText.Name(request.State)}: it has no statement to sign any more");
            await File.WriteAllBytesAsync(statementOut.FullName, chosen.Statement.ToByteArray(), cancellationToken);
            context.Progress($"wrote the {(deny ? "denial" : "approval")} statement to {statementOut.FullName}; sign it with:");
            context.Progress($"  ssh-keygen -Y sign -n {chosen.Namespace} -f YOUR_KEY {statementOut.FullName}");
            context.Progress($"then: keycustody {(deny ? "deny" : "approve")} {id} --statement {statementOut.FullName} --signature {statementOut.FullName}.sig");
        }

        if (context.Json)
        {
            context.WriteJson(new JsonObject
            {
                ["request"] = JsonOutput.Message(request),
                ["ownsButton"] = item?.OwnsButton ?? false,
                ["approveStatement"] = JsonOutput.MessageOrNull(approve),
                ["denyStatement"] = JsonOutput.MessageOrNull(denial),
                ["statementFile"] = statementOut?.FullName,
            });
            return ExitCode.Success;
        }

        await context.Out.WriteAsync(RequestText.Details(request, item?.OwnsButton ?? false));
        if (approve is not null)
        {
            await context.Out.WriteLineAsync();
            await context.Out.WriteAsync(RequestText.Statement(approve, "statement to sign to approve"));
        }

        return ExitCode.Success;
    }

    private static async Task<ApprovalStatement?> TryGetStatementAsync(IApplianceClient client, string id, bool deny, CancellationToken cancellationToken)
    {
        try
        {
            return await client.GetApprovalStatementAsync(id, deny, cancellationToken);
        }
        catch (RpcException e) when (e.StatusCode is StatusCode.FailedPrecondition or StatusCode.Aborted)
        {
            return null;
        }
    }
}
