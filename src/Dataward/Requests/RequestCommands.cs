using System.CommandLine;
using Dataward.Audit;
using Dataward.Platform.Cli;

namespace Dataward.Requests;

/// <summary><c>dataward requests plan|run ID</c>: show a verified request's plan with a dry run, or run an access or
/// portability request now (what the job does every minute under <c>serve</c>).</summary>
public static class RequestCommands
{
    public static Command Create()
    {
        var id = new Argument<string>("id") { Description = "The request's id (a GUID, as in /requests/ID)." };
        var plan = new Command("plan", "Show what the request will read, in order, with the rows each step would touch (a dry run), and what cannot be reached.") { id };
        plan.SetAction((parseResult, cancellationToken) => WithRequestAsync(parseResult.GetValue(id), async (access, requestId, ct) =>
        {
            var outcome = await access.PlanAsync(requestId, AuditActor.Cli, ct);
            if (!outcome.Succeeded)
            {
                await Console.Error.WriteLineAsync(outcome.Describe());
                return ExitCodes.BadInput;
            }
            var p = outcome.Value!;
            Console.WriteLine($"{p.Reference}: {p.Steps.Count} steps for identities {string.Join(", ", p.IdentityKinds)}");
            foreach (var step in p.Steps)
            {
                Console.WriteLine($"{step.Order,3}. {step.Collection}  rows: {(step.Rows is { } rows ? rows.ToString(System.Globalization.CultureInfo.InvariantCulture) : "?")}");
                Console.WriteLine($"     reads {string.Join(", ", step.Fields)}");
                Console.WriteLine($"     where {string.Join(" or ", step.Inputs)}");
            }
            foreach (var u in p.Unreachable)
            {
                Console.WriteLine($"unreachable {u.Collection}: {u.Reason}");
            }
            foreach (var line in p.Notes.Concat(p.Mismatches))
            {
                Console.WriteLine($"note: {line}");
            }
            if (p.Error is not null)
            {
                await Console.Error.WriteLineAsync(p.Error);
                return ExitCodes.CheckFailed;
            }
            return p.Mismatches.Count > 0 ? ExitCodes.CheckFailed : ExitCodes.Ok;
        }, cancellationToken));

        var run = new Command("run", "Run an access or portability request now and build its package; exit 1 if a database could not be read (it is tried again later).") { id };
        run.SetAction((parseResult, cancellationToken) => WithRequestAsync(parseResult.GetValue(id), async (access, requestId, ct) =>
        {
            var outcome = await access.RunAsync(requestId, AuditActor.Cli, ct);
            if (!outcome.Succeeded)
            {
                await Console.Error.WriteLineAsync(outcome.Describe());
                return ExitCodes.BadInput;
            }
            var r = outcome.Value!;
            if (!r.Succeeded)
            {
                await Console.Error.WriteLineAsync($"{r.Reference} paused: {r.Error} Next try after {r.NextAttemptAt:yyyy-MM-dd HH:mm} UTC.");
                return ExitCodes.CheckFailed;
            }
            Console.WriteLine($"{r.Reference}: {r.State}; {r.Rows.Values.Sum()} rows in {r.Rows.Count(c => c.Value > 0)} of {r.Rows.Count} collections; {r.Flags.Count(f => !f.Resolved)} open third-party flags.");
            return ExitCodes.Ok;
        }, cancellationToken));

        return new Command("requests", "Data-subject requests: plan and run access and portability requests.") { plan, run };
    }

    private static Task<int> WithRequestAsync(string? text, Func<RequestAccessService, Guid, CancellationToken, Task<int>> verb, CancellationToken cancellationToken)
    {
        if (!Guid.TryParse(text, out var requestId))
        {
            Console.Error.WriteLine($"'{text}' is not a request id: give the GUID shown in the request's address (/requests/ID).");
            return Task.FromResult(ExitCodes.BadInput);
        }
        return DatawardCommandLine.WithServicesAsync((services, ct) => verb(services.GetRequiredService<RequestAccessService>(), requestId, ct), cancellationToken);
    }
}
