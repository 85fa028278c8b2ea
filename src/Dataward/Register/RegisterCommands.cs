using System.CommandLine;
using Dataward.Audit;
using Dataward.Domain.Register;
using Dataward.Platform.Cli;

namespace Dataward.Register;

/// <summary><c>dataward register check|export|import</c>: the register as code.</summary>
public static class RegisterCommands
{
    public static Command Create()
    {
        var check = new Command("check", "Run the register checks; exit 1 when any error-level violation exists.");
        check.SetAction((_, cancellationToken) => DatawardCommandLine.WithServicesAsync(async (services, ct) =>
        {
            var violations = await services.GetRequiredService<RegisterService>().CheckAsync(ct);
            foreach (var v in violations.OrderByDescending(v => v.Level).ThenBy(v => v.Activity, StringComparer.Ordinal))
            {
                Console.WriteLine($"{v.RuleId} {v.Level.ToString().ToLowerInvariant(),-7} {v.Activity}: {v.Message} ({v.Field})");
            }
            var errors = violations.Count(v => v.Level == CheckLevel.Error);
            Console.WriteLine($"{errors} error(s), {violations.Count - errors} warning(s).");
            return errors > 0 ? ExitCodes.CheckFailed : ExitCodes.Ok;
        }, cancellationToken));

        var format = new Option<string>("--format") { Description = "yaml (default), json, csv or xlsx.", DefaultValueFactory = _ => "yaml" };
        var output = new Option<FileInfo?>("--output") { Description = "Write to this file instead of standard output." };
        var export = new Command("export", "Write the whole register (YAML/JSON to re-import; CSV/XLSX in the ICO template's columns).") { format, output };
        export.SetAction(async (parseResult, cancellationToken) =>
        {
            if (!RegisterFile.TryParseFormat(parseResult.GetValue(format), out var parsed))
            {
                await Console.Error.WriteLineAsync($"--format: '{parseResult.GetValue(format)}' is not yaml, json, csv or xlsx.");
                return ExitCodes.BadInput;
            }
            var file = parseResult.GetValue(output);
            if (parsed == RegisterFormat.Xlsx && file is null)
            {
                await Console.Error.WriteLineAsync("--output: XLSX is binary; name a file to write it to.");
                return ExitCodes.BadInput;
            }
            return await DatawardCommandLine.WithServicesAsync(async (services, ct) =>
            {
                var register = services.GetRequiredService<RegisterService>();
                var document = await register.ExportAsync(ct);
                var activities = await register.ListAsync(new ActivityFilter(), ct);
                await using var stream = file is null ? Console.OpenStandardOutput() : file.Create();
                await RegisterFile.WriteAsync(document, activities, parsed, stream, ct);
                if (file is not null)
                {
                    Console.WriteLine($"Wrote {activities.Count} activities to {file.FullName}.");
                }
                return ExitCodes.Ok;
            }, cancellationToken);
        });

        var path = new Argument<FileInfo>("file") { Description = "A YAML or JSON register file (as 'register export' writes)." };
        var import = new Command("import", "Apply a register file: validate everything, then create or update activities by name; nothing changes if any part is invalid.") { path };
        import.SetAction(async (parseResult, cancellationToken) =>
        {
            var file = parseResult.GetValue(path)!;
            var (text, error) = await InputFile.ReadAsync(file, RegisterFile.MaxBytes, cancellationToken);
            if (text is null)
            {
                await Console.Error.WriteLineAsync(error);
                return ExitCodes.BadInput;
            }
            var parsed = RegisterFile.Parse(text);
            if (!parsed.Succeeded)
            {
                await Console.Error.WriteLineAsync(parsed.Describe());
                return ExitCodes.BadInput;
            }
            return await DatawardCommandLine.WithServicesAsync(async (services, ct) =>
            {
                var outcome = await services.GetRequiredService<RegisterService>().ImportAsync(parsed.Value!, AuditActor.Cli, ct);
                if (!outcome.Succeeded)
                {
                    await Console.Error.WriteLineAsync($"Nothing was imported:{Environment.NewLine}{outcome.Describe()}");
                    return ExitCodes.BadInput;
                }
                var s = outcome.Value!;
                Console.WriteLine(s.Changed
                    ? $"Imported: {s.Created} created, {s.Updated} updated, {s.Unchanged} unchanged, {s.TaxonomyKeysAdded} taxonomy key(s) added."
                    : $"No changes: the register already matches the file ({s.Unchanged} activities).");
                return ExitCodes.Ok;
            }, cancellationToken);
        });

        var remind = new Command("remind", "E-mail the DPO the activities overdue or due for review within 14 days (serve does this every 6 hours).");
        remind.SetAction((_, cancellationToken) => DatawardCommandLine.WithServicesAsync(async (services, ct) =>
        {
            var named = await services.GetRequiredService<ReviewReminders>().QueueDueAsync(ct);
            var sent = await services.GetRequiredService<Platform.Email.EmailOutbox>().DispatchAsync(ct);
            Console.WriteLine($"{named} activit{(named == 1 ? "y" : "ies")} in the reminder; {sent} message(s) sent.");
            return ExitCodes.Ok;
        }, cancellationToken));

        return new Command("register", "The Data Processing Register (Art. 30).") { check, export, import, remind };
    }
}
