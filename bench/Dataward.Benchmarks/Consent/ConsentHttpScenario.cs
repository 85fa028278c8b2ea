using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Dataward.Audit;
using Dataward.Consent;
using Dataward.Platform.Security;
using Dataward.Platform.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace Dataward.Benchmarks.Consent;

/// <summary><c>consent-http</c>: consent checks per second over HTTP against a seeded database, as a ratio to constant
/// endpoints served by the same process in the same run, with latency percentiles. Slices of each endpoint alternate
/// (rotating the order every round) so drift on a shared machine spreads over all of them. Given several connection
/// levels, every endpoint is measured at each, and the best rate of the check is set against the best rate of the
/// anonymous constant (a server's throughput is its best rate at any load).</summary>
internal static class ConsentHttpScenario
{
    private const string Anonymous = "constant, anonymous";
    private const string Token = "constant, token";
    private const string Check = "consent check";

    public sealed record Options(StorageProvider Provider, int Subjects, int[] Connections, TimeSpan Slice, int Rounds, TimeSpan Warmup, bool Reseed);

    public static async Task<int> RunAsync(Options options)
    {
        var database = await ConsentBenchDatabase.PrepareAsync(options.Provider, options.Subjects, options.Reseed);
        var token = await CreateTokenAsync(database);
        var (server, address) = await ConsentBenchServer.StartAsync(options.Provider, options.Subjects);
        try
        {
            await SanityCheckAsync(address, token);
            LoadTarget[] targets =
            [
                new(Anonymous, null, _ => (ConsentBenchServer.AnonymousConstant, null)),
                new(Token, token, _ => (ConsentBenchServer.TokenConstant, null)),
                new(Check, token, random => NextCheck(random, options.Subjects)),
            ];
            var results = new List<LevelResult>();
            foreach (var connections in options.Connections)
            {
                var generators = targets.Select(t => new LoadGenerator(address, t, connections)).ToArray();
                foreach (var generator in generators)
                {
                    await Console.Error.WriteLineAsync($"// {connections} connections, warm-up: {generator.Target.Name}");
                    await generator.RunAsync(options.Warmup, seed: 0);
                }
                var measured = targets.ToDictionary(t => t.Name, _ => new List<(LoadSlice Slice, CpuUse Cpu)>());
                for (var round = 0; round < options.Rounds; round++)
                {
                    for (var k = 0; k < generators.Length; k++)
                    {
                        var generator = generators[(round + k) % generators.Length];
                        await Console.Error.WriteLineAsync($"// {connections} connections, round {round + 1}: {generator.Target.Name}");
                        var cpu = CpuMeter.Start(server);
                        var slice = await generator.RunAsync(options.Slice, seed: round + 1);
                        measured[generator.Target.Name].Add((slice, cpu.Stop()));
                    }
                }
                foreach (var generator in generators)
                {
                    generator.Dispose();
                }
                results.Add(new LevelResult(connections, measured));
            }
            return Report(options, results);
        }
        finally
        {
            await ConsentBenchServer.StopAsync(server);
        }
    }

    private static (string, bool?) NextCheck(Random random, int subjects)
    {
        var (subject, purpose, allowed) = ConsentBenchDatabase.RandomPair(random, subjects);
        return ($"/api/consent/check?subject={Uri.EscapeDataString(ConsentBenchDatabase.Subject(subject))}&purpose={ConsentBenchDatabase.Purpose(purpose)}",
            allowed);
    }

    private static async Task<string> CreateTokenAsync(ConsentBenchDatabase database)
    {
        await using var app = database.BuildCliApp();
        await using var scope = app.Services.CreateAsyncScope();
        var issued = await scope.ServiceProvider.GetRequiredService<ApiTokens>()
            .CreateAsync("consent-bench", StaffRoles.Staff, TimeSpan.FromDays(1), AuditActor.System);
        return issued.Succeeded ? issued.Value!.Secret : throw new InvalidOperationException(issued.Describe());
    }

    /// <summary>Before measuring: every endpoint answers what it should, through a real HTTP client.</summary>
    private static async Task SanityCheckAsync(IPEndPoint address, string token)
    {
        using var client = new HttpClient { BaseAddress = new Uri($"http://{address}") };
        await Expect(client, ConsentBenchServer.AnonymousConstant, HttpStatusCode.OK);
        await Expect(client, ConsentBenchServer.TokenConstant, HttpStatusCode.Unauthorized);
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        await Expect(client, ConsentBenchServer.TokenConstant, HttpStatusCode.OK);
        await Expect(client, $"/api/consent/check?subject=x&purpose=no-such-purpose", HttpStatusCode.NotFound);
        // Subject 1 gave consent to purpose 1 (1 + 1 is not a multiple of 5) and withdrew from purpose 4.
        (string Subject, int Purpose, bool Allowed, string State)[] cases =
        [
            (ConsentBenchDatabase.Subject(1), 1, true, "given"),
            (ConsentBenchDatabase.Subject(1).ToUpperInvariant(), 1, true, "given"),
            (ConsentBenchDatabase.Subject(1), 4, false, "withdrawn"),
            ("nobody@example.org", 1, false, "none"),
        ];
        foreach (var (subject, purpose, allowed, state) in cases)
        {
            var check = await client.GetFromJsonAsync<ConsentCheck>(
                $"/api/consent/check?subject={Uri.EscapeDataString(subject)}&purpose={ConsentBenchDatabase.Purpose(purpose)}");
            if (check is null || check.Allowed != allowed || check.State != state)
            {
                throw new InvalidOperationException($"The check for {subject} and purpose {purpose} answered {check}, not {state}.");
            }
        }
    }

    private static async Task Expect(HttpClient client, string path, HttpStatusCode status)
    {
        using var response = await client.GetAsync(path);
        if (response.StatusCode != status)
        {
            throw new InvalidOperationException($"GET {path} answered {(int)response.StatusCode}, not {(int)status}.");
        }
    }

    private sealed record LevelResult(int Connections, Dictionary<string, List<(LoadSlice Slice, CpuUse Cpu)>> Measured)
    {
        public double Rate(string name) => Measured[name].Sum(s => s.Slice.Requests) / Measured[name].Sum(s => s.Slice.Elapsed.TotalSeconds);

        public IEnumerable<double> RoundRates(string name) => Measured[name].Select(s => s.Slice.Requests / s.Slice.Elapsed.TotalSeconds);
    }

    private static int Report(Options options, List<LevelResult> levels)
    {
        var wrong = 0L;
        foreach (var level in levels)
        {
            var costs = new Dictionary<string, double>();
            Console.WriteLine();
            Console.WriteLine($"// consent-http on {options.Provider}: {options.Subjects:N0} subjects × {ConsentBenchDatabase.PurposeCount} purposes, " +
                $"{level.Connections} connections, {options.Rounds} rounds of {options.Slice.TotalSeconds:F0} s per endpoint, {Environment.ProcessorCount} cores");
            Console.WriteLine("| endpoint | requests | req/s | rounds (req/s) | p50 | p99 | p99.9 | server CPU | client CPU | machine busy | server CPU per request |");
            Console.WriteLine("| --- | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
            foreach (var (name, slices) in level.Measured)
            {
                var requests = slices.Sum(s => s.Slice.Requests);
                wrong += slices.Sum(s => s.Slice.Wrong);
                var latencies = slices.SelectMany(s => s.Slice.Latencies).ToArray();
                Array.Sort(latencies);
                var cpu = CpuUse.Sum(slices.Select(s => s.Cpu));
                costs[name] = cpu.Server * Environment.ProcessorCount * cpu.Wall.TotalSeconds * 1e6 / requests;
                Console.WriteLine($"| {name} | {requests:N0} | {level.Rate(name):N0} | " +
                    $"{string.Join(" / ", level.RoundRates(name).Select(r => r.ToString("N0", CultureInfo.InvariantCulture)))} | " +
                    $"{Milliseconds(latencies, 0.50)} | {Milliseconds(latencies, 0.99)} | {Milliseconds(latencies, 0.999)} | " +
                    $"{cpu.Server:P0} | {cpu.Client:P0} | {cpu.Machine:P0} | {costs[name]:F0} µs |");
            }
            Console.WriteLine();
            Console.WriteLine($"// ratio check / constant behind the same token: {level.Rate(Check) / level.Rate(Token):F2} " +
                $"(round by round: {string.Join(" / ", level.RoundRates(Check).Zip(level.RoundRates(Token), (c, t) => (c / t).ToString("F2", CultureInfo.InvariantCulture)))})");
            Console.WriteLine($"// ratio check / anonymous constant:             {level.Rate(Check) / level.Rate(Anonymous):F2}");
            Console.WriteLine($"// server CPU per constant behind the token / per check: {costs[Token] / costs[Check]:F2} " +
                $"(anonymous: {costs[Anonymous] / costs[Check]:F2})");
        }
        if (levels.Count > 1)
        {
            Console.WriteLine();
            Console.WriteLine("| connections | constant, anonymous (req/s) | constant, token (req/s) | consent check (req/s) | check / anonymous | check / token |");
            Console.WriteLine("| ---: | ---: | ---: | ---: | ---: | ---: |");
            foreach (var level in levels)
            {
                Console.WriteLine($"| {level.Connections} | {level.Rate(Anonymous):N0} | {level.Rate(Token):N0} | {level.Rate(Check):N0} | " +
                    $"{level.Rate(Check) / level.Rate(Anonymous):F2} | {level.Rate(Check) / level.Rate(Token):F2} |");
            }
            var bestCheck = levels.MaxBy(l => l.Rate(Check))!;
            var bestAnonymous = levels.MaxBy(l => l.Rate(Anonymous))!;
            Console.WriteLine();
            Console.WriteLine($"// best check rate / best anonymous constant rate: {bestCheck.Rate(Check) / bestAnonymous.Rate(Anonymous):F2} " +
                $"({bestCheck.Rate(Check):N0} at {bestCheck.Connections} connections / {bestAnonymous.Rate(Anonymous):N0} at {bestAnonymous.Connections})");
        }
        Console.WriteLine("// CPU shares are of the whole machine (all cores); 'machine busy' includes the database server and anything else running.");
        if (wrong > 0)
        {
            Console.WriteLine($"// {wrong:N0} answers had the wrong status or the wrong 'allowed': the run does not count.");
            return 1;
        }
        return 0;
    }

    private static string Milliseconds(long[] sorted, double quantile) =>
        sorted.Length == 0 ? "-" : $"{sorted[Math.Max(0, (int)Math.Ceiling(quantile * sorted.Length) - 1)] * 1000.0 / Stopwatch.Frequency:F2} ms";
}

/// <summary>CPU used during a slice by the server process, by this process (the client) and by the whole machine, each
/// as a share of all cores' time.</summary>
internal readonly record struct CpuUse(double Server, double Client, double Machine, TimeSpan Wall)
{
    public static CpuUse Sum(IEnumerable<CpuUse> slices)
    {
        var all = slices.ToList();
        var wall = all.Sum(s => s.Wall.TotalSeconds);
        return new CpuUse(all.Sum(s => s.Server * s.Wall.TotalSeconds) / wall, all.Sum(s => s.Client * s.Wall.TotalSeconds) / wall,
            all.Sum(s => s.Machine * s.Wall.TotalSeconds) / wall, TimeSpan.FromSeconds(wall));
    }
}

internal sealed class CpuMeter
{
    private readonly Process server;
    private readonly TimeSpan serverStart;
    private readonly TimeSpan clientStart;
    private readonly (long Busy, long Total) machineStart;
    private readonly long wallStart;

    private CpuMeter(Process server)
    {
        this.server = server;
        server.Refresh();
        serverStart = server.TotalProcessorTime;
        clientStart = Process.GetCurrentProcess().TotalProcessorTime;
        machineStart = MachineTicks();
        wallStart = Stopwatch.GetTimestamp();
    }

    public static CpuMeter Start(Process server) => new(server);

    public CpuUse Stop()
    {
        var wall = Stopwatch.GetElapsedTime(wallStart);
        server.Refresh();
        var cores = wall.TotalSeconds * Environment.ProcessorCount;
        var (busy, total) = MachineTicks();
        return new CpuUse((server.TotalProcessorTime - serverStart).TotalSeconds / cores,
            (Process.GetCurrentProcess().TotalProcessorTime - clientStart).TotalSeconds / cores,
            total == machineStart.Total ? double.NaN : (double)(busy - machineStart.Busy) / (total - machineStart.Total), wall);
    }

    /// <summary>Busy and total jiffies of all cores from /proc/stat (Linux), or zeros elsewhere.</summary>
    private static (long Busy, long Total) MachineTicks()
    {
        if (!File.Exists("/proc/stat"))
        {
            return (0, 0);
        }
        var fields = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1)
            .Select(f => long.Parse(f, CultureInfo.InvariantCulture)).ToArray();
        var total = fields.Take(8).Sum();
        var idle = fields[3] + fields[4];
        return (total - idle, total);
    }
}
