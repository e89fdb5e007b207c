// SPDX-License-Identifier: Apache-2.0
using System.CommandLine;
using KeyCustody.Cli;
using KeyCustody.Cli.Commands;
using KeyCustody.Cli.Connection;

var app = new CliApplication(GrpcApplianceClient.Create);
RootCommand root = app.Root;
root.Subcommands.Add(AuditCommands.Create());
return await app.RunAsync(args, Console.Out, Console.Error);
