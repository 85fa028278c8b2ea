using System.CommandLine;
using Dataward.Platform.Cli;

namespace Dataward.Training;

/// <summary><c>dataward training remind</c>: the reminder job's work, for cron-driven set-ups (<c>Jobs:Enabled=false</c>).</summary>
public static class TrainingCommands
{
    public static Command Create()
    {
        var remind = new Command("remind", "E-mail staff whose required training is due soon or overdue, and the DPO about overdue induction meetings (serve does this every 6 hours).");
        remind.SetAction((_, cancellationToken) => DatawardCommandLine.WithServicesAsync(async (services, ct) =>
        {
            var run = await services.GetRequiredService<TrainingReminders>().QueueDueAsync(ct);
            var sent = await services.GetRequiredService<Platform.Email.EmailOutbox>().DispatchAsync(ct);
            Console.WriteLine($"{run.People} {(run.People == 1 ? "person" : "people")} reminded of {run.Items} course(s); {run.InductionMeetings} induction meeting(s) overdue; {sent} message(s) sent.");
            return ExitCodes.Ok;
        }, cancellationToken));
        return new Command("training", "Staff data protection training (accountability.md §3.4).") { remind };
    }
}
