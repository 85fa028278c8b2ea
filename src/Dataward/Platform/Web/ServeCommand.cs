using System.CommandLine;
using Dataward.Platform.Cli;
using Dataward.Platform.Storage;

namespace Dataward.Platform.Web;

/// <summary><c>dataward serve</c>: the web UI and the REST API; the privacy centre and background jobs join it as they are built.</summary>
public static partial class ServeCommand
{
    public static Command Create()
    {
        var urls = new Option<string>("--urls") { Description = $"Addresses to listen on (default {DatawardApp.DefaultUrl}, or ASPNETCORE_URLS)." };
        var serve = new Command("serve", "Run the web UI and the REST API (the default verb).") { urls };
        // Any other --Key value pairs are configuration, as in every ASP.NET Core application.
        serve.TreatUnmatchedTokensAsErrors = false;
        serve.SetAction(async (parseResult, cancellationToken) =>
        {
            var args = parseResult.UnmatchedTokens.ToList();
            if (parseResult.GetValue(urls) is { } value)
            {
                args.AddRange(["--urls", value]);
            }
            return await RunAsync([.. args], cancellationToken);
        });
        return serve;
    }

    private static async Task<int> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        await using var app = DatawardApp.Build(args);
        var settings = app.Services.GetRequiredService<StorageSettings>();
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Dataward.Serve");
        if (settings.MigrateOnStart)
        {
            var applied = await StorageRegistration.MigrateAsync(app.Services, cancellationToken);
            LogMigrated(logger, applied, settings.DescribeForLog());
        }
        else if (await StorageRegistration.PendingMigrationsAsync(app.Services, cancellationToken) is > 0 and var pending)
        {
            await Console.Error.WriteLineAsync(
                $"{settings.DescribeForLog()} needs {pending} migration(s): run 'dataward migrate' or set Storage__MigrateOnStart=true.");
            return ExitCodes.BadInput;
        }
        await app.RunAsync(cancellationToken);
        return ExitCodes.Ok;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Storage ready ({Storage}); {Applied} migration(s) applied")]
    private static partial void LogMigrated(ILogger logger, int applied, string storage);
}
