// SPDX-License-Identifier: Apache-2.0
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace KeyCustody.Storage;

/// <summary>
/// Opens connections to the appliance's state database with the settings every store relies on: WAL journal,
/// <c>synchronous=FULL</c> (a commit returns only after the WAL is fsynced), foreign keys on, a busy timeout, and no
/// connection pooling — a closed connection really closes its file, so reopening after an I/O error or a restore
/// looks at what is on disk (https://www.sqlite.org/pragma.html#pragma_synchronous, https://www.sqlite.org/wal.html).
/// </summary>
public static class SqliteDatabase
{
    /// <summary>How long a connection waits for another's write lock before failing with SQLITE_BUSY.</summary>
    public static readonly TimeSpan BusyTimeout = TimeSpan.FromSeconds(5);

    /// <summary>Opens (creating if needed) a read-write connection and switches the database to WAL.</summary>
    /// <param name="path">The database file.</param>
    /// <param name="maxPageCount">
    /// Caps the database at this many pages (<c>PRAGMA max_page_count</c>); writes beyond fail with SQLITE_FULL.
    /// Null leaves SQLite's default.
    /// </param>
    public static SqliteConnection OpenWriteConnection(string path, long? maxPageCount = null)
    {
        SqliteConnection connection = Open(path, SqliteOpenMode.ReadWriteCreate);
        try
        {
            string mode = Scalar<string>(connection, "PRAGMA journal_mode=WAL;");
            if (!string.Equals(mode, "wal", StringComparison.OrdinalIgnoreCase))
            {
                throw new InvalidOperationException($"SQLite refused WAL mode for '{path}' (journal_mode is '{mode}').");
            }

            ExecuteScript(connection, "PRAGMA synchronous=FULL; PRAGMA journal_size_limit=67108864;");
            if (maxPageCount is { } pages)
            {
                Execute(connection, $"PRAGMA max_page_count={pages};");
            }

            return connection;
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Opens a connection for queries only (<c>PRAGMA query_only</c>). It is opened read-write underneath because a
    /// WAL reader must be able to map the shared-memory index even when it was started after the writer.
    /// </summary>
    public static SqliteConnection OpenReadConnection(string path)
    {
        SqliteConnection connection = Open(path, SqliteOpenMode.ReadWrite);
        try
        {
            Execute(connection, "PRAGMA query_only=1;");
            return connection;
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Runs a script of one or more statements with SQLite's own <c>sqlite3_exec</c>, which stops at and reports the
    /// first failing statement. Use it for migrations: a multi-statement <see cref="SqliteCommand"/> was seen to skip
    /// the statements after an <c>ALTER TABLE … ADD COLUMN</c> on a STRICT table without any error.
    /// </summary>
    /// <exception cref="SqliteException">The first statement that failed, with SQLite's message and codes.</exception>
    public static void ExecuteScript(SqliteConnection connection, string sql)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(sql);
        int rc = raw.sqlite3_exec(connection.Handle, sql, out string? message);
        if (rc != raw.SQLITE_OK)
        {
            throw new SqliteException($"SQLite Error {rc}: '{message}'.", rc, raw.sqlite3_extended_errcode(connection.Handle));
        }
    }

    /// <summary>Runs a single statement that returns nothing.</summary>
    public static void Execute(SqliteConnection connection, string sql, SqliteTransaction? transaction = null)
    {
        ArgumentNullException.ThrowIfNull(connection);
        using SqliteCommand command = connection.CreateCommand();
        command.CommandText = sql;
        command.Transaction = transaction;
        command.ExecuteNonQuery();
    }

    /// <summary>Runs a query and returns its first column of the first row.</summary>
    public static T Scalar<T>(SqliteConnection connection, string sql, SqliteTransaction? transaction = null)
    {
        ArgumentNullException.ThrowIfNull(connection);
        using SqliteCommand command = connection.CreateCommand();
        command.CommandText = sql;
        command.Transaction = transaction;
        object? value = command.ExecuteScalar();
        return value is null or DBNull ? default! : (T)Convert.ChangeType(value, typeof(T), System.Globalization.CultureInfo.InvariantCulture);
    }

    private static SqliteConnection Open(string path, SqliteOpenMode mode)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var builder = new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = mode,
            Cache = SqliteCacheMode.Private,
            Pooling = false,
            ForeignKeys = true,
            DefaultTimeout = (int)BusyTimeout.TotalSeconds,
        };
        var connection = new SqliteConnection(builder.ToString());
        try
        {
            connection.Open();
            Execute(connection, $"PRAGMA busy_timeout={(int)BusyTimeout.TotalMilliseconds};");
            return connection;
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }
}
