using System.Data.Common;
using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Dataward.Connectors.Datasets;
using Dataward.Connectors.Stores;
using Dataward.Platform.Storage;
using Dataward.Tests.Datasets;
using Dataward.Tests.Platform;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Dataward.Tests.Connectors;

/// <summary>Fides's example shop (postgres_sample.sql) in a fresh database: as is on PostgreSQL; on SQLite after the
/// PostgreSQL-only parts are translated (schema prefixes, SERIAL, '$20.00' money literals, sequences, and the second
/// schema, which SQLite has no place for).</summary>
public sealed partial class FidesExampleDatabase : IAsyncDisposable
{
    private readonly TestDatabase database;

    private FidesExampleDatabase(TestDatabase database, IDataStore store)
    {
        this.database = database;
        Store = store;
    }

    public const string DatasetKey = "postgres_example_test_dataset";

    public IDataStore Store { get; }

    public StorageProvider Provider => database.Provider;

    public string ConnectionString => database.ConnectionString;

    public static Dataset Dataset() =>
        FidesDatasetFile.Parse(FidesDatasetTests.Fixture("postgres_example_test_dataset.yml")).Value!.Single();

    public static async Task<FidesExampleDatabase> CreateAsync(StorageProvider provider, string? sql = null)
    {
        sql ??= FidesDatasetTests.Fixture("postgres_sample.sql");
        var database = await TestDatabases.CreateAsync(provider);
        if (provider == StorageProvider.Postgres)
        {
            await using var connection = new NpgsqlConnection(database.ConnectionString);
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand(sql, connection);
            await command.ExecuteNonQueryAsync();
            return new FidesExampleDatabase(database, new PostgresStore(database.ConnectionString));
        }
        var path = new SqliteConnectionStringBuilder(database.ConnectionString).DataSource;
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        await using (var connection = new SqliteConnection(database.ConnectionString))
        {
            await connection.OpenAsync();
            await using var command = connection.CreateCommand();
            command.CommandText = ToSqlite(sql);
            await command.ExecuteNonQueryAsync();
        }
        return new FidesExampleDatabase(database, new SqliteStore(database.ConnectionString));
    }

    public static string ToSqlite(string postgres)
    {
        var end = postgres.IndexOf("CREATE SCHEMA backup_schema", StringComparison.Ordinal);
        var sql = end >= 0 ? postgres[..end] : postgres;
        sql = AlterSequence().Replace(sql, "");
        sql = sql.Replace("public.", "", StringComparison.Ordinal).Replace("SERIAL PRIMARY KEY", "INTEGER PRIMARY KEY", StringComparison.Ordinal);
        return Money().Replace(sql, "$1");
    }

    public async Task ExecuteAsync(string sql)
    {
        await using var connection = await OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>Every cell of every table, as <c>table[key].column</c> to a readable value: compare two dumps to see
    /// exactly what changed.</summary>
    public async Task<Dictionary<string, string>> DumpAsync()
    {
        var schema = await new StoreSchemaReader(Provider, database.ConnectionString).DescribeAsync();
        var cells = new Dictionary<string, string>(StringComparer.Ordinal);
        await using var connection = await OpenAsync();
        foreach (var table in schema.Tables.Values)
        {
            await using var command = connection.CreateCommand();
            command.CommandText = $"SELECT * FROM {SqlStore.Quote(table.Name)}";
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                var values = Enumerable.Range(0, reader.FieldCount).ToDictionary(reader.GetName, i => reader.IsDBNull(i) ? "null" : Convert.ToString(reader.GetValue(i), CultureInfo.InvariantCulture)!);
                var key = table.PrimaryKey.Count > 0 ? string.Join(",", table.PrimaryKey.Select(k => values[k])) : string.Join(",", values.Values);
                foreach (var (column, value) in values)
                {
                    cells[$"{table.Name}[{key}].{column}"] = value;
                }
            }
        }
        return cells;
    }

    /// <summary>The cells that differ between two dumps, as <c>cell: before -> after</c>, sorted.</summary>
    public static List<string> Changes(Dictionary<string, string> before, Dictionary<string, string> after) =>
        [.. before.Keys.Union(after.Keys).Where(k => before.GetValueOrDefault(k) != after.GetValueOrDefault(k))
            .Order(StringComparer.Ordinal)
            .Select(k => $"{k}: {before.GetValueOrDefault(k) ?? "(absent)"} -> {after.GetValueOrDefault(k) ?? "(absent)"}")];

    /// <summary>A row as compact JSON with numbers compared by value (SQLite keeps money as a plain number).</summary>
    public static string Json(StoreRow row) => JsonSerializer.Serialize(row.ToDictionary(r => r.Key, r => r.Value is decimal d ? (double)d : r.Value));

    private async Task<DbConnection> OpenAsync()
    {
        DbConnection connection = Provider == StorageProvider.Postgres ? new NpgsqlConnection(database.ConnectionString) : new SqliteConnection(database.ConnectionString);
        await connection.OpenAsync();
        return connection;
    }

    public async ValueTask DisposeAsync()
    {
        await Store.DisposeAsync();
        await database.DisposeAsync();
    }

    // A fresh store each time, so a dump never sees a cached schema.
    private sealed class StoreSchemaReader(StorageProvider provider, string connectionString)
    {
        public async Task<StoreSchema> DescribeAsync()
        {
            await using IDataStore store = provider == StorageProvider.Postgres ? new PostgresStore(connectionString) : new SqliteStore(connectionString);
            return await store.DescribeAsync();
        }
    }

    [GeneratedRegex(@"^ALTER SEQUENCE .*$", RegexOptions.Multiline)]
    private static partial Regex AlterSequence();

    [GeneratedRegex(@"'\$(\d+\.\d{2})'")]
    private static partial Regex Money();
}
