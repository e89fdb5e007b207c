// SPDX-License-Identifier: Apache-2.0
using System.CommandLine;
using System.Text;
using System.Text.Json.Nodes;
using Google.Protobuf.WellKnownTypes;
using KeyCustody.Cli.Output;
using KeyCustody.Cli.Parsing;
using KeyCustody.Protocol.V1;

namespace KeyCustody.Cli.Commands;

/// <summary><c>keycustody keys [NAME]</c>: the key inventory, or one key with its public key and policy.</summary>
internal static class KeysCommand
{
    private static readonly Argument<string?> s_name = new("name") { Description = "Show this key in full.", Arity = ArgumentArity.ZeroOrOne };

    /// <summary>Builds the command.</summary>
    public static Command Create(CliApplication app)
    {
        var command = new Command("keys", "List the signing keys, or show one with its public key and policy.");
        command.Arguments.Add(s_name);
        command.SetAction((parseResult, cancellationToken) => app.InvokeAsync(parseResult, cancellationToken, async (context, ct) =>
        {
            string? name = context.ParseResult.GetValue(s_name);
            await using IApplianceClient client = context.Connect();
            if (name is not null)
            {
                Key key = await client.GetKeyAsync(name, ct);
                if (context.Json)
                {
                    context.WriteJson(JsonOutput.Message(key));
                }
                else
                {
                    await context.Out.WriteAsync(Details(key));
                }

                return ExitCode.Success;
            }

            ListKeysResponse keys = await client.ListKeysAsync(ct);
            if (context.Json)
            {
                context.WriteJson(JsonOutput.Message(keys));
            }
            else
            {
                await context.Out.WriteAsync(Table(keys.Keys));
            }

            return ExitCode.Success;
        }));
        return command;
    }

    /// <summary>The inventory table.</summary>
    public static string Table(IReadOnlyList<Key> keys)
    {
        if (keys.Count == 0)
        {
            return "no keys\n";
        }

        var table = new TextTable("NAME", "ALGORITHM", "STATUS", "RISK", "POLICY", "SIGNATURES", "LAST USED");
        foreach (Key key in keys)
        {
            table.AddRow(key.Name, SchemeText.Name(key.Algorithm), SchemeText.Name(key.Status), key.RiskTier.Length > 0 ? key.RiskTier : "-",
                "v" + key.PolicyVersion, key.SignatureCount.ToString(System.Globalization.CultureInfo.InvariantCulture), When(key.LastUsedAt));
        }

        return table.ToString();
    }

    /// <summary>One key in full.</summary>
    public static string Details(Key key)
    {
        var text = new StringBuilder();
        void Row(string label, string value)
        {
            if (value.Length > 0 && value != "-")
            {
                text.Append(label.PadRight(12)).Append(value).Append('\n');
            }
        }

        Row("name", key.Name);
        Row("algorithm", SchemeText.Name(key.Algorithm));
        Row("status", SchemeText.Name(key.Status));
        Row("risk", key.RiskTier);
        Row("policy", "v" + key.PolicyVersion);
        Row("signatures", key.SignatureCount.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Row("created", When(key.CreatedAt));
        Row("last used", When(key.LastUsedAt));
        Row("rotated", When(key.RotatedAt));
        Row("retired", When(key.RetiredAt));
        Row("revoked", When(key.RevokedAt));
        Row("predecessor", key.Predecessor);
        Row("successor", key.Successor);
        Row("backup", key.BackupCapable ? "capable (wrapped under the trusted key)" : string.Empty);
        Row("openssh", key.OpensshPublicKey.Trim());
        if (key.PublicKeyPem.Length > 0)
        {
            text.Append('\n').Append(key.PublicKeyPem.TrimEnd('\n')).Append('\n');
        }

        if (key.PolicyJson.Length > 0)
        {
            text.Append("\npolicy:\n").Append(JsonOutput.Embedded(key.PolicyJson) is JsonObject policy ? JsonOutput.Render(policy) : key.PolicyJson.TrimEnd('\n')).Append('\n');
        }

        return text.ToString();
    }

    private static string When(Timestamp? at) => at is null ? "-" : at.ToDateTimeOffset().ToString("u");
}
