// SPDX-License-Identifier: Apache-2.0
using System.CommandLine;

namespace KeyCustody.Cli.Commands;

/// <summary>`keycustody audit …`: offline verification of receipts, log exports and checkpoints.</summary>
internal static class AuditCommands
{
    /// <summary>Builds the `audit` command tree.</summary>
    public static Command Create() => new("audit", "Verify audit receipts, log exports and checkpoint consistency offline.");
}
