// SPDX-License-Identifier: Apache-2.0
using System.CommandLine;
using KeyCustody.Cli.Commands;

var root = new RootCommand("keycustody — sign through, approve at, govern and audit a KeyCustody appliance.");
root.Subcommands.Add(AuditCommands.Create());
return await root.Parse(args).InvokeAsync();
