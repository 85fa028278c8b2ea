using System.CommandLine;
using Dataward.Audit;
using Dataward.Platform.Security;
using Dataward.Platform.Storage;
using Dataward.Platform.Web;

namespace Dataward.Platform.Cli;

/// <summary>Exit codes every verb uses.</summary>
public static class ExitCodes
{
    public const int Ok = 0;
    /// <summary>A check ran and found problems (e.g. a broken audit chain).</summary>
    public const int CheckFailed = 1;
    /// <summary>Bad usage, bad input or bad configuration; nothing was changed.</summary>
    public const int BadInput = 2;
}

/// <summary>The <c>dataward</c> verbs. With no verb, <c>serve</c>.</summary>
public static class DatawardCommandLine
{
    public static async Task<int> RunAsync(string[] args)
    {
        if (args.Length == 0)
        {
            args = ["serve"];
        }
        var root = new RootCommand("Dataward: data-protection operations. With no verb, serve.")
        {
            ServeCommand.Create(),
            StorageCommands.CreateMigrate(),
            UserCommands.Create(),
            TokenCommands.Create(),
            AuditCommands.Create(),
            Register.RegisterCommands.Create(),
            Datasets.DatasetCommands.Create(),
            Requests.RequestCommands.Create(),
            Pseudonymisation.PseudonymisationCommands.Create(),
            Shredding.SubjectKeyCommands.Create(),
            Sharing.SharingCommands.Create(),
            Retention.RetentionCommands.Create(),
            Training.TrainingCommands.Create(),
        };
        var parsed = root.Parse(args);
        try
        {
            var exit = await parsed.InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
            // System.CommandLine reports usage errors with 1; Dataward keeps 1 for failed checks.
            return parsed.Errors.Count > 0 ? ExitCodes.BadInput : exit;
        }
        catch (ConfigurationException e)
        {
            await Console.Error.WriteLineAsync(e.Message);
            return ExitCodes.BadInput;
        }
        catch (Microsoft.Extensions.Options.OptionsValidationException e)
        {
            await Console.Error.WriteLineAsync($"Configuration error: {string.Join("; ", e.Failures)}");
            return ExitCodes.BadInput;
        }
    }

    /// <summary>Builds the same services <c>serve</c> uses (configuration, storage, audit) and runs one verb in a scope.</summary>
    public static async Task<int> WithServicesAsync(Func<IServiceProvider, CancellationToken, Task<int>> verb,
        CancellationToken cancellationToken, bool requireCurrentSchema = true)
    {
        await using var app = DatawardApp.Build([], HostMode.Cli);
        if (requireCurrentSchema)
        {
            var settings = app.Services.GetRequiredService<StorageSettings>();
            if (settings.MigrateOnStart)
            {
                await StorageRegistration.MigrateAsync(app.Services, cancellationToken);
            }
            else if (await StorageRegistration.PendingMigrationsAsync(app.Services, cancellationToken) is > 0 and var pending)
            {
                await Console.Error.WriteLineAsync($"The database needs {pending} migration(s): run 'dataward migrate' first.");
                return ExitCodes.BadInput;
            }
        }
        await using var scope = app.Services.CreateAsyncScope();
        return await verb(scope.ServiceProvider, cancellationToken);
    }
}
