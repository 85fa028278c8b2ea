using BenchmarkDotNet.Running;
using Dataward.Benchmarks.Consent;
using Dataward.Benchmarks.Requests;

// Scenario runs (load over HTTP, long in-process loops) have verbs; everything else is BenchmarkDotNet's command line.
if (args is [var verb, ..] && ConsentCommands.Verbs.Contains(verb))
{
    return await ConsentCommands.RunAsync(args);
}
if (args is [var requests, ..] && RequestsCommands.Verbs.Contains(requests))
{
    return await RequestsCommands.RunAsync(args);
}
if (args is [Dataward.Benchmarks.Retention.RetentionSweepScenario.Verb, ..])
{
    var parsed = new System.CommandLine.RootCommand("Dataward benchmark scenarios") { Dataward.Benchmarks.Retention.RetentionSweepScenario.Create() }.Parse(args);
    var exit = await parsed.InvokeAsync();
    return parsed.Errors.Count > 0 ? 2 : exit;
}
BenchmarkSwitcher.FromAssembly(typeof(Dataward.Benchmarks.AuditAppendBenchmarks).Assembly).Run(args);
return 0;
