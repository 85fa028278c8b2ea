using System.Data.Common;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using Dataward.Audit;
using Dataward.Domain.Audit;
using Dataward.Platform.Storage;
using Dataward.Platform.Web;
using Microsoft.AspNetCore.Builder;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Dataward.Benchmarks;

/// <summary>Audit-trail append rate (lock, read the head, hash, insert, commit) against the cheapest possible write:
/// one single-row INSERT of the same shape into the same database, autocommitted, through raw ADO.NET.
/// Ratio column = append time / raw insert time; the append rate as a share of the raw rate is its inverse.</summary>
[Config(typeof(Config))]
public class AuditAppendBenchmarks
{
    private sealed class Config : ManualConfig
    {
        public Config() => AddJob(Job.Default.WithToolchain(InProcessEmitToolchain.Instance)
            .WithWarmupCount(3).WithIterationCount(10).WithInvocationCount(200).WithUnrollFactor(1));
    }

    [Params(StorageProvider.Sqlite, StorageProvider.Postgres)]
    public StorageProvider Provider { get; set; }

    private WebApplication app = null!;
    private DbConnection raw = null!;
    private DbCommand insert = null!;
    private long rawId;
    private Func<Task>? dropDatabase;
    private readonly AuditEntry sample = AuditEntry.Chain(null, DateTimeOffset.UtcNow, "system", "bench.event", "thing:1",
        new System.Text.Json.Nodes.JsonObject { ["n"] = 1 });

    [GlobalSetup]
    public async Task SetupAsync()
    {
        string connectionString;
        if (Provider == StorageProvider.Sqlite)
        {
            var folder = Directory.CreateTempSubdirectory("dataward-bench-");
            connectionString = $"Data Source={Path.Combine(folder.FullName, "bench.db")}";
            dropDatabase = () => { folder.Delete(true); return Task.CompletedTask; };
        }
        else
        {
            var server = Environment.GetEnvironmentVariable("DATAWARD_TEST_POSTGRES")
                ?? throw new InvalidOperationException("Set DATAWARD_TEST_POSTGRES to a PostgreSQL server (see .ci/start-postgres).");
            var name = $"dataward_bench_{Guid.NewGuid():N}";
            await using (var admin = new NpgsqlConnection(server))
            {
                await admin.OpenAsync();
                await new NpgsqlCommand($"CREATE DATABASE {name}", admin).ExecuteNonQueryAsync();
            }
            connectionString = new NpgsqlConnectionStringBuilder(server) { Database = name }.ConnectionString;
            dropDatabase = async () =>
            {
                NpgsqlConnection.ClearAllPools();
                await using var admin = new NpgsqlConnection(server);
                await admin.OpenAsync();
                await new NpgsqlCommand($"DROP DATABASE IF EXISTS {name} WITH (FORCE)", admin).ExecuteNonQueryAsync();
            };
        }
        app = DatawardApp.Build([], HostMode.Cli, builder => builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Storage:Provider"] = Provider.ToString(),
            ["ConnectionStrings:Dataward"] = connectionString,
            ["Security:MasterKey"] = Convert.ToBase64String(Dataward.Platform.Security.KeyRing.NewKey()),
        }));
        await StorageRegistration.MigrateAsync(app.Services);

        await using (var scope = app.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<DatawardDbContext>();
            await db.Database.ExecuteSqlRawAsync(
                "CREATE TABLE raw_rows (sequence bigint PRIMARY KEY, time bigint NOT NULL, actor text NOT NULL, action text NOT NULL, " +
                "target text NOT NULL, details text NOT NULL, previous_hash text NOT NULL, hash text NOT NULL)");
        }
        raw = Provider == StorageProvider.Sqlite
            ? new Microsoft.Data.Sqlite.SqliteConnection(connectionString)
            : new NpgsqlConnection(connectionString);
        await raw.OpenAsync();
        insert = raw.CreateCommand();
        insert.CommandText = "INSERT INTO raw_rows VALUES (@s, @t, @a, @n, @g, @d, @p, @h)";
        foreach (var name in new[] { "s", "t", "a", "n", "g", "d", "p", "h" })
        {
            var parameter = insert.CreateParameter();
            parameter.ParameterName = "@" + name;
            insert.Parameters.Add(parameter);
        }
        insert.Parameters["@s"].Value = 0L;
        insert.Parameters["@t"].Value = 0L;
        insert.Parameters["@a"].Value = sample.Actor;
        insert.Parameters["@n"].Value = sample.Action;
        insert.Parameters["@g"].Value = sample.Target;
        insert.Parameters["@d"].Value = sample.Details;
        insert.Parameters["@p"].Value = sample.PreviousHash;
        insert.Parameters["@h"].Value = sample.Hash;
        await insert.PrepareAsync();
    }

    [Benchmark(Baseline = true, Description = "raw single-row INSERT")]
    public async Task RawInsert()
    {
        insert.Parameters["@s"].Value = ++rawId;
        insert.Parameters["@t"].Value = DateTimeOffset.UtcNow.UtcTicks;
        await insert.ExecuteNonQueryAsync();
    }

    [Benchmark(Description = "audit append (hash chain)")]
    public async Task AuditAppend()
    {
        await using var scope = app.Services.CreateAsyncScope();
        await scope.ServiceProvider.GetRequiredService<AuditTrail>()
            .RecordAsync("system", "bench.event", "thing:1", new System.Text.Json.Nodes.JsonObject { ["n"] = 1 });
    }

    [GlobalCleanup]
    public async Task CleanupAsync()
    {
        await using (var scope = app.Services.CreateAsyncScope())
        {
            var verification = await scope.ServiceProvider.GetRequiredService<AuditTrail>().VerifyAsync();
            if (!verification.Intact)
            {
                throw new InvalidOperationException($"The benchmark broke the chain at {verification.FirstBrokenSequence}.");
            }
            Console.WriteLine($"// chain intact after {verification.Count} appends");
        }
        await insert.DisposeAsync();
        await raw.DisposeAsync();
        await app.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        if (dropDatabase is not null)
        {
            await dropDatabase();
        }
    }
}
