using System.CommandLine;
using Dataward.Platform.Cli;

namespace Dataward.Audit;

/// <summary><c>dataward audit verify|export</c>.</summary>
public static class AuditCommands
{
    public static Command Create()
    {
        var verify = new Command("verify", "Walk the hash chain; exit 1 and name the first broken entry if it was tampered with.");
        verify.SetAction((_, cancellationToken) => DatawardCommandLine.WithServicesAsync(async (services, ct) =>
        {
            var result = await services.GetRequiredService<AuditTrail>().VerifyAsync(ct);
            if (result.Intact)
            {
                Console.WriteLine($"Audit trail intact: {result.Count} entries.");
                return ExitCodes.Ok;
            }
            await Console.Error.WriteLineAsync(
                $"Audit trail BROKEN at entry {result.FirstBrokenSequence}: {result.Reason}. {result.Count} entries before it verify.");
            return ExitCodes.CheckFailed;
        }, cancellationToken));

        var output = new Option<FileInfo?>("--output") { Description = "Write to this file instead of standard output." };
        var export = new Command("export", "Export the whole trail as CSV in chain order.") { output };
        export.SetAction((parseResult, cancellationToken) => DatawardCommandLine.WithServicesAsync(async (services, ct) =>
        {
            var file = parseResult.GetValue(output);
            var trail = services.GetRequiredService<AuditTrail>();
            await trail.RecordAsync(AuditActor.Cli, "audit.exported", "", null, ct);
            if (file is null)
            {
                await trail.ExportCsvAsync(new AuditQuery(), Console.Out, ct);
                return ExitCodes.Ok;
            }
            await using var writer = new StreamWriter(file.FullName);
            await trail.ExportCsvAsync(new AuditQuery(), writer, ct);
            Console.WriteLine($"Wrote {file.FullName}.");
            return ExitCodes.Ok;
        }, cancellationToken));

        return new Command("audit", "The tamper-evident audit trail.") { verify, export };
    }
}
