using System.Diagnostics;
using Dataward.Connectors.Execution;
using Dataward.Platform.Storage;

namespace Dataward.Benchmarks.Requests;

/// <summary><c>requests</c>: access and erasure requests through the engine against the same requests answered by
/// hand-written SQL (<see cref="RawShop"/>), on the same database in the same run. First one request at a time, for the
/// time per request (median and p95, and their ratios), then several workers in parallel for requests per minute.
/// <para>Access: each sampled customer is read by both, raw SQL first for one customer and the engine first for the
/// next. Whoever reads a customer first finds the rows outside the database's own cache (the OS has the file cached, as
/// a server's would); the second finds them in it. Both cases are reported: the first is what a request meets, the
/// second leaves nothing but the cost of each side's code.</para>
/// <para>Erasure: every erasure needs a customer nobody erased before; raw SQL and the engine erase two customers of
/// the same shape (<see cref="ShopDatabase.ShapePeriod"/>), in alternating order.</para>
/// <para>The engine's time is split: connecting (<c>ConnectionService.ConnectAsync</c>: the connections and their
/// datasets, kept in memory and re-checked against Dataward's own database once per <c>Connections:CacheSeconds</c>, and
/// the open stores) and planning plus running. The goal holds for both: planning plus running, the engine's own work
/// against the organisation's database, and the whole request with connecting.</para>
/// Every engine answer is checked against the raw one (same rows per table for an access; the same rows changed for
/// an erasure) and a run with a difference exits 1. Access requests pick random customers of the lower half;
/// erasures take customers of the upper half never erased before (<see cref="ShopDatabase.ReserveForErasureAsync"/>).</summary>
internal static class RequestsScenario
{
    public sealed record Options(StorageProvider Provider, int Customers, bool Regenerate, int Accesses, int Erasures, TimeSpan Slice,
        IReadOnlyList<int> Parallel, string? Profile = null);

    private static readonly string[] Tables = ["customers", "addresses", "orders", "order_items", "logins"];

    /// <summary>Times of one kind of request: raw SQL, the engine's plan and run, the engine with connecting.</summary>
    private sealed class Samples
    {
        public List<double> Raw { get; } = [];
        public List<double> Engine { get; } = [];
        public List<double> EngineWithConnect { get; } = [];

        public List<EngineShop.Timing> Timings { get; } = [];

        public void AddEngine(double total, EngineShop.Timing timing)
        {
            EngineWithConnect.Add(total);
            Engine.Add((timing.Plan + timing.Run).TotalMilliseconds);
            Timings.Add(timing);
        }
    }

    public static async Task<int> RunAsync(Options options)
    {
        var shop = await ShopDatabase.PrepareAsync(options.Provider, options.Customers, options.Regenerate);
        await using var engine = await EngineShop.CreateAsync(shop);
        var raw = await RawShop.OpenAsync(shop);
        var random = new Random(42);
        var problems = new List<string>();
        var pool = new ErasurePool(shop);
        Console.WriteLine();
        Console.WriteLine($"// requests on {options.Provider}: {options.Customers:N0} customers, {options.Accesses} accesses and {options.Erasures} " +
            $"erasures per side one at a time, then {options.Slice.TotalSeconds:F0} s per side and parallelism; {Environment.ProcessorCount} cores");

        // Warm-up until the JIT has settled (tiered compilation and PGO need seconds on a busy machine): pools, prepared
        // statements, the described schema and the plan too.
        var warmUntil = Stopwatch.GetTimestamp() + (5 * Stopwatch.Frequency);
        while (Stopwatch.GetTimestamp() < warmUntil)
        {
            var email = ShopDatabase.Email(random.Next(options.Customers / 2));
            await raw.AccessAsync(email);
            await engine.AccessAsync(email);
        }
        for (var i = 0; i < 10; i++)
        {
            await raw.EraseAsync(ShopDatabase.Email(await pool.NextAsync()));
            await engine.EraseAsync(ShopDatabase.Email(await pool.NextAsync()));
        }

        if (options.Profile is { } only)
        {
            // Only the engine, one request at a time, for a profiler attached to the process (dotnet-trace).
            var cpu = Process.GetCurrentProcess().TotalProcessorTime;
            var allocated = GC.GetTotalAllocatedBytes(precise: true);
            var collections = GC.CollectionCount(0);
            var done = await RateAsync(1, options.Slice, async (_, r) =>
            {
                if (only == "erasure")
                {
                    await engine.EraseAsync(ShopDatabase.Email(await pool.NextAsync()));
                }
                else
                {
                    await engine.AccessAsync(ShopDatabase.Email(r.Next(options.Customers / 2)));
                }
            }, 1);
            var used = Process.GetCurrentProcess().TotalProcessorTime - cpu;
            var requests = done * options.Slice.TotalMinutes;
            Console.WriteLine($"// profiled {only}: {done:N0} requests per minute, " +
                $"{used.TotalMicroseconds / requests:N0} µs of this process's CPU per request, " +
                $"{(GC.GetTotalAllocatedBytes(precise: true) - allocated) / requests / 1024:N1} KB allocated per request, " +
                $"{GC.CollectionCount(0) - collections} gen0 collections");
            await raw.DisposeAsync();
            return 0;
        }

        var firstRead = new Samples();
        var secondRead = new Samples();
        for (var i = 0; i < options.Accesses; i++)
        {
            var email = ShopDatabase.Email(random.Next(options.Customers / 2));
            Dictionary<string, List<object?[]>>? rawRows = null;
            AccessResult? engineRows = null;
            for (var turn = 0; turn < 2; turn++)
            {
                var samples = turn == 0 ? firstRead : secondRead;
                var start = Stopwatch.GetTimestamp();
                if ((turn + i) % 2 == 0)
                {
                    rawRows = await raw.AccessAsync(email);
                    samples.Raw.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
                }
                else
                {
                    (engineRows, var timing) = await engine.AccessAsync(email);
                    samples.AddEngine(Stopwatch.GetElapsedTime(start).TotalMilliseconds, timing);
                }
            }
            foreach (var table in Tables)
            {
                var engineCount = engineRows!.Collections[$"{ShopDatabase.DatasetKey}:{table}"].Count;
                if (engineCount != rawRows![table].Count)
                {
                    problems.Add($"access {email}: {table} has {engineCount} rows through the engine, {rawRows[table].Count} by raw SQL");
                }
            }
            if (rawRows!["customers"].Count != 1)
            {
                problems.Add($"access {email}: the customer was not found");
            }
        }

        var groups = (options.Erasures + ShopDatabase.ShapePeriod - 1) / ShopDatabase.ShapePeriod;
        var from = await shop.ReserveForErasureAsync(groups * 2 * ShopDatabase.ShapePeriod);
        var erasures = new Samples();
        for (var k = 0; k < options.Erasures; k++)
        {
            // Two customers of the same shape: one for raw SQL, one for the engine.
            var rawCustomer = from + (k / ShopDatabase.ShapePeriod * 2 * ShopDatabase.ShapePeriod) + (k % ShopDatabase.ShapePeriod);
            var engineCustomer = rawCustomer + ShopDatabase.ShapePeriod;
            Dictionary<string, int>? rawChanged = null;
            ErasureResult? engineResult = null;
            for (var turn = 0; turn < 2; turn++)
            {
                var start = Stopwatch.GetTimestamp();
                if ((turn + k) % 2 == 0)
                {
                    rawChanged = await raw.EraseAsync(ShopDatabase.Email(rawCustomer));
                    erasures.Raw.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
                }
                else
                {
                    (engineResult, var timing) = await engine.EraseAsync(ShopDatabase.Email(engineCustomer));
                    erasures.AddEngine(Stopwatch.GetElapsedTime(start).TotalMilliseconds, timing);
                }
            }
            var proofs = engineResult!.Proofs.ToDictionary(p => p.Collection.Split(':')[1], p => p.Rows);
            foreach (var table in Tables.Where(t => t != "order_items"))
            {
                var engineRows = proofs.GetValueOrDefault(table);
                var rawRows = rawChanged!.GetValueOrDefault(table);
                if (engineRows != rawRows)
                {
                    problems.Add($"erasure of customers {rawCustomer}/{engineCustomer}: {table} changed {engineRows} rows through the engine, {rawRows} by raw SQL");
                }
            }
            if (proofs.GetValueOrDefault("customers") != 1)
            {
                problems.Add($"erasure of customer {engineCustomer}: the customer was not found (erased by an earlier run?)");
            }
        }
        await raw.DisposeAsync();

        Console.WriteLine("| request | raw SQL | engine: plan + run | **ratio** | engine with connecting | ratio |");
        Console.WriteLine("| --- | ---: | ---: | ---: | ---: | ---: |");
        Row("access, rows not in the database's cache", firstRead);
        Row("access, rows in the database's cache", secondRead);
        Row("erasure", erasures);
        Console.WriteLine("// each cell: median / p95");
        foreach (var (name, samples) in new[] { ("access", firstRead), ("erasure", erasures) })
        {
            Console.WriteLine($"// engine {name}, medians: connecting {Median([.. samples.Timings.Select(t => t.Connect.TotalMilliseconds)]):F3} ms, " +
                $"planning {Median([.. samples.Timings.Select(t => t.Plan.TotalMilliseconds)]):F3} ms, running {Median([.. samples.Timings.Select(t => t.Run.TotalMilliseconds)]):F3} ms");
        }

        if (options.Parallel.Count > 0)
        {
            Console.WriteLine();
            Console.WriteLine("| in parallel | access raw SQL /min | access engine /min | ratio | erasure raw SQL /min | erasure engine /min | ratio |");
            Console.WriteLine("| ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
            foreach (var parallel in options.Parallel)
            {
                var raws = new List<RawShop>();
                for (var i = 0; i < parallel; i++)
                {
                    raws.Add(await RawShop.OpenAsync(shop));
                }
                var seed = parallel * 1000;
                var accessRaw = await RateAsync(parallel, options.Slice, async (w, r) => await raws[w].AccessAsync(ShopDatabase.Email(r.Next(options.Customers / 2))), seed);
                var accessEngine = await RateAsync(parallel, options.Slice, async (w, r) => await engine.AccessAsync(ShopDatabase.Email(r.Next(options.Customers / 2))), seed);
                var eraseRaw = await RateAsync(parallel, options.Slice, async (w, _) => await raws[w].EraseAsync(ShopDatabase.Email(await pool.NextAsync())), seed);
                var eraseEngine = await RateAsync(parallel, options.Slice, async (w, _) => await engine.EraseAsync(ShopDatabase.Email(await pool.NextAsync())), seed);
                Console.WriteLine($"| {parallel} | {accessRaw:N0} | {accessEngine:N0} | {accessEngine / accessRaw:F2} | {eraseRaw:N0} | {eraseEngine:N0} | {eraseEngine / eraseRaw:F2} |");
                foreach (var r in raws)
                {
                    await r.DisposeAsync();
                }
            }
        }

        if (problems.Count > 0)
        {
            Console.WriteLine($"// {problems.Count} answers differ between the engine and raw SQL; the run does not count:");
            foreach (var problem in problems.Take(20))
            {
                Console.WriteLine("//   " + problem);
            }
            return 1;
        }
        return 0;
    }

    private static void Row(string name, Samples samples)
    {
        var (raw, engine, whole) = (samples.Raw, samples.Engine, samples.EngineWithConnect);
        Console.WriteLine($"| {name} | {Cell(raw)} | {Cell(engine)} | **{Median(engine) / Median(raw):F2}** / {P95(engine) / P95(raw):F2} | " +
            $"{Cell(whole)} | {Median(whole) / Median(raw):F2} / {P95(whole) / P95(raw):F2} |");
    }

    private static string Cell(List<double> values) => $"{Median(values):F3} / {P95(values):F3} ms";

    private static double Median(List<double> values) => Percentile(values, 0.5);

    private static double P95(List<double> values) => Percentile(values, 0.95);

    private static double Percentile(List<double> values, double p)
    {
        if (values.Count == 0)
        {
            return double.NaN;
        }
        var sorted = values.Order().ToList();
        return sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(p * sorted.Count) - 1)];
    }

    /// <summary>Runs <paramref name="parallel"/> workers flat out for <paramref name="duration"/>; requests per minute.</summary>
    private static async Task<double> RateAsync(int parallel, TimeSpan duration, Func<int, Random, Task> request, int seed)
    {
        var start = Stopwatch.GetTimestamp();
        var deadline = start + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        var counts = await Task.WhenAll(Enumerable.Range(0, parallel).Select(w => Task.Run(async () =>
        {
            var random = new Random(seed + w);
            long count = 0;
            while (Stopwatch.GetTimestamp() < deadline)
            {
                await request(w, random);
                count++;
            }
            return count;
        })));
        return counts.Sum() / Stopwatch.GetElapsedTime(start).TotalMinutes;
    }

    /// <summary>Hands out customers never erased, reserving them in blocks.</summary>
    private sealed class ErasurePool(ShopDatabase shop)
    {
        private const int Block = 500;
        private readonly SemaphoreSlim gate = new(1, 1);
        private int next;
        private int end;

        public async Task<int> NextAsync()
        {
            await gate.WaitAsync();
            try
            {
                if (next == end)
                {
                    next = await shop.ReserveForErasureAsync(Block);
                    end = next + Block;
                }
                return next++;
            }
            finally
            {
                gate.Release();
            }
        }
    }
}
