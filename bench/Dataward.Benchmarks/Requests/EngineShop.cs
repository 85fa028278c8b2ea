using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Dataward.Audit;
using Dataward.Connections;
using Dataward.Connectors.Execution;
using Dataward.Connectors.Masking;
using Dataward.Datasets;
using Dataward.Platform.Storage;
using Dataward.Platform.Web;
using Dataward.Requests;
using Microsoft.AspNetCore.Builder;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Dataward.Benchmarks.Requests;

/// <summary>The engine as a request uses it: a Dataward host whose own database (fresh each run, same provider as the
/// shop) holds the shop's dataset and its connection; each request opens a DI scope, connects through
/// <see cref="ConnectionService.ConnectAsync"/>, plans with <see cref="ConnectedDatasets.Plan"/> and runs
/// <see cref="AccessRunner"/> (as <c>RequestAccess</c> does) or <see cref="ErasureRunner"/> with the default policy and a
/// checkpoint that serialises the progress as the erasure job does (<see cref="ErasureProgressJson"/>) before encrypting and saving it (the save to
/// Dataward's own database is not counted: it is the host's bookkeeping, not a query the plan needs).</summary>
internal sealed class EngineShop : IAsyncDisposable
{
    private static readonly string MasterKey = Convert.ToBase64String(Encoding.ASCII.GetBytes("dataward-bench-requests-key-32by"));
    private readonly WebApplication app;

    private EngineShop(WebApplication app) => this.app = app;

    public static async Task<EngineShop> CreateAsync(ShopDatabase shop)
    {
        string connectionString;
        if (shop.Provider == StorageProvider.Sqlite)
        {
            var file = Path.Combine(ShopDatabase.BenchFolder(), "dataward.db");
            SqliteConnection.ClearAllPools();
            foreach (var suffix in new[] { "", "-wal", "-shm" })
            {
                File.Delete(file + suffix);
            }
            connectionString = new SqliteConnectionStringBuilder { DataSource = file }.ConnectionString;
        }
        else
        {
            connectionString = new NpgsqlConnectionStringBuilder(ShopDatabase.PostgresServer()) { Database = "dataward_bench_requests_app" }.ConnectionString;
            await using var admin = new NpgsqlConnection(ShopDatabase.PostgresServer());
            await admin.OpenAsync();
            await using var drop = new NpgsqlCommand("DROP DATABASE IF EXISTS dataward_bench_requests_app WITH (FORCE)", admin);
            await drop.ExecuteNonQueryAsync();
            await using var create = new NpgsqlCommand("CREATE DATABASE dataward_bench_requests_app", admin);
            await create.ExecuteNonQueryAsync();
        }
        var app = DatawardApp.Build([], HostMode.Cli, builder => builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Storage:Provider"] = shop.Provider.ToString(),
            ["ConnectionStrings:Dataward"] = connectionString,
            ["Security:MasterKey"] = MasterKey,
            ["Jobs:Enabled"] = "false",
            // The first migration looks for its history table before creating it; EF logs that miss as an error.
            ["Logging:LogLevel:Microsoft.EntityFrameworkCore.Database.Command"] = "None",
        }));
        await StorageRegistration.MigrateAsync(app.Services);
        await using var scope = app.Services.CreateAsyncScope();
        var imported = await scope.ServiceProvider.GetRequiredService<DatasetService>()
            .ImportAsync([ShopDatabase.Dataset()], replace: true, AuditActor.Cli);
        Check(imported.Succeeded, imported.Describe());
        var connected = await scope.ServiceProvider.GetRequiredService<ConnectionService>().SaveAsync(new ConnectionRequest("shop",
            shop.Provider == StorageProvider.Sqlite ? "sqlite" : "postgres", shop.ConnectionString, [ShopDatabase.DatasetKey]), AuditActor.Cli);
        Check(connected.Succeeded, connected.Describe());
        var tested = await scope.ServiceProvider.GetRequiredService<ConnectionService>().TestAsync("shop", AuditActor.Cli);
        Check(tested.Succeeded && tested.Value!.Succeeded, tested.Value is { } t ? $"{t.Error} {string.Join("; ", t.Problems)}" : tested.Describe());
        return new EngineShop(app);
    }

    /// <summary>Where the time of one request went: connecting (stores and datasets), planning, running.</summary>
    public sealed record Timing(TimeSpan Connect, TimeSpan Plan, TimeSpan Run);

    public async Task<(AccessResult Result, Timing Timing)> AccessAsync(string email)
    {
        var start = Stopwatch.GetTimestamp();
        await using var scope = app.Services.CreateAsyncScope();
        IReadOnlyDictionary<string, string> identities = new Dictionary<string, string>(StringComparer.Ordinal) { ["email"] = email };
        await using var connected = await scope.ServiceProvider.GetRequiredService<ConnectionService>().ConnectAsync();
        var connectedAt = Stopwatch.GetTimestamp();
        var plan = connected.Plan(identities.Keys);
        var plannedAt = Stopwatch.GetTimestamp();
        var result = await new AccessRunner(connected.Stores).RunAsync(plan, identities);
        return (result, new Timing(Stopwatch.GetElapsedTime(start, connectedAt), Stopwatch.GetElapsedTime(connectedAt, plannedAt),
            Stopwatch.GetElapsedTime(plannedAt)));
    }

    public async Task<(ErasureResult Result, Timing Timing)> EraseAsync(string email)
    {
        var start = Stopwatch.GetTimestamp();
        await using var scope = app.Services.CreateAsyncScope();
        IReadOnlyDictionary<string, string> identities = new Dictionary<string, string>(StringComparer.Ordinal) { ["email"] = email };
        await using var connected = await scope.ServiceProvider.GetRequiredService<ConnectionService>().ConnectAsync();
        var connectedAt = Stopwatch.GetTimestamp();
        var plan = connected.Plan(identities.Keys);
        var plannedAt = Stopwatch.GetTimestamp();
        var result = await new ErasureRunner(connected.Datasets, connected.Stores).RunAsync(plan, identities, ErasurePolicyDocument.Default.ToPolicy(),
            MaskingSecrets.Random(), new SerialisingCheckpoint());
        return (result, new Timing(Stopwatch.GetElapsedTime(start, connectedAt), Stopwatch.GetElapsedTime(connectedAt, plannedAt),
            Stopwatch.GetElapsedTime(plannedAt)));
    }

    private sealed class SerialisingCheckpoint : IErasureCheckpoint
    {
        public string? Saved { get; private set; }

        public Task SaveAsync(ErasureProgress progress, CancellationToken cancellationToken)
        {
            Saved = JsonSerializer.Serialize(progress, ErasureProgressJson.Default.ErasureProgress);
            return Task.CompletedTask;
        }
    }

    private static void Check(bool condition, string message)
    {
        if (!condition)
        {
            throw new InvalidOperationException(message);
        }
    }

    public ValueTask DisposeAsync() => app.DisposeAsync();
}
