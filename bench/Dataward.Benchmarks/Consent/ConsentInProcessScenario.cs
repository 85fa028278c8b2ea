using System.Data.Common;
using System.Diagnostics;
using Dataward.Consent;
using Dataward.Domain.Consent;
using Dataward.Platform.Security;
using Dataward.Platform.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace Dataward.Benchmarks.Consent;

/// <summary><c>consent-inprocess</c>: <see cref="ConsentService.CheckAsync"/> called directly, each check in a new DI scope
/// as a request makes one, against the cheapest way to answer the same question: the same keyed hash and one prepared
/// primary-key SELECT through raw ADO.NET on a connection held open. The ratio shows what the service's way costs (a DI
/// scope, a connection from the pool and a statement per check; EF's query pipeline before the check left it).</summary>
internal static class ConsentInProcessScenario
{
    public sealed record Options(StorageProvider Provider, int Subjects, TimeSpan Slice, int Rounds, bool Reseed);

    private delegate Task<bool> Check(int subject, int purpose);

    public static async Task<int> RunAsync(Options options)
    {
        var database = await ConsentBenchDatabase.PrepareAsync(options.Provider, options.Subjects, options.Reseed);
        await using var app = database.BuildCliApp();
        var keys = app.Services.GetRequiredService<KeyRing>();
        Console.WriteLine();
        Console.WriteLine($"// consent-inprocess on {options.Provider}: {options.Subjects:N0} subjects × {ConsentBenchDatabase.PurposeCount} purposes, " +
            $"{options.Rounds} rounds of {options.Slice.TotalSeconds:F0} s per variant, {Environment.ProcessorCount} cores");
        Console.WriteLine("| parallelism | raw ADO.NET checks/s | ConsentService checks/s | rounds (raw / service) | service as a share of raw |");
        Console.WriteLine("| ---: | ---: | ---: | --- | ---: |");
        var wrong = 0L;
        foreach (var parallelism in new[] { 1, 2 })
        {
            var raw = new List<RawLookup>();
            for (var i = 0; i < parallelism; i++)
            {
                raw.Add(await RawLookup.OpenAsync(database, keys));
            }
            Check[] rawChecks = [.. raw.Select(r => (Check)r.AllowedAsync)];
            Check[] serviceChecks = [.. Enumerable.Range(0, parallelism).Select(_ => (Check)ServiceCheck(app.Services))];
            await MeasureAsync(rawChecks, options.Subjects, TimeSpan.FromSeconds(1), 0);
            await MeasureAsync(serviceChecks, options.Subjects, TimeSpan.FromSeconds(1), 0);
            var rawRates = new List<double>();
            var serviceRates = new List<double>();
            for (var round = 0; round < options.Rounds; round++)
            {
                // Alternate which goes first, so neither always follows the other's garbage.
                var first = round % 2 == 0;
                var (a, wrongA) = await MeasureAsync(first ? rawChecks : serviceChecks, options.Subjects, options.Slice, round + 1);
                var (b, wrongB) = await MeasureAsync(first ? serviceChecks : rawChecks, options.Subjects, options.Slice, round + 1);
                rawRates.Add(first ? a : b);
                serviceRates.Add(first ? b : a);
                wrong += wrongA + wrongB;
            }
            foreach (var lookup in raw)
            {
                await lookup.DisposeAsync();
            }
            Console.WriteLine($"| {parallelism} | {rawRates.Average():N0} | {serviceRates.Average():N0} | " +
                $"{string.Join(" / ", rawRates.Zip(serviceRates, (r, s) => $"{r:N0}–{s:N0}"))} | {serviceRates.Average() / rawRates.Average():F2} |");
        }
        if (wrong > 0)
        {
            Console.WriteLine($"// {wrong:N0} checks answered the wrong 'allowed': the run does not count.");
            return 1;
        }
        return 0;
    }

    private static Check ServiceCheck(IServiceProvider services) => async (subject, purpose) =>
    {
        await using var scope = services.CreateAsyncScope();
        var outcome = await scope.ServiceProvider.GetRequiredService<ConsentService>()
            .CheckAsync(ConsentBenchDatabase.Subject(subject), ConsentBenchDatabase.Purpose(purpose));
        return outcome.Value!.Allowed;
    };

    /// <summary>Runs every worker flat out for <paramref name="duration"/>; returns checks per second and wrong answers.</summary>
    private static async Task<(double Rate, long Wrong)> MeasureAsync(Check[] workers, int subjects, TimeSpan duration, int seed)
    {
        var start = Stopwatch.GetTimestamp();
        var deadline = start + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        var results = await Task.WhenAll(workers.Select((check, i) => Task.Run(async () =>
        {
            var random = new Random(seed * 100 + i);
            long count = 0, wrong = 0;
            while (Stopwatch.GetTimestamp() < deadline)
            {
                var (subject, purpose, expected) = ConsentBenchDatabase.RandomPair(random, subjects);
                wrong += await check(subject, purpose) == expected ? 0 : 1;
                count++;
            }
            return (count, wrong);
        })));
        var seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
        return (results.Sum(r => r.count) / seconds, results.Sum(r => r.wrong));
    }

    /// <summary>The baseline: the subject's keyed hash, then one prepared SELECT by primary key, reading every column the
    /// check uses and deriving the state with the same rule.</summary>
    private sealed class RawLookup : IAsyncDisposable
    {
        private readonly DbConnection connection;
        private readonly DbCommand select;
        private readonly KeyRing keys;

        private RawLookup(DbConnection connection, DbCommand select, KeyRing keys)
        {
            this.connection = connection;
            this.select = select;
            this.keys = keys;
        }

        public static async Task<RawLookup> OpenAsync(ConsentBenchDatabase database, KeyRing keys)
        {
            var connection = database.Open();
            await connection.OpenAsync();
            var select = connection.CreateCommand();
            select.CommandText = "SELECT latest_action, ever_given, given_at, event_id, notice_version FROM consent_states " +
                "WHERE subject_hash = @hash AND purpose = @purpose";
            foreach (var name in new[] { "@hash", "@purpose" })
            {
                var parameter = select.CreateParameter();
                parameter.ParameterName = name;
                parameter.Value = "";
                select.Parameters.Add(parameter);
            }
            await select.PrepareAsync();
            return new RawLookup(connection, select, keys);
        }

        public async Task<bool> AllowedAsync(int subject, int purpose)
        {
            select.Parameters["@hash"].Value = keys.Hash(ConsentRules.NormaliseSubject(ConsentBenchDatabase.Subject(subject)), ConsentService.SubjectHashPurpose);
            select.Parameters["@purpose"].Value = ConsentBenchDatabase.Purpose(purpose);
            await using var reader = await select.ExecuteReaderAsync();
            if (!await reader.ReadAsync())
            {
                return ConsentRules.StateOf(null, null, DateTimeOffset.UtcNow).Allowed;
            }
            var givenAt = reader.IsDBNull(2) ? (DateTimeOffset?)null
                : reader.GetFieldType(2) == typeof(long) ? new DateTimeOffset(reader.GetInt64(2), TimeSpan.Zero) : reader.GetFieldValue<DateTimeOffset>(2);
            _ = reader.GetGuid(3);
            _ = reader.IsDBNull(4) ? null : reader.GetString(4);
            return ConsentRules.StateOf(new ConsentFacts(reader.GetString(0), reader.GetBoolean(1), givenAt), null, DateTimeOffset.UtcNow).Allowed;
        }

        public async ValueTask DisposeAsync()
        {
            await select.DisposeAsync();
            await connection.DisposeAsync();
        }
    }
}
