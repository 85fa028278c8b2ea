using System.CommandLine;
using Dataward.Audit;
using Dataward.Platform.Cli;

namespace Dataward.Sharing;

/// <summary><c>dataward share export AGREEMENT --out FILE</c>: an extract under a sharing agreement, written to a file
/// the operator chooses.</summary>
public static class SharingCommands
{
    public static Command Create()
    {
        var agreement = new Argument<string>("agreement") { Description = "The agreement's reference, e.g. DSA-2026-0001." };
        var output = new Option<FileInfo>("--out") { Description = "The file to write; it must not exist yet.", Required = true };
        var fields = new Option<string?>("--fields") { Description = "Comma-separated fields to include (each must be agreed); default every agreed field." };
        var format = new Option<string?>("--format") { Description = "csv or json; default from the file's extension, else csv." };
        var export = new Command("export", "Write the extract of an active agreement: only its fields, treated as agreed; logged with the file's SHA-256.")
        {
            agreement, output, fields, format,
        };
        export.SetAction(async (parseResult, cancellationToken) =>
        {
            var file = parseResult.GetValue(output)!;
            if (file.Exists)
            {
                await Console.Error.WriteLineAsync($"--out: {file.FullName} exists; choose a new file (exports never overwrite).");
                return ExitCodes.BadInput;
            }
            if (file.Directory is { Exists: false } folder)
            {
                await Console.Error.WriteLineAsync($"--out: the folder {folder.FullName} does not exist.");
                return ExitCodes.BadInput;
            }
            var chosen = parseResult.GetValue(format) ?? (file.Extension.Equals(".json", StringComparison.OrdinalIgnoreCase) ? SharingExtract.Json : SharingExtract.Csv);
            var names = parseResult.GetValue(fields)?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            return await DatawardCommandLine.WithServicesAsync(async (services, ct) =>
            {
                // Written beside the target and moved into place when complete: a failed export leaves no partial file.
                var partial = new FileInfo(file.FullName + ".partial");
                ExportView? done = null;
                string? failure = null;
                await using (var stream = new FileStream(partial.FullName, SharingExtract.PrivateFile(FileMode.CreateNew, FileAccess.Write)))
                {
                    var outcome = await services.GetRequiredService<SharingService>()
                        .ExportAsync(parseResult.GetValue(agreement)!, new ExportRequest(names, chosen), stream, file.Name, AuditActor.Cli, ct);
                    if (outcome.Succeeded)
                    {
                        done = outcome.Value;
                    }
                    else
                    {
                        failure = outcome.Describe();
                    }
                }
                if (done is null)
                {
                    partial.Delete();
                    await Console.Error.WriteLineAsync(failure);
                    return ExitCodes.BadInput;
                }
                partial.MoveTo(file.FullName, overwrite: false);
                Console.WriteLine($"Exported {done.Records} record(s) under {done.Agreement} to {file.FullName} ({done.Label}).");
                Console.WriteLine($"Fields: {string.Join(", ", done.Fields.Select(f => $"{f.Field} ({f.Treatment})"))}");
                Console.WriteLine($"SHA-256: {done.Sha256}");
                return ExitCodes.Ok;
            }, cancellationToken);
        });
        return new Command("share", "Minimised sharing under agreements (MIN018-MIN023).") { export };
    }
}
