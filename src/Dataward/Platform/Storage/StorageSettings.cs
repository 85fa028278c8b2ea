using Microsoft.Data.Sqlite;
using Npgsql;

namespace Dataward.Platform.Storage;

public enum StorageProvider
{
    Sqlite,
    Postgres,
}

/// <summary>Which database Dataward keeps its own data in, read and checked before anything else starts.</summary>
public sealed record StorageSettings(StorageProvider Provider, string ConnectionString, bool MigrateOnStart)
{
    public const string DefaultSqliteConnectionString = "Data Source=./data/dataward.db";

    /// <summary>Reads <c>Storage:Provider</c>, <c>Storage:MigrateOnStart</c> and <c>ConnectionStrings:Dataward</c>;
    /// throws <see cref="ConfigurationException"/> naming the key at fault.</summary>
    public static StorageSettings FromConfiguration(IConfiguration configuration)
    {
        var providerText = configuration["Storage:Provider"];
        var provider = StorageProvider.Sqlite;
        if (!string.IsNullOrWhiteSpace(providerText) && !TryParseProvider(providerText, out provider))
        {
            throw new ConfigurationException("Storage:Provider",
                $"'{providerText}' is not a supported provider; use Sqlite or Postgres.");
        }

        var connectionString = configuration.GetConnectionString("Dataward");
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            if (provider == StorageProvider.Postgres)
            {
                throw new ConfigurationException("ConnectionStrings:Dataward",
                    "is required when Storage:Provider is Postgres (e.g. Host=localhost;Database=dataward;Username=dataward;Password=...).");
            }
            connectionString = DefaultSqliteConnectionString;
        }

        var migrateText = configuration["Storage:MigrateOnStart"];
        var migrateOnStart = provider == StorageProvider.Sqlite;
        if (!string.IsNullOrWhiteSpace(migrateText) && !bool.TryParse(migrateText, out migrateOnStart))
        {
            throw new ConfigurationException("Storage:MigrateOnStart", $"'{migrateText}' is not true or false.");
        }

        return new StorageSettings(provider, Validate(provider, connectionString), migrateOnStart);
    }

    private static bool TryParseProvider(string text, out StorageProvider provider)
    {
        provider = text.Trim().ToUpperInvariant() switch
        {
            "SQLITE" => StorageProvider.Sqlite,
            "POSTGRES" or "POSTGRESQL" or "NPGSQL" => StorageProvider.Postgres,
            _ => (StorageProvider)(-1),
        };
        return Enum.IsDefined(provider);
    }

    private static string Validate(StorageProvider provider, string connectionString)
    {
        try
        {
            switch (provider)
            {
                case StorageProvider.Sqlite:
                    var sqlite = new SqliteConnectionStringBuilder(connectionString);
                    if (string.IsNullOrWhiteSpace(sqlite.DataSource))
                    {
                        throw new ConfigurationException("ConnectionStrings:Dataward", "needs a 'Data Source=' path for SQLite.");
                    }
                    return sqlite.ConnectionString;
                case StorageProvider.Postgres:
                    var postgres = new NpgsqlConnectionStringBuilder(connectionString);
                    if (string.IsNullOrWhiteSpace(postgres.Host))
                    {
                        throw new ConfigurationException("ConnectionStrings:Dataward", "needs a 'Host=' for PostgreSQL.");
                    }
                    return postgres.ConnectionString;
            }
        }
        catch (Exception e) when (e is ArgumentException or FormatException or KeyNotFoundException or InvalidOperationException)
        {
            throw new ConfigurationException("ConnectionStrings:Dataward", $"is not a valid {provider} connection string: {e.Message}");
        }
        throw new ConfigurationException("Storage:Provider", $"'{provider}' is not supported.");
    }

    /// <summary>The SQLite file's full path, for creating its folder; null for other providers or in-memory files.</summary>
    public string? SqliteFilePath()
    {
        if (Provider != StorageProvider.Sqlite)
        {
            return null;
        }
        var dataSource = new SqliteConnectionStringBuilder(ConnectionString).DataSource;
        return dataSource is ":memory:" || dataSource.StartsWith("file:", StringComparison.OrdinalIgnoreCase)
            ? null
            : Path.GetFullPath(dataSource);
    }

    /// <summary>The connection string with any password removed, safe to print.</summary>
    public string DescribeForLog() => Provider switch
    {
        StorageProvider.Sqlite => $"SQLite at {SqliteFilePath() ?? "memory"}",
        StorageProvider.Postgres => DescribePostgres(),
        _ => Provider.ToString(),
    };

    private string DescribePostgres()
    {
        var builder = new NpgsqlConnectionStringBuilder(ConnectionString);
        return $"PostgreSQL database {builder.Database} on {builder.Host}:{builder.Port}";
    }
}

/// <summary>A setting that cannot work, named by its configuration key.</summary>
public sealed class ConfigurationException(string key, string problem) : Exception($"Configuration error: {key} {problem}")
{
    public string Key { get; } = key;
}
