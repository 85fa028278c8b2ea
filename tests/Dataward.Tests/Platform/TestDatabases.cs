using Dataward.Platform.Storage;
using Npgsql;

namespace Dataward.Tests.Platform;

/// <summary>Real databases for tests: a fresh SQLite file, or a fresh PostgreSQL database on the server named by
/// <c>DATAWARD_TEST_POSTGRES</c>. PostgreSQL tests skip without it on a developer's machine and fail under CI=true.</summary>
public static class TestDatabases
{
    public const string PostgresVariable = "DATAWARD_TEST_POSTGRES";

    public static bool IsCi => string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

    public static string? PostgresServer => Environment.GetEnvironmentVariable(PostgresVariable) is { Length: > 0 } cs ? cs : null;

    /// <summary>Skips (locally) or fails (CI) when PostgreSQL is not configured.</summary>
    public static string RequirePostgres()
    {
        if (PostgresServer is { } server)
        {
            return server;
        }
        var reason = $"PostgreSQL tests need {PostgresVariable} (e.g. Host=127.0.0.1;Username=postgres;Password=...); .ci/run sets it.";
        if (IsCi)
        {
            throw new InvalidOperationException($"CI=true makes PostgreSQL mandatory: {reason}");
        }
        Assert.Skip(reason);
        return "";
    }

    /// <summary>A new, empty database and the connection string that reaches it.</summary>
    public static async Task<TestDatabase> CreateAsync(StorageProvider provider)
    {
        if (provider == StorageProvider.Sqlite)
        {
            var folder = Directory.CreateTempSubdirectory("dataward-test-");
            return new TestDatabase(provider, $"Data Source={Path.Combine(folder.FullName, "nested", "dataward.db")}", async () =>
            {
                Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
                await Task.Yield();
                try
                {
                    folder.Delete(recursive: true);
                }
                catch (IOException)
                {
                    // A file still open by a child process; the OS temp cleaner will take it.
                }
            });
        }
        var server = RequirePostgres();
        var name = $"dataward_test_{Guid.NewGuid():N}";
        await using (var admin = new NpgsqlConnection(server))
        {
            await admin.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE {name}", admin);
            await create.ExecuteNonQueryAsync();
        }
        var connectionString = new NpgsqlConnectionStringBuilder(server) { Database = name }.ConnectionString;
        return new TestDatabase(provider, connectionString, async () =>
        {
            NpgsqlConnection.ClearAllPools();
            await using var admin = new NpgsqlConnection(server);
            await admin.OpenAsync();
            await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS {name} WITH (FORCE)", admin);
            await drop.ExecuteNonQueryAsync();
        });
    }
}

public sealed class TestDatabase(StorageProvider provider, string connectionString, Func<Task> drop) : IAsyncDisposable
{
    public StorageProvider Provider { get; } = provider;

    public string ConnectionString { get; } = connectionString;

    /// <summary>A fixed master key for PostgreSQL test databases (SQLite keeps its own beside the file).</summary>
    public const string TestMasterKey = "ZGF0YXdhcmQtdGVzdC1tYXN0ZXIta2V5LTMyLWJ5dGU=";

    /// <summary>The settings a <c>dataward</c> process needs to use this database.</summary>
    public IReadOnlyDictionary<string, string> Environment => Provider == StorageProvider.Postgres
        ? new Dictionary<string, string>
        {
            ["Storage__Provider"] = Provider.ToString(),
            ["ConnectionStrings__Dataward"] = ConnectionString,
            ["Security__MasterKey"] = TestMasterKey,
        }
        : new Dictionary<string, string>
        {
            ["Storage__Provider"] = Provider.ToString(),
            ["ConnectionStrings__Dataward"] = ConnectionString,
        };

    public ValueTask DisposeAsync() => new(drop());
}
