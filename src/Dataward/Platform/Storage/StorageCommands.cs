using System.CommandLine;
using Dataward.Platform.Cli;

namespace Dataward.Platform.Storage;

/// <summary><c>dataward migrate</c>: bring the database schema up to date without serving.</summary>
public static class StorageCommands
{
    public static Command CreateMigrate()
    {
        var migrate = new Command("migrate", "Apply pending database migrations and exit.");
        migrate.SetAction((_, cancellationToken) => DatawardCommandLine.WithServicesAsync(async (services, ct) =>
        {
            var settings = services.GetRequiredService<StorageSettings>();
            var applied = await StorageRegistration.MigrateAsync(services, ct);
            Console.WriteLine($"{settings.DescribeForLog()}: {applied} migration(s) applied; schema is current.");
            return ExitCodes.Ok;
        }, cancellationToken, requireCurrentSchema: false));
        return migrate;
    }
}
