using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace Dataward.Platform.Storage;

/// <summary>Registers the provider-specific context behind <see cref="DatawardDbContext"/>.</summary>
public static class StorageRegistration
{
    public static IServiceCollection AddDatawardStorage(this IServiceCollection services, StorageSettings settings)
    {
        services.AddSingleton(settings);
        switch (settings.Provider)
        {
            case StorageProvider.Sqlite:
                services.AddDbContextPool<DatawardDbContext, SqliteDatawardDbContext>(o => ConfigureSqlite(o, settings.ConnectionString));
                break;
            case StorageProvider.Postgres:
                services.AddDbContextPool<DatawardDbContext, PostgresDatawardDbContext>(o => ConfigurePostgres(o, settings.ConnectionString));
                break;
        }
        return services;
    }

    public static void ConfigureSqlite(DbContextOptionsBuilder options, string connectionString) =>
        options.UseSqlite(connectionString, sqlite => sqlite.MigrationsHistoryTable("__migrations"));

    public static void ConfigurePostgres(DbContextOptionsBuilder options, string connectionString)
    {
        // Statements Dataward sends on every request (the audit append, token checks) are prepared once per
        // connection, and pooled connections are not reset on return (Dataward sets no session state); together
        // they halve the cost of a one-statement request (docs/benchmarks.md). An operator's explicit value wins.
        var builder = new Npgsql.NpgsqlConnectionStringBuilder(connectionString);
        if (!connectionString.Contains("Auto Prepare", StringComparison.OrdinalIgnoreCase))
        {
            builder.MaxAutoPrepare = 50;
        }
        if (!connectionString.Contains("Reset On Close", StringComparison.OrdinalIgnoreCase))
        {
            builder.NoResetOnClose = true;
        }
        options.UseNpgsql(builder.ConnectionString, npgsql => npgsql.MigrationsHistoryTable("__migrations"));
    }

    public static async Task<int> PendingMigrationsAsync(IServiceProvider services, CancellationToken cancellationToken = default)
    {
        await using var scope = services.CreateAsyncScope();
        return await PendingAsync(scope.ServiceProvider.GetRequiredService<DatawardDbContext>(), cancellationToken);
    }

    // Asking a new database for its applied migrations makes EF log a failed query; look for the history table first.
    private static async Task<int> PendingAsync(DatawardDbContext db, CancellationToken cancellationToken) =>
        await db.GetService<IHistoryRepository>().ExistsAsync(cancellationToken)
            ? (await db.Database.GetPendingMigrationsAsync(cancellationToken)).Count()
            : db.Database.GetMigrations().Count();

    /// <summary>Creates the SQLite file's folder and applies pending migrations; returns how many were applied.</summary>
    public static async Task<int> MigrateAsync(IServiceProvider services, CancellationToken cancellationToken = default)
    {
        var settings = services.GetRequiredService<StorageSettings>();
        if (settings.SqliteFilePath() is { } file)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        }
        await using var scope = services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<DatawardDbContext>();
        var pending = await PendingAsync(db, cancellationToken);
        await db.Database.MigrateAsync(cancellationToken);
        if (settings.Provider == StorageProvider.Sqlite)
        {
            // WAL lets readers (the UI, health checks) work while a write transaction is open.
            await db.Database.ExecuteSqlRawAsync("PRAGMA journal_mode=WAL;", cancellationToken);
        }
        return pending;
    }
}

/// <summary>Lets <c>dotnet ef</c> build the SQLite context without starting the application.</summary>
public sealed class SqliteDesignTimeFactory : IDesignTimeDbContextFactory<SqliteDatawardDbContext>
{
    public SqliteDatawardDbContext CreateDbContext(string[] args)
    {
        var options = new DbContextOptionsBuilder<SqliteDatawardDbContext>();
        StorageRegistration.ConfigureSqlite(options, new SqliteConnectionStringBuilder { DataSource = "design-time.db" }.ConnectionString);
        return new SqliteDatawardDbContext(options.Options);
    }
}

/// <summary>Lets <c>dotnet ef</c> build the PostgreSQL context without starting the application.</summary>
public sealed class PostgresDesignTimeFactory : IDesignTimeDbContextFactory<PostgresDatawardDbContext>
{
    public PostgresDatawardDbContext CreateDbContext(string[] args)
    {
        var options = new DbContextOptionsBuilder<PostgresDatawardDbContext>();
        StorageRegistration.ConfigurePostgres(options, "Host=localhost;Database=dataward_design");
        return new PostgresDatawardDbContext(options.Options);
    }
}
