using System.CommandLine;
using System.Globalization;
using Dataward.Audit;
using Dataward.Platform.Cli;

namespace Dataward.Retention;

/// <summary><c>dataward retention sweep [--dry-run] | replay [--dry-run] | resume ID | remind</c>: what the background
/// jobs do, on demand, for cron-driven set-ups and operators.</summary>
public static class RetentionCommands
{
    public static Command Create()
    {
        var dryRun = new Option<bool>("--dry-run") { Description = "Count what would change, per rule and collection, and change nothing." };
        var sweep = new Command("sweep", "Sweep every active rule: erase, anonymise or flag expired rows in batches; exit 1 if a rule paused.") { dryRun };
        sweep.SetAction((parsed, cancellationToken) => DatawardCommandLine.WithServicesAsync(async (services, ct) =>
        {
            var outcome = await services.GetRequiredService<RetentionSweeps>()
                .StartAsync(new SweepRequest(parsed.GetValue(dryRun)), AuditActor.Cli, "cli", ct);
            if (!outcome.Succeeded)
            {
                await Console.Error.WriteLineAsync(outcome.Describe());
                return ExitCodes.BadInput;
            }
            return await PrintAsync(outcome.Value!);
        }, cancellationToken));

        var replayDryRun = new Option<bool>("--dry-run") { Description = "List the recorded erasures and count the rows a restore brought back, changing nothing." };
        var replay = new Command("replay", "After a backup restore, apply the recorded erasures again (MIN008); with --dry-run, list them.") { replayDryRun };
        replay.SetAction((parsed, cancellationToken) => DatawardCommandLine.WithServicesAsync(async (services, ct) =>
        {
            var sweeps = services.GetRequiredService<RetentionSweeps>();
            foreach (var entry in await sweeps.ErasuresAsync(ct))
            {
                Console.WriteLine($"{entry.RuleName}: {entry.Rows} row(s) {entry.Action} in {entry.Dataset}:{entry.Collection} " +
                    $"({entry.FirstAppliedAt:yyyy-MM-dd} to {entry.LastAppliedAt:yyyy-MM-dd}), {entry.Replayed} replayed");
            }
            return await PrintAsync(await sweeps.ReplayAsync(parsed.GetValue(replayDryRun), AuditActor.Cli, "cli", ct));
        }, cancellationToken));

        var id = new Argument<string>("id") { Description = "The sweep's id (as in /retention/sweeps/ID)." };
        var resume = new Command("resume", "Resume a paused sweep now, from each rule's checkpoint.") { id };
        resume.SetAction((parsed, cancellationToken) =>
        {
            if (!Guid.TryParse(parsed.GetValue(id), out var sweepId))
            {
                Console.Error.WriteLine($"'{parsed.GetValue(id)}' is not a sweep id: give the GUID shown in /retention/sweeps.");
                return Task.FromResult(ExitCodes.BadInput);
            }
            return DatawardCommandLine.WithServicesAsync(async (services, ct) =>
            {
                var outcome = await services.GetRequiredService<RetentionSweeps>().ResumeAsync(sweepId, AuditActor.Cli, ct);
                if (!outcome.Succeeded)
                {
                    await Console.Error.WriteLineAsync(outcome.Describe());
                    return ExitCodes.BadInput;
                }
                return await PrintAsync(outcome.Value!);
            }, cancellationToken);
        });

        var remind = new Command("remind", "E-mail the DPOs about rules whose annual review is overdue or due soon (MIN006).");
        remind.SetAction((_, cancellationToken) => DatawardCommandLine.WithServicesAsync(async (services, ct) =>
        {
            var rules = await services.GetRequiredService<RetentionService>().QueueReviewRemindersAsync(ct);
            var sent = await services.GetRequiredService<Platform.Email.EmailOutbox>().DispatchAsync(ct);
            Console.WriteLine($"{rules} rule(s) in the reminder; {sent} message(s) sent.");
            return ExitCodes.Ok;
        }, cancellationToken));

        return new Command("retention", "The retention schedule: sweeps, replays after a restore, review reminders.") { sweep, replay, resume, remind };
    }

    private static async Task<int> PrintAsync(SweepView view)
    {
        Console.WriteLine($"{(view.Kind == "replay" ? "Replay" : "Sweep")} {view.Id} ({(view.DryRun ? "dry run" : "applied")}): {view.Status}");
        foreach (var rule in view.Rules)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{rule.RuleName} v{rule.RuleVersion} {rule.Dataset}:{rule.Collection} {rule.Action}: {rule.Status}; matched {rule.Matched}, " +
                $"changed {rule.Changed}, {(view.DryRun ? "would change" : "outstanding")} {rule.Outstanding}, untriggered {rule.Untriggered}, " +
                $"skipped {rule.Skipped.LegalHold} legal hold / {rule.Skipped.PendingRequest} pending request / {rule.Skipped.AlreadyErased} already erased / " +
                $"{rule.Skipped.UnreadableTrigger} unreadable, failed {rule.Failed}"));
            foreach (var line in new[] { rule.Note, rule.Error }.OfType<string>())
            {
                Console.WriteLine($"  {line}");
            }
        }
        if (view.Error is not null)
        {
            await Console.Error.WriteLineAsync(view.Error);
        }
        return view.Status == SweepStatus.Completed ? ExitCodes.Ok : ExitCodes.CheckFailed;
    }
}
