using System.CommandLine;
using Dataward.Audit;
using Dataward.Connectors.Datasets;
using Dataward.Platform.Cli;

namespace Dataward.Datasets;

/// <summary><c>dataward datasets import|list|export</c>: fideslang datasets in and out of the register.</summary>
public static class DatasetCommands
{
    public static Command Create()
    {
        var path = new Argument<FileInfo>("file") { Description = "A fideslang dataset file (YAML or JSON) with a 'dataset' list." };
        var replace = new Option<bool>("--replace") { Description = "Replace registered datasets that differ, as their next version." };
        var import = new Command("import", "Import the datasets of a file: validate everything first; nothing changes if any part is invalid.") { path, replace };
        import.SetAction(async (parseResult, cancellationToken) =>
        {
            var file = parseResult.GetValue(path)!;
            var (text, error) = await InputFile.ReadAsync(file, FidesDatasetFile.MaxBytes, cancellationToken);
            if (text is null)
            {
                await Console.Error.WriteLineAsync(error);
                return ExitCodes.BadInput;
            }
            var parsed = FidesDatasetFile.Parse(text);
            if (!parsed.Succeeded)
            {
                await Console.Error.WriteLineAsync($"Nothing was imported:{Environment.NewLine}{parsed.Describe()}");
                return ExitCodes.BadInput;
            }
            return await DatawardCommandLine.WithServicesAsync(async (services, ct) =>
            {
                var outcome = await services.GetRequiredService<DatasetService>().ImportAsync(parsed.Value!, parseResult.GetValue(replace), AuditActor.Cli, ct);
                if (!outcome.Succeeded)
                {
                    await Console.Error.WriteLineAsync($"Nothing was imported:{Environment.NewLine}{outcome.Describe()}");
                    return ExitCodes.BadInput;
                }
                var s = outcome.Value!;
                foreach (var d in s.Datasets)
                {
                    Console.WriteLine($"{d.Result,-9} {d.Key} (version {d.Version})");
                }
                Console.WriteLine(s.Changed
                    ? $"Imported: {s.Count(DatasetImportResults.Created)} created, {s.Count(DatasetImportResults.Replaced)} replaced, {s.Count(DatasetImportResults.Unchanged)} unchanged."
                    : $"No changes: the register already holds these {s.Datasets.Count} dataset(s).");
                return ExitCodes.Ok;
            }, cancellationToken);
        });

        var list = new Command("list", "List registered datasets with their size and who names them.");
        list.SetAction((_, cancellationToken) => DatawardCommandLine.WithServicesAsync(async (services, ct) =>
        {
            foreach (var d in await services.GetRequiredService<DatasetService>().ListAsync(ct))
            {
                Console.WriteLine($"{d.Key}  v{d.Version}  {d.Collections} collections, {d.Fields} fields  {d.Name}");
            }
            return ExitCodes.Ok;
        }, cancellationToken));

        var key = new Argument<string>("key") { Description = "The dataset's fides_key." };
        var output = new Option<FileInfo?>("--output") { Description = "Write to this file instead of standard output." };
        var export = new Command("export", "Write one dataset as a fideslang YAML file, ready to import again.") { key, output };
        export.SetAction((parseResult, cancellationToken) => DatawardCommandLine.WithServicesAsync(async (services, ct) =>
        {
            if (await services.GetRequiredService<DatasetService>().GetAsync(parseResult.GetValue(key)!, ct) is not { } stored)
            {
                await Console.Error.WriteLineAsync($"No dataset '{parseResult.GetValue(key)}' is registered.");
                return ExitCodes.BadInput;
            }
            var yaml = FidesDatasetFile.Write([stored.Dataset]);
            if (parseResult.GetValue(output) is { } file)
            {
                await File.WriteAllTextAsync(file.FullName, yaml, ct);
                Console.WriteLine($"Wrote {stored.Dataset.FidesKey} (version {stored.Version}) to {file.FullName}.");
            }
            else
            {
                Console.Write(yaml);
            }
            return ExitCodes.Ok;
        }, cancellationToken));

        return new Command("datasets", "Databases that hold personal data, as fideslang datasets.") { import, list, export };
    }
}
