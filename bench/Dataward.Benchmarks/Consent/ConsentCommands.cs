using System.CommandLine;
using Dataward.Platform.Storage;

namespace Dataward.Benchmarks.Consent;

/// <summary>The scenario verbs of the benchmark program; anything else goes to BenchmarkDotNet.</summary>
internal static class ConsentCommands
{
    public static readonly IReadOnlySet<string> Verbs = new HashSet<string> { "consent-http", "consent-inprocess", ConsentBenchServer.Verb };

    public static async Task<int> RunAsync(string[] args)
    {
        var provider = new Option<string>("--provider") { Description = "sqlite or postgres (DATAWARD_TEST_POSTGRES names the server)", DefaultValueFactory = _ => "sqlite" };
        provider.AcceptOnlyFromAmong("sqlite", "postgres");
        var subjects = new Option<int>("--subjects") { Description = "people seeded, each with a state for every purpose", DefaultValueFactory = _ => 1_000_000 };
        var reseed = new Option<bool>("--reseed") { Description = "seed again even if a complete seeded database is cached" };
        var connections = new Option<int[]>("--connections")
        {
            Description = "concurrent keep-alive connections; several (e.g. --connections 16 32 64 128 256) measure every endpoint at each level in one run",
            DefaultValueFactory = _ => [32],
            AllowMultipleArgumentsPerToken = true,
            Arity = ArgumentArity.OneOrMore,
        };
        connections.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int[]>() is { } levels && levels.Any(level => level is < 1 or > 4096))
            {
                result.AddError("--connections: each level must be from 1 to 4096 connections.");
            }
        });
        var seconds = new Option<int>("--seconds") { Description = "length of one measured slice of one endpoint", DefaultValueFactory = _ => 5 };
        var rounds = new Option<int>("--rounds") { Description = "measured slices per endpoint, alternating", DefaultValueFactory = _ => 4 };
        StorageProvider Provider(ParseResult parsed) => parsed.GetValue(provider) == "postgres" ? StorageProvider.Postgres : StorageProvider.Sqlite;

        var http = new Command("consent-http", "Consent checks per second over HTTP, as a ratio to constant endpoints, with latency percentiles.")
        {
            provider, subjects, reseed, connections, seconds, rounds,
        };
        http.SetAction(async (parsed, _) => await ConsentHttpScenario.RunAsync(new ConsentHttpScenario.Options(Provider(parsed),
            parsed.GetValue(subjects), parsed.GetValue(connections)!, TimeSpan.FromSeconds(parsed.GetValue(seconds)), parsed.GetValue(rounds),
            TimeSpan.FromSeconds(5), parsed.GetValue(reseed))));
        var inProcess = new Command("consent-inprocess", "ConsentService checks per second in process, as a ratio to a raw ADO.NET lookup.")
        {
            provider, subjects, reseed, seconds, rounds,
        };
        inProcess.SetAction(async (parsed, _) => await ConsentInProcessScenario.RunAsync(new ConsentInProcessScenario.Options(Provider(parsed),
            parsed.GetValue(subjects), TimeSpan.FromSeconds(parsed.GetValue(seconds)), parsed.GetValue(rounds), parsed.GetValue(reseed))));
        var serve = new Command(ConsentBenchServer.Verb, "The server half of consent-http (started by it).") { provider, subjects };
        serve.Hidden = true;
        serve.SetAction(async (parsed, _) => await ConsentBenchServer.RunAsync(Provider(parsed), parsed.GetValue(subjects)));

        var parsedArgs = new RootCommand("Dataward benchmark scenarios") { http, inProcess, serve }.Parse(args);
        var exit = await parsedArgs.InvokeAsync();
        return parsedArgs.Errors.Count > 0 ? 2 : exit;
    }
}
