using System.CommandLine;
using System.Data.Common;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using Dataward.Audit;
using Dataward.Connections;
using Dataward.Connectors.Datasets;
using Dataward.Datasets;
using Dataward.Platform.Storage;
using Dataward.Platform.Web;
using Dataward.Requests;
using Dataward.Retention;
using Microsoft.AspNetCore.Builder;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Dataward.Benchmarks.Retention;

/// <summary>Sweep throughput (issue 6): rows a retention sweep erases per second from a generated table in the
/// organisation's database, as a ratio to one hand-written set-based <c>DELETE</c> (or <c>UPDATE</c>) of the same rows
/// in the same run. Every second row is expired. Both sides start from a freshly generated table; the sweep runs as the
/// product runs it (connection, dataset, erasure policy, rule, its dry run, then the applying sweep with its batches,
/// checkpoints, ledger and audit), with no rate limit.</summary>
internal static class RetentionSweepScenario
{
    public const string Verb = "retention-sweep";
    private const string MasterKey = "ZGF0YXdhcmQtcmV0ZW50aW9uLWJlbmNoLWtleS0zMmI=";
    private static readonly DateTime Expired = new(2015, 1, 1, 0, 0, 0, DateTimeKind.Unspecified);

    public static Command Create()
    {
        var provider = new Option<string>("--provider") { Description = "sqlite or postgres (DATAWARD_TEST_POSTGRES names the server)", DefaultValueFactory = _ => "sqlite" };
        provider.AcceptOnlyFromAmong("sqlite", "postgres");
        var rows = new Option<int>("--rows") { Description = "rows in the generated table (half of them expired)", DefaultValueFactory = _ => 10_000_000 };
        var change = new Option<string>("--change") { Description = "delete (rows go) or null (a personal column is cleared)", DefaultValueFactory = _ => "delete" };
        change.AcceptOnlyFromAmong("delete", "null");
        var batch = new Option<int>("--batch") { Description = "rows per batch (Retention:BatchSize)", DefaultValueFactory = _ => new RetentionOptions().BatchSize };
        var command = new Command(Verb, "Rows a retention sweep erases per second, as a ratio to a set-based DELETE/UPDATE of the same rows.")
        {
            provider, rows, change, batch,
        };
        command.SetAction(async (parsed, _) => await RunAsync(parsed.GetValue(provider) == "postgres" ? StorageProvider.Postgres : StorageProvider.Sqlite,
            parsed.GetValue(rows), parsed.GetValue(change) == "delete", parsed.GetValue(batch)));
        return command;
    }

    private static async Task<int> RunAsync(StorageProvider provider, int rows, bool delete, int batch)
    {
        var (organisation, dataward) = await DatabasesAsync(provider);
        var expired = rows / 2;
        Console.WriteLine($"// {provider}: {rows:N0} rows, {expired:N0} expired, {(delete ? "DELETE" : "UPDATE ... SET email = NULL")}, batches of {batch:N0}");

        var seeded = await SeedAsync(provider, organisation, rows);
        Console.WriteLine($"// generated the table in {seeded.TotalSeconds:F1} s");
        var clock = Stopwatch.StartNew();
        var baselineRows = await ExecuteAsync(provider, organisation, delete
            ? "DELETE FROM events WHERE created < @cutoff"
            : "UPDATE events SET email = NULL WHERE created < @cutoff AND email IS NOT NULL");
        var baseline = clock.Elapsed;
        Check(baselineRows, expired, "set-based statement");

        await SeedAsync(provider, organisation, rows);
        await using var app = DatawardApp.Build([], HostMode.Cli, builder => builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Storage:Provider"] = provider.ToString(),
            ["ConnectionStrings:Dataward"] = dataward,
            ["Security:MasterKey"] = MasterKey,
            ["Jobs:Enabled"] = "false",
            ["Retention:BatchSize"] = batch.ToString(CultureInfo.InvariantCulture),
            ["Retention:BatchesPerSecond"] = "0",
        }));
        await StorageRegistration.MigrateAsync(app.Services);
        await ArrangeAsync(app, provider, organisation, delete);
        clock.Restart();
        var dry = await SweepAsync(app, dryRun: true);
        var dryRun = clock.Elapsed;
        Check(dry.Outstanding, expired, "dry run");
        clock.Restart();
        var loadBefore = LoadAverage();
        var swept = await SweepAsync(app, dryRun: false);
        var sweep = clock.Elapsed;
        var loadAfter = LoadAverage();
        Check(swept.Changed, expired, "sweep");
        Check(await ExecuteAsync(provider, organisation, delete ? "SELECT COUNT(*) FROM events WHERE created < @cutoff"
            : "SELECT COUNT(*) FROM events WHERE created < @cutoff AND email IS NOT NULL", scalar: true), 0, "rows left after the sweep");

        var baselineRate = expired / baseline.TotalSeconds;
        var sweepRate = expired / sweep.TotalSeconds;
        Console.WriteLine();
        Console.WriteLine("| provider | change | rows | set-based statement | sweep (batches of " + batch + ") | sweep rate / set-based rate | dry run | load average (1 min) |");
        Console.WriteLine("| --- | --- | ---: | ---: | ---: | ---: | ---: | --- |");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"| {provider} | {(delete ? "delete" : "null")} | {expired:N0} | {baseline.TotalSeconds:F1} s ({baselineRate:N0} rows/s) | " +
            $"{sweep.TotalSeconds:F1} s ({sweepRate:N0} rows/s, {swept.Batches:N0} batches) | **{sweepRate / baselineRate:F2}** | " +
            $"{dryRun.TotalSeconds:F1} s ({rows / dryRun.TotalSeconds:N0} rows/s scanned) | {loadBefore} -> {loadAfter} |"));
        return 0;
    }

    /// <summary>The one-minute load average (Linux), to note how busy the shared machine was: the ratio is only as
    /// steady as the machine.</summary>
    private static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "?";

    private static void Check(long actual, long expected, string what)
    {
        if (actual != expected)
        {
            throw new InvalidOperationException($"The {what} touched {actual:N0} rows, not {expected:N0}: the comparison would be meaningless.");
        }
    }

    /// <summary>The organisation's database and Dataward's own, both fresh: SQLite files under BenchmarkDotNet.Artifacts,
    /// or two databases of their own on the PostgreSQL server (never the tests' or another benchmark's).</summary>
    private static async Task<(string Organisation, string Dataward)> DatabasesAsync(StorageProvider provider)
    {
        if (provider == StorageProvider.Sqlite)
        {
            var folder = Path.GetFullPath(Path.Combine("BenchmarkDotNet.Artifacts", "retention-sweep"));
            if (Directory.Exists(folder))
            {
                Directory.Delete(folder, recursive: true);
            }
            Directory.CreateDirectory(folder);
            return (new SqliteConnectionStringBuilder { DataSource = Path.Combine(folder, "organisation.db") }.ConnectionString,
                new SqliteConnectionStringBuilder { DataSource = Path.Combine(folder, "dataward.db") }.ConnectionString);
        }
        var server = Environment.GetEnvironmentVariable("DATAWARD_TEST_POSTGRES")
            ?? throw new InvalidOperationException("Set DATAWARD_TEST_POSTGRES to a PostgreSQL server (eval \"$(.ci/start-postgres)\").");
        var names = new[] { "dataward_bench_retention_org", "dataward_bench_retention" };
        await using (var admin = new NpgsqlConnection(server))
        {
            await admin.OpenAsync();
            foreach (var name in names)
            {
                await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS {name} WITH (FORCE)", admin);
                await drop.ExecuteNonQueryAsync();
                await using var create = new NpgsqlCommand($"CREATE DATABASE {name}", admin);
                await create.ExecuteNonQueryAsync();
            }
        }
        return (new NpgsqlConnectionStringBuilder(server) { Database = names[0] }.ConnectionString,
            new NpgsqlConnectionStringBuilder(server) { Database = names[1] }.ConnectionString);
    }

    private static async Task<TimeSpan> SeedAsync(StorageProvider provider, string connectionString, int rows)
    {
        var clock = Stopwatch.StartNew();
        var recent = new DateTime(DateTime.UtcNow.Year, 1, 1).ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);
        var n = rows.ToString(CultureInfo.InvariantCulture);
        await ExecuteAsync(provider, connectionString, provider == StorageProvider.Sqlite
            ? $"""
              DROP TABLE IF EXISTS events;
              CREATE TABLE events (id INTEGER PRIMARY KEY, email VARCHAR(100), created TIMESTAMP);
              WITH RECURSIVE g(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM g WHERE x < {n})
              INSERT INTO events SELECT x, 'person' || x || '@example.org', CASE WHEN x % 2 = 0 THEN '2015-01-01 00:00:00' ELSE '{recent}' END FROM g;
              """
            : $"""
              DROP TABLE IF EXISTS events;
              CREATE TABLE events (id BIGINT PRIMARY KEY, email VARCHAR(100), created TIMESTAMP);
              INSERT INTO events SELECT g, 'person' || g || '@example.org', CASE WHEN g % 2 = 0 THEN TIMESTAMP '2015-01-01' ELSE TIMESTAMP '{recent}' END
              FROM generate_series(1, {n}) g;
              """);
        if (provider == StorageProvider.Postgres)
        {
            // Alone: VACUUM refuses to run inside the implicit transaction of a multi-statement command.
            await ExecuteAsync(provider, connectionString, "VACUUM ANALYZE events");
        }
        return clock.Elapsed;
    }

    private static async Task<long> ExecuteAsync(StorageProvider provider, string connectionString, string sql, bool scalar = false)
    {
        await using DbConnection connection = provider == StorageProvider.Sqlite ? new SqliteConnection(connectionString) : new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.CommandTimeout = 0;
        if (sql.Contains("@cutoff", StringComparison.Ordinal))
        {
            var parameter = command.CreateParameter();
            parameter.ParameterName = "@cutoff";
            parameter.Value = provider == StorageProvider.Sqlite ? "2016-01-01 00:00:00" : new DateTime(2016, 1, 1);
            command.Parameters.Add(parameter);
        }
        return scalar ? Convert.ToInt64(await command.ExecuteScalarAsync(), CultureInfo.InvariantCulture) : await command.ExecuteNonQueryAsync();
    }

    private const string DatasetYaml = """
        dataset:
          - fides_key: bench_events
            name: Generated events
            collections:
              - name: events
                fields:
                  - name: id
                    data_categories: [system.operations]
                    fides_meta:
                      primary_key: true
                  - name: email
                    data_categories: [user.contact.email]
                    fides_meta:
                      identity: email
                      data_type: string
                  - name: created
                    data_categories: [system.operations]
        """;

    private static async Task ArrangeAsync(WebApplication app, StorageProvider provider, string organisation, bool delete)
    {
        await using var scope = app.Services.CreateAsyncScope();
        var services = scope.ServiceProvider;
        Require((await services.GetRequiredService<DatasetService>().ImportAsync(FidesDatasetFile.Parse(DatasetYaml).Value!, replace: true, AuditActor.Cli)).Succeeded, "dataset");
        Require((await services.GetRequiredService<ConnectionService>().SaveAsync(new ConnectionRequest("bench", provider == StorageProvider.Sqlite ? "sqlite" : "postgres",
            organisation, ["bench_events"]), AuditActor.Cli)).Succeeded, "connection");
        Require((await services.GetRequiredService<ErasurePolicyService>().SaveAsync(new ErasurePolicyDocument(
            [new ErasureRuleDocument("user.contact.email", delete ? "delete_row" : "null_rewrite")], []), AuditActor.Cli)).Succeeded, "erasure policy");
        var rule = await services.GetRequiredService<RetentionService>().CreateAsync(new RetentionRuleRequest("Generated events", "bench_events", "events",
            "created", "P2Y", "erase", "Benchmark: events are kept two years"), AuditActor.Cli);
        Require(rule.Succeeded, rule.Describe());
    }

    private static void Require(bool succeeded, string what)
    {
        if (!succeeded)
        {
            throw new InvalidOperationException($"Could not set up the benchmark: {what}.");
        }
    }

    private static async Task<SweepRuleView> SweepAsync(WebApplication app, bool dryRun)
    {
        await using var scope = app.Services.CreateAsyncScope();
        var outcome = await scope.ServiceProvider.GetRequiredService<RetentionSweeps>().StartAsync(new SweepRequest(dryRun), AuditActor.Cli, "cli");
        var view = outcome.Value ?? throw new InvalidOperationException(outcome.Describe());
        if (view.Status != SweepStatus.Completed)
        {
            throw new InvalidOperationException($"The sweep stopped: {view.Error}");
        }
        return view.Rules.Single();
    }
}
