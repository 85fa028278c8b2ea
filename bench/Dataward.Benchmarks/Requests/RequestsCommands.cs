using System.CommandLine;
using Dataward.Platform.Storage;

namespace Dataward.Benchmarks.Requests;

/// <summary>The <c>requests</c> verb: access and erasure requests through the engine, as ratios to raw SQL.</summary>
internal static class RequestsCommands
{
    public static readonly IReadOnlySet<string> Verbs = new HashSet<string> { "requests" };

    public static async Task<int> RunAsync(string[] args)
    {
        var provider = new Option<string>("--provider") { Description = "sqlite or postgres (DATAWARD_TEST_POSTGRES names the server)", DefaultValueFactory = _ => "sqlite" };
        provider.AcceptOnlyFromAmong("sqlite", "postgres");
        var customers = new Option<int>("--customers") { Description = "customers generated, with about nine more rows each", DefaultValueFactory = _ => 1_000_000 };
        var regenerate = new Option<bool>("--regenerate") { Description = "generate the shop again even if a complete one is cached" };
        var accesses = new Option<int>("--accesses") { Description = "access requests per side, one at a time", DefaultValueFactory = _ => 300 };
        var erasures = new Option<int>("--erasures") { Description = "erasure requests per side, one at a time", DefaultValueFactory = _ => 120 };
        var seconds = new Option<int>("--seconds") { Description = "length of one parallel measurement per side", DefaultValueFactory = _ => 10 };
        var parallel = new Option<int[]>("--parallel") { Description = "requests in flight for the throughput runs (0: skip them)", DefaultValueFactory = _ => [4, 8], AllowMultipleArgumentsPerToken = true, Arity = ArgumentArity.ZeroOrMore };

        var profile = new Option<string?>("--profile") { Description = "only run engine requests (access or erasure) for --seconds, for a profiler", Hidden = true };
        profile.AcceptOnlyFromAmong("access", "erasure");
        var command = new Command("requests", "Access and erasure requests through the engine, as ratios to the raw indexed SQL they need, and requests per minute in parallel.")
        {
            provider, customers, regenerate, accesses, erasures, seconds, parallel, profile,
        };
        command.SetAction(async (parsed, _) => await RequestsScenario.RunAsync(new RequestsScenario.Options(
            parsed.GetValue(provider) == "postgres" ? StorageProvider.Postgres : StorageProvider.Sqlite,
            parsed.GetValue(customers), parsed.GetValue(regenerate), parsed.GetValue(accesses), parsed.GetValue(erasures),
            TimeSpan.FromSeconds(parsed.GetValue(seconds)), [.. (parsed.GetValue(parallel) ?? []).Where(p => p > 0)], parsed.GetValue(profile))));
        var parsedArgs = new RootCommand("Dataward benchmark scenarios") { command }.Parse(args);
        var exit = await parsedArgs.InvokeAsync();
        return parsedArgs.Errors.Count > 0 ? 2 : exit;
    }
}
