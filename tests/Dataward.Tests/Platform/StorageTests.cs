using Dataward.Platform.Storage;
using Microsoft.EntityFrameworkCore;

namespace Dataward.Tests.Platform;

/// <summary>Starting up, configuration and migrations, through the real executable.</summary>
public sealed class StorageTests
{
    private static readonly Dictionary<string, string> NoSettings = [];

    [Fact]
    public async Task Serve_creates_the_sqlite_file_applies_migrations_and_answers_health_checks()
    {
        var workingDirectory = Directory.CreateTempSubdirectory("dataward-serve-").FullName;
        var (process, address, output) = await DatawardProcess.ServeAsync(NoSettings, workingDirectory, "--urls", "http://127.0.0.1:0");
        try
        {
            using var http = new HttpClient { BaseAddress = address };
            (await http.GetAsync("/health/live")).IsSuccessStatusCode.ShouldBeTrue();
            var ready = await http.GetAsync("/health/ready");
            ready.IsSuccessStatusCode.ShouldBeTrue();
            (await ready.Content.ReadAsStringAsync()).ShouldBe("Healthy");
            File.Exists(Path.Combine(workingDirectory, "data", "dataward.db")).ShouldBeTrue(output.ToString());
            (await http.GetAsync("/openapi/v1.json")).IsSuccessStatusCode.ShouldBeTrue();
        }
        finally
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }
    }

    [Fact]
    public async Task Serve_on_sqlite_creates_missing_folders_whatever_the_files_path()
    {
        var folder = Directory.CreateTempSubdirectory("dataward-path-").FullName;
        var file = Path.Combine(folder, "a", "b", "custom.db");
        var environment = new Dictionary<string, string> { ["ConnectionStrings__Dataward"] = $"Data Source={file}" };
        var (process, address, _) = await DatawardProcess.ServeAsync(environment, folder, "--urls", "http://127.0.0.1:0");
        try
        {
            using var http = new HttpClient { BaseAddress = address };
            (await http.GetAsync("/health/ready")).IsSuccessStatusCode.ShouldBeTrue();
            File.Exists(file).ShouldBeTrue();
        }
        finally
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }
    }

    [Fact]
    public async Task Aspnetcore_urls_chooses_the_address_when_no_option_is_given()
    {
        var folder = Directory.CreateTempSubdirectory("dataward-urls-").FullName;
        var environment = new Dictionary<string, string> { ["ASPNETCORE_URLS"] = "http://127.0.0.1:0" };
        var (process, address, _) = await DatawardProcess.ServeAsync(environment, folder);
        try
        {
            address.Host.ShouldBe("127.0.0.1");
            address.Port.ShouldNotBe(5080);
        }
        finally
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }
    }

    [Theory]
    [InlineData("Storage__Provider", "Oracle", "Storage:Provider")]
    [InlineData("ConnectionStrings__Dataward", "Data Source", "ConnectionStrings:Dataward")]
    [InlineData("ConnectionStrings__Dataward", "this is = not ; a=valid;;=x", "ConnectionStrings:Dataward")]
    [InlineData("Storage__MigrateOnStart", "perhaps", "Storage:MigrateOnStart")]
    [InlineData("Security__LockoutAttempts", "0", "LockoutAttempts")]
    public async Task A_bad_setting_stops_start_up_with_a_message_naming_it(string key, string value, string named)
    {
        var folder = Directory.CreateTempSubdirectory("dataward-config-").FullName;
        var result = await DatawardProcess.RunInAsync(new Dictionary<string, string> { [key] = value }, folder, null,
            "serve", "--urls", "http://127.0.0.1:0");
        result.ExitCode.ShouldBe(2, result.Stdout + result.Stderr);
        result.Stderr.ShouldContain(named);
        result.Stderr.ShouldNotContain("   at ");
        Directory.Exists(Path.Combine(folder, "data")).ShouldBeFalse();
    }

    [Fact]
    public async Task Postgres_needs_a_connection_string()
    {
        var result = await DatawardProcess.RunAsync(new Dictionary<string, string> { ["Storage__Provider"] = "Postgres" }, null, "migrate");
        result.ExitCode.ShouldBe(2);
        result.Stderr.ShouldContain("ConnectionStrings:Dataward");
    }

    [Fact]
    public async Task Migrate_applies_postgres_migrations_without_serving_and_serve_then_starts()
    {
        await using var database = await TestDatabases.CreateAsync(StorageProvider.Postgres);
        var env = new Dictionary<string, string>(database.Environment);

        var refused = await DatawardProcess.RunAsync(env, null, "users", "list");
        refused.ExitCode.ShouldBe(2);
        refused.Stderr.ShouldContain("dataward migrate");

        var migrated = await DatawardProcess.RunAsync(env, null, "migrate");
        migrated.ExitCode.ShouldBe(0, migrated.Stderr);
        using var model = new PostgresDesignTimeFactory().CreateDbContext([]);
        migrated.Stdout.ShouldContain($"{model.Database.GetMigrations().Count()} migration(s) applied");

        var again = await DatawardProcess.RunAsync(env, null, "migrate");
        again.Stdout.ShouldContain("0 migration(s) applied");

        var (process, address, _) = await DatawardProcess.ServeAsync(env, Path.GetTempPath(), "--urls", "http://127.0.0.1:0");
        try
        {
            using var http = new HttpClient { BaseAddress = address };
            (await http.GetAsync("/health/ready")).IsSuccessStatusCode.ShouldBeTrue();
        }
        finally
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }
    }

    [Fact]
    public async Task Storage_migrate_on_start_lets_serve_migrate_postgres_itself()
    {
        await using var database = await TestDatabases.CreateAsync(StorageProvider.Postgres);
        var env = new Dictionary<string, string>(database.Environment) { ["Storage__MigrateOnStart"] = "true" };
        var (process, address, _) = await DatawardProcess.ServeAsync(env, Path.GetTempPath(), "--urls", "http://127.0.0.1:0");
        try
        {
            using var http = new HttpClient { BaseAddress = address };
            (await http.GetAsync("/health/ready")).IsSuccessStatusCode.ShouldBeTrue();
        }
        finally
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }
    }

    [Fact]
    public void Both_providers_have_a_migration_for_the_current_model()
    {
        using var sqlite = new SqliteDesignTimeFactory().CreateDbContext([]);
        sqlite.Database.HasPendingModelChanges().ShouldBeFalse(
            "The model changed without a SQLite migration: dotnet ef migrations add <Name> --context SqliteDatawardDbContext --output-dir Platform/Storage/Migrations/Sqlite");
        using var postgres = new PostgresDesignTimeFactory().CreateDbContext([]);
        postgres.Database.HasPendingModelChanges().ShouldBeFalse(
            "The model changed without a PostgreSQL migration: dotnet ef migrations add <Name> --context PostgresDatawardDbContext --output-dir Platform/Storage/Migrations/Postgres");
        sqlite.Database.GetMigrations().Count().ShouldBe(postgres.Database.GetMigrations().Count(),
            "Each migration exists for both providers.");
    }
}
