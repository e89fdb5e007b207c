// SPDX-License-Identifier: Apache-2.0
using System.CommandLine;
using System.Text;
using System.Text.Json.Nodes;
using Google.Protobuf;
using KeyCustody.Cli.Output;
using KeyCustody.Cli.Ssh;
using KeyCustody.Core;
using KeyCustody.Governance.Ceremonies;
using Pb = KeyCustody.Protocol.V1;

namespace KeyCustody.Cli.Commands;

/// <summary>
/// <c>keycustody ceremony propose KIND | show ID | endorse ID | status ID</c>: custodians propose a ceremony, read
/// the exact statement the appliance stored, and endorse it with their SSH key through
/// <c>ssh-keygen -Y sign -n keycustody-ceremony</c> (or a signature made by hand).
/// </summary>
internal static class CeremonyCommands
{
    /// <summary>The SSHSIG namespace of ceremony statements.</summary>
    public const string Namespace = "keycustody-ceremony";

    /// <summary>Builds <c>ceremony</c> and its subcommands.</summary>
    public static Command Create(CliApplication app)
    {
        var command = new Command("ceremony", "Custodian ceremonies: propose, show the statement, endorse, status.");
        command.Subcommands.Add(Propose(app));
        command.Subcommands.Add(Show(app, "show", "Print the statement custodians sign for a ceremony."));
        command.Subcommands.Add(Show(app, "status", "Show a ceremony's state, endorsements and result."));
        command.Subcommands.Add(Endorse(app));
        command.Subcommands.Add(ShareKey(app));
        command.Subcommands.Add(CheckBundle(app));
        return command;
    }

    private static Command ShareKey(CliApplication app)
    {
        var output = new Option<FileInfo>("--out") { Description = "Where to write your X25519 share key (private; keep it offline).", HelpName = "FILE", Required = true };
        var command = new Command("share-key", "Make the X25519 key backup shares are encrypted to; prints the public half to put in a backup proposal.");
        command.Options.Add(output);
        command.SetAction((parseResult, cancellationToken) => app.InvokeAsync(parseResult, cancellationToken, async (context, ct) =>
        {
            FileInfo file = context.ParseResult.GetRequiredValue(output);
            if (file.Exists)
            {
                throw new CustodyException(CustodyStatus.AlreadyExists, $"{file.FullName} exists; refusing to overwrite a share key.");
            }

            (byte[] privateKey, byte[] publicKey) = ShareEnvelope.NewKeyPair();
            try
            {
                var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
                if (!OperatingSystem.IsWindows())
                {
                    // Owner-only from the first byte: the share key decrypts this custodian's share.
                    options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
                }

                await using (FileStream stream = new(file.FullName, options))
                {
                    await stream.WriteAsync(Encoding.ASCII.GetBytes(Convert.ToBase64String(privateKey) + "\n"), ct);
                }
            }
            finally
            {
                System.Security.Cryptography.CryptographicOperations.ZeroMemory(privateKey);
            }

            string pub = Convert.ToBase64String(publicKey);
            if (context.Json)
            {
                context.WriteJson(new JsonObject { ["publicKey"] = pub, ["file"] = file.FullName });
            }
            else
            {
                await context.Out.WriteLineAsync(pub);
            }

            return ExitCode.Success;
        }));
        return command;
    }

    private static Command CheckBundle(CliApplication app)
    {
        var bundle = new Argument<FileInfo>("bundle") { Description = "A backup bundle file (keycustody ceremony status ID --bundle-out FILE)." };
        var shares = new Option<string[]>("--share-key") { Description = "NAME=FILE: a custodian's share key; give at least the threshold.", HelpName = "NAME=FILE", AllowMultipleArgumentsPerToken = false };
        var command = new Command("check-bundle", "Offline drill: check that these custodians' share keys rebuild the bundle's wrap key (nothing secret is printed).");
        command.Arguments.Add(bundle);
        command.Options.Add(shares);
        command.SetAction((parseResult, cancellationToken) => app.InvokeAsync(parseResult, cancellationToken, async (context, ct) =>
        {
            BackupBundle parsed = BackupBundle.Parse(await File.ReadAllBytesAsync(context.ParseResult.GetRequiredValue(bundle).FullName, ct));
            var opened = new List<ShamirShare>();
            foreach (string pair in context.ParseResult.GetValue(shares) ?? [])
            {
                int eq = pair.IndexOf('=', StringComparison.Ordinal);
                if (eq <= 0)
                {
                    throw new CustodyException(CustodyStatus.InvalidArgument, $"--share-key '{pair}': expected NAME=FILE.");
                }

                byte[] key = Convert.FromBase64String((await File.ReadAllTextAsync(pair[(eq + 1)..], ct)).Trim());
                try
                {
                    opened.Add(parsed.OpenShare(pair[..eq], key));
                }
                finally
                {
                    System.Security.Cryptography.CryptographicOperations.ZeroMemory(key);
                }
            }

            byte[] wrapKey = parsed.RecoverWrapKey(opened);
            System.Security.Cryptography.CryptographicOperations.ZeroMemory(wrapKey);
            string summary = $"bundle {parsed.Id} (ceremony {parsed.CeremonyId}): {opened.Count} share(s) rebuild its wrap key; {parsed.Keys.Count} key(s): {string.Join(", ", parsed.Keys.Select(k => k.Name))}";
            if (context.Json)
            {
                context.WriteJson(new JsonObject { ["bundle"] = parsed.Id, ["ok"] = true, ["keys"] = new JsonArray([.. parsed.Keys.Select(k => (JsonNode)k.Name)]) });
            }
            else
            {
                await context.Out.WriteLineAsync(summary);
            }

            return ExitCode.Success;
        }));
        return command;
    }

    private static Command Propose(CliApplication app)
    {
        var kind = new Argument<string>("kind") { Description = "generate-key, rotate-key, retire-key, revoke-key, change-quorum, …" };
        var parameters = new Option<string?>("--params") { Description = "The kind's parameters as a JSON object, e.g. '{\"key\":\"release\"}'.", HelpName = "JSON" };
        var parametersFile = new Option<FileInfo?>("--params-file") { Description = "Read the parameters from a JSON file.", HelpName = "FILE" };
        var comment = new Option<string?>("--comment") { Description = "Why (recorded with the proposal).", HelpName = "TEXT" };
        var command = new Command("propose", "Propose a ceremony; it takes effect once enough custodians endorse it.");
        command.Arguments.Add(kind);
        command.Options.Add(parameters);
        command.Options.Add(parametersFile);
        command.Options.Add(comment);
        command.SetAction((parseResult, cancellationToken) => app.InvokeAsync(parseResult, cancellationToken, async (context, ct) =>
        {
            string name = context.ParseResult.GetRequiredValue(kind);
            if (!CeremonyKinds.TryParse(name, out CeremonyKind? parsed))
            {
                throw new CustodyException(CustodyStatus.InvalidArgument, $"'{name}' is not a ceremony kind (generate-key, rotate-key, retire-key, revoke-key, change-quorum, …).");
            }

            FileInfo? file = context.ParseResult.GetValue(parametersFile);
            string json = file is not null ? await File.ReadAllTextAsync(file.FullName, ct) : context.ParseResult.GetValue(parameters) ?? "{}";
            await using IApplianceClient client = context.Connect();
            Pb.Ceremony ceremony = await client.ProposeCeremonyAsync(new Pb.ProposeCeremonyRequest
            {
                Kind = (Pb.CeremonyKind)(int)parsed.Value,
                ParametersJson = json,
                Comment = context.ParseResult.GetValue(comment) ?? string.Empty,
            }, ct);
            await WriteAsync(context, ceremony, statementOnly: false);
            return ExitCode.Success;
        }));
        return command;
    }

    private static Command Show(CliApplication app, string verb, string description)
    {
        var id = new Argument<string>("id") { Description = "The ceremony id." };
        var statementOut = new Option<FileInfo?>("--statement-out") { Description = "Also write the exact statement bytes to FILE (to sign by hand).", HelpName = "FILE" };
        var bundleOut = new Option<FileInfo?>("--bundle-out") { Description = "For an executed backup: write the backup bundle to FILE.", HelpName = "FILE" };
        var command = new Command(verb, description);
        command.Arguments.Add(id);
        command.Options.Add(statementOut);
        command.Options.Add(bundleOut);
        command.SetAction((parseResult, cancellationToken) => app.InvokeAsync(parseResult, cancellationToken, async (context, ct) =>
        {
            await using IApplianceClient client = context.Connect();
            Pb.Ceremony ceremony = await client.GetCeremonyAsync(context.ParseResult.GetRequiredValue(id), ct);
            if (context.ParseResult.GetValue(statementOut) is { } file)
            {
                await File.WriteAllBytesAsync(file.FullName, ceremony.Statement.ToByteArray(), ct);
            }

            if (context.ParseResult.GetValue(bundleOut) is { } bundleFile)
            {
                string? encoded = ceremony.ResultJson.Length > 0 ? (string?)JsonNode.Parse(ceremony.ResultJson)?["bundle"] : null;
                if (encoded is null)
                {
                    throw new CustodyException(CustodyStatus.WrongState, $"Ceremony {ceremony.CeremonyId} has no backup bundle (it is not an executed backup).");
                }

                await File.WriteAllBytesAsync(bundleFile.FullName, Convert.FromBase64String(encoded), ct);
            }

            await WriteAsync(context, ceremony, statementOnly: verb == "show");
            return ExitCode.Success;
        }));
        return command;
    }

    private static Command Endorse(CliApplication app)
    {
        var id = new Argument<string>("id") { Description = "The ceremony id." };
        var sshKey = new Option<FileInfo?>("--ssh-key") { Description = "Your enrolled custodian SSH private key; ssh-keygen signs with it.", HelpName = "PATH" };
        var signature = new Option<FileInfo?>("--signature") { Description = "An armored SSHSIG made by hand (ssh-keygen -Y sign -n keycustody-ceremony) over --statement.", HelpName = "FILE" };
        var statement = new Option<FileInfo?>("--statement") { Description = "The statement file that --signature signs (keycustody ceremony show ID --statement-out FILE).", HelpName = "FILE" };
        var command = new Command("endorse", "Endorse a ceremony with your custodian SSH key.");
        command.Arguments.Add(id);
        command.Options.Add(sshKey);
        command.Options.Add(signature);
        command.Options.Add(statement);
        command.Validators.Add(result =>
        {
            bool hasKey = result.GetResult(sshKey) is not null;
            bool byHand = result.GetResult(signature) is not null && result.GetResult(statement) is not null;
            if (hasKey == byHand)
            {
                result.AddError("give --ssh-key PATH, or --signature FILE with --statement FILE");
            }
        });
        command.SetAction((parseResult, cancellationToken) => app.InvokeAsync(parseResult, cancellationToken, async (context, ct) =>
        {
            string ceremonyId = context.ParseResult.GetRequiredValue(id);
            await using IApplianceClient client = context.Connect();
            byte[] bytes;
            string armored;
            if (context.ParseResult.GetValue(sshKey) is { } key)
            {
                Pb.Ceremony served = await client.GetCeremonyAsync(ceremonyId, ct);
                context.Progress($"signing the statement of ceremony {ceremonyId} ({Kind(served)}) with {key.Name}:\n{served.Statement.ToStringUtf8().TrimEnd('\n')}");
                bytes = served.Statement.ToByteArray();
                armored = await SshKeygen.SignAsync(key.FullName, served.Namespace.Length > 0 ? served.Namespace : Namespace, bytes, context.Error, ct);
            }
            else
            {
                bytes = await File.ReadAllBytesAsync(context.ParseResult.GetValue(statement)!.FullName, ct);
                armored = await File.ReadAllTextAsync(context.ParseResult.GetValue(signature)!.FullName, ct);
                if (!SshKeygen.IsArmoredSignature(armored))
                {
                    throw new CustodyException(CustodyStatus.InvalidArgument, $"The --signature file is not an armored SSH signature (expected {SshKeygen.ArmorBegin}).");
                }
            }

            Pb.Ceremony after = await client.EndorseCeremonyAsync(new Pb.EndorseCeremonyRequest
            {
                CeremonyId = ceremonyId,
                Statement = ByteString.CopyFrom(bytes),
                SshSignature = armored,
            }, ct);
            await WriteAsync(context, after, statementOnly: false);
            return ExitCode.Success;
        }));
        return command;
    }

    private static string Kind(Pb.Ceremony ceremony) =>
        Enum.IsDefined((CeremonyKind)(int)ceremony.Kind) ? CeremonyKinds.Name((CeremonyKind)(int)ceremony.Kind) : ceremony.Kind.ToString();

    private static async Task WriteAsync(CliContext context, Pb.Ceremony ceremony, bool statementOnly)
    {
        if (context.Json)
        {
            JsonNode document = JsonOutput.Message(ceremony);
            document["statementText"] = ceremony.Statement.ToStringUtf8();
            context.WriteJson(document);
            return;
        }

        if (statementOnly)
        {
            await context.Out.WriteAsync(ceremony.Statement.ToStringUtf8());
            return;
        }

        await context.Out.WriteAsync(Text(ceremony));
    }

    /// <summary>The human summary of a ceremony.</summary>
    public static string Text(Pb.Ceremony ceremony)
    {
        var text = new StringBuilder()
            .Append("ceremony ").Append(ceremony.CeremonyId).Append(" (").Append(Kind(ceremony)).Append("): ")
            .Append(JsonOutput.EnumName(ceremony.State)).Append('\n')
            .Append("endorsements: ").Append(ceremony.Endorsements.Count).Append(" of ").Append(ceremony.EndorsementsRequired)
            .Append(ceremony.Endorsements.Count > 0 ? " (" + string.Join(", ", ceremony.Endorsements.Select(e => e.Custodian)) + ")" : string.Empty).Append('\n')
            .Append("expires: ").Append(ceremony.ExpiresAt?.ToDateTimeOffset().ToString("u", System.Globalization.CultureInfo.InvariantCulture)).Append('\n');
        if (ceremony.StateReason.Length > 0)
        {
            text.Append("reason: ").Append(ceremony.StateReason).Append('\n');
        }

        if (ceremony.ResultJson.Length > 0)
        {
            text.Append("result: ").Append(ceremony.ResultJson).Append('\n');
        }

        text.Append("statement (sign with ssh-keygen -Y sign -n ").Append(ceremony.Namespace).Append("):\n").Append(ceremony.Statement.ToStringUtf8());
        return text.ToString();
    }
}
