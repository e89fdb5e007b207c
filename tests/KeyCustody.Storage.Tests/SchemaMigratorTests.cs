// SPDX-License-Identifier: Apache-2.0
using KeyCustody.Core;
using KeyCustody.Storage;
using KeyCustody.Testing;
using Microsoft.Data.Sqlite;
using Xunit;

namespace KeyCustody.Storage.Tests;

public sealed class SchemaMigratorTests : IDisposable
{
    private readonly TempDirectory _temp = new("keycustody-schema");

    private static readonly SchemaMigration[] s_steps =
    [
        new("widgets", 1, "widgets table", "CREATE TABLE widgets (id INTEGER PRIMARY KEY, name TEXT NOT NULL) STRICT;"),
        new("widgets", 2, "widget colour", "ALTER TABLE widgets ADD COLUMN colour TEXT;"),
    ];

    [Fact]
    public void Apply_FreshThenAgain_RunsEachStepOnce()
    {
        // Arrange
        using SqliteConnection connection = SqliteDatabase.OpenWriteConnection(_temp.File("db"));

        // Act
        SchemaMigrator.Apply(connection, [s_steps[0]]);
        SchemaMigrator.Apply(connection, s_steps);
        SchemaMigrator.Apply(connection, s_steps);

        // Assert
        Assert.Equal(2, SchemaMigrator.CurrentVersion(connection, "widgets"));
        SqliteDatabase.Execute(connection, "INSERT INTO widgets (name, colour) VALUES ('a', 'red');");
        Assert.Equal(2L, SqliteDatabase.Scalar<long>(connection, "SELECT COUNT(*) FROM schema_migrations WHERE component = 'widgets';"));
    }

    [Fact]
    public void Apply_DatabaseNewerThanBuild_ThrowsUnsupported()
    {
        // Arrange
        using SqliteConnection connection = SqliteDatabase.OpenWriteConnection(_temp.File("db"));
        SchemaMigrator.Apply(connection, s_steps);

        // Act
        var ex = Assert.Throws<CustodyException>(() => SchemaMigrator.Apply(connection, [s_steps[0]]));

        // Assert
        Assert.Equal(CustodyStatus.Unsupported, ex.Status);
    }

    [Fact]
    public void Apply_GapInVersions_IsRejected()
    {
        // Arrange
        using SqliteConnection connection = SqliteDatabase.OpenWriteConnection(_temp.File("db"));

        // Act / Assert
        Assert.Throws<ArgumentException>(() => SchemaMigrator.Apply(connection, [s_steps[1]]));
    }

    [Fact]
    public void Apply_FailingStep_LeavesTheSchemaAtTheLastWholeStep()
    {
        // Arrange
        using SqliteConnection connection = SqliteDatabase.OpenWriteConnection(_temp.File("db"));
        SchemaMigration broken = new("widgets", 2, "broken", "ALTER TABLE widgets ADD COLUMN colour TEXT; THIS IS NOT SQL;");

        // Act
        Assert.ThrowsAny<SqliteException>(() => SchemaMigrator.Apply(connection, [s_steps[0], broken]));

        // Assert: step 2 rolled back as a whole, so the fixed step 2 applies cleanly afterwards.
        Assert.Equal(1, SchemaMigrator.CurrentVersion(connection, "widgets"));
        SchemaMigrator.Apply(connection, s_steps);
        Assert.Equal(2, SchemaMigrator.CurrentVersion(connection, "widgets"));
    }

    [Fact]
    public void OpenWriteConnection_Settings_AreWalAndFullSync()
    {
        // Arrange / Act
        using SqliteConnection connection = SqliteDatabase.OpenWriteConnection(_temp.File("db"));
        using SqliteConnection reader = SqliteDatabase.OpenReadConnection(_temp.File("db"));

        // Assert: synchronous=FULL is 2 (https://www.sqlite.org/pragma.html#pragma_synchronous).
        Assert.Equal("wal", SqliteDatabase.Scalar<string>(connection, "PRAGMA journal_mode;"));
        Assert.Equal(2L, SqliteDatabase.Scalar<long>(connection, "PRAGMA synchronous;"));
        Assert.Equal(1L, SqliteDatabase.Scalar<long>(connection, "PRAGMA foreign_keys;"));
        Assert.Throws<SqliteException>(() => SqliteDatabase.Execute(reader, "CREATE TABLE nope (x INTEGER);"));
    }

    public void Dispose() => _temp.Dispose();
}
