using System.CommandLine;
using Dataward.Audit;
using Dataward.Platform.Cli;

namespace Dataward.Shredding;

/// <summary><c>dataward subject-keys destroy SUBJECT --reason ...</c>: crypto-shredding from the command line (MIN017).</summary>
public static class SubjectKeyCommands
{
    public static Command Create()
    {
        var subject = new Argument<string>("subject") { Description = "The person's e-mail address or customer id." };
        var reason = new Option<string>("--reason") { Description = "Why, e.g. the erasure request's reference.", Required = true };
        var destroy = new Command("destroy", "Destroy the person's data key: what Dataward keeps about them stays as ciphertext nobody can read.") { subject, reason };
        destroy.SetAction((parseResult, cancellationToken) => DatawardCommandLine.WithServicesAsync(async (services, ct) =>
        {
            var outcome = await services.GetRequiredService<SubjectKeys>()
                .DestroyAsync(new SubjectKeyDestroyRequest(parseResult.GetValue(subject), parseResult.GetValue(reason)), AuditActor.Cli, ct);
            if (!outcome.Succeeded)
            {
                await Console.Error.WriteLineAsync(outcome.Describe());
                return ExitCodes.BadInput;
            }
            var done = outcome.Value!;
            Console.WriteLine(done.KeysDestroyed.Count > 0
                ? $"Destroyed {done.KeysDestroyed.Count} key(s) of subject {done.SubjectHash[..12]}…: {string.Join(", ", done.KeysDestroyed)}."
                : $"Nothing to destroy for subject {done.SubjectHash[..12]}… ({done.KeysDestroyedBefore} key(s) destroyed before).");
            return ExitCodes.Ok;
        }, cancellationToken));
        return new Command("subject-keys", "Per-person data keys (crypto-shredding).") { destroy };
    }
}
