// SPDX-License-Identifier: Apache-2.0
using System.Globalization;
using KeyCustody.Core;
using Microsoft.Data.Sqlite;

namespace KeyCustody.Storage;

/// <summary>One schema step of one component (for example "audit" or "governance").</summary>
/// <param name="Component">The component whose tables this changes; each component numbers its own steps.</param>
/// <param name="Version">1 for the first step, then 2, 3, … without gaps.</param>
/// <param name="Description">What the step does, recorded in <c>schema_migrations</c>.</param>
/// <param name="Sql">The statements, run in one transaction.</param>
public sealed record SchemaMigration(string Component, int Version, string Description, string Sql);

/// <summary>
/// Brings a database's schema up to date. Each component (the audit log, governance, …) owns a numbered list of
/// migrations; <c>schema_migrations</c> records which ran. Steps run in order, each in its own IMMEDIATE transaction,
/// so a crash leaves the schema at a whole step. A database newer than this build is refused, never downgraded.
/// Each step's SQL runs through <see cref="SqliteDatabase.ExecuteScript"/>, so a failing statement anywhere in it
/// fails the step.
/// </summary>
public static class SchemaMigrator
{
    /// <summary>Applies every missing migration in <paramref name="migrations"/> on a read-write connection.</summary>
    /// <exception cref="CustodyException">Unsupported when the database has steps this build does not know.</exception>
    public static void Apply(SqliteConnection connection, IEnumerable<SchemaMigration> migrations)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(migrations);
        SqliteDatabase.ExecuteScript(connection,
            """
            CREATE TABLE IF NOT EXISTS schema_migrations (
                component   TEXT    NOT NULL,
                version     INTEGER NOT NULL,
                description TEXT    NOT NULL,
                applied_at  TEXT    NOT NULL,
                PRIMARY KEY (component, version)
            ) STRICT;
            """);

        foreach (IGrouping<string, SchemaMigration> component in migrations.GroupBy(m => m.Component, StringComparer.Ordinal))
        {
            List<SchemaMigration> steps = [.. component.OrderBy(m => m.Version)];
            for (int i = 0; i < steps.Count; i++)
            {
                if (steps[i].Version != i + 1)
                {
                    throw new ArgumentException($"The '{component.Key}' migrations must be numbered 1, 2, 3, … without gaps or repeats.", nameof(migrations));
                }
            }

            long applied = CurrentVersion(connection, component.Key);
            if (applied > steps.Count)
            {
                throw new CustodyException(CustodyStatus.Unsupported,
                    $"The database's '{component.Key}' schema is at version {applied}, newer than the {steps.Count} this build knows. Run a newer KeyCustody.");
            }

            foreach (SchemaMigration step in steps.Skip((int)applied))
            {
                using SqliteTransaction transaction = connection.BeginTransaction(deferred: false);
                SqliteDatabase.ExecuteScript(connection, step.Sql);
                using (SqliteCommand record = connection.CreateCommand())
                {
                    record.Transaction = transaction;
                    record.CommandText = "INSERT INTO schema_migrations (component, version, description, applied_at) VALUES ($c, $v, $d, $t);";
                    record.Parameters.AddWithValue("$c", step.Component);
                    record.Parameters.AddWithValue("$v", step.Version);
                    record.Parameters.AddWithValue("$d", step.Description);
                    record.Parameters.AddWithValue("$t", DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture));
                    record.ExecuteNonQuery();
                }

                transaction.Commit();
            }
        }
    }

    /// <summary>The highest applied version of <paramref name="component"/>, 0 when none.</summary>
    public static long CurrentVersion(SqliteConnection connection, string component)
    {
        ArgumentNullException.ThrowIfNull(connection);
        using SqliteCommand command = connection.CreateCommand();
        command.CommandText = "SELECT COALESCE(MAX(version), 0) FROM schema_migrations WHERE component = $c;";
        command.Parameters.AddWithValue("$c", component);
        return Convert.ToInt64(command.ExecuteScalar(), CultureInfo.InvariantCulture);
    }
}
