using System.Diagnostics;
using System.Net;
using Dataward.Consent;
using Dataward.Platform.Security;
using Dataward.Platform.Storage;
using Dataward.Platform.Web;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Dataward.Benchmarks.Consent;

/// <summary>The real application on Kestrel, on loopback at a free port, in a process of its own (server GC, as the
/// <c>dataward</c> executable runs), plus two endpoints that exist only in this benchmark host and answer a constant
/// of the check's shape: one anonymous, one behind the same token and policy as the check.</summary>
internal static class ConsentBenchServer
{
    public const string AnonymousConstant = "/bench/constant";
    public const string TokenConstant = "/api/bench/constant";
    public const string Verb = "consent-serve";

    private static readonly ConsentCheck Constant = new(ConsentBenchDatabase.Purpose(1), true, "given",
        new Guid("0193a0c0-0000-7000-8000-000000000001"), "1");

    /// <summary>Serves until its standard input closes (the parent ending, however it ends), then stops.</summary>
    public static async Task<int> RunAsync(StorageProvider provider, int subjects)
    {
        var database = ConsentBenchDatabase.Locate(provider, subjects);
        await using var app = DatawardApp.Build([], HostMode.Serve, builder =>
        {
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            builder.Configuration.AddInMemoryCollection(database.Settings);
            builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Logging:LogLevel:Default"] = "Warning",
                ["Logging:LogLevel:Microsoft.AspNetCore.Hosting.Lifetime"] = "Warning",
            });
        });
        app.MapGet(AnonymousConstant, () => TypedResults.Ok(Constant)).AllowAnonymous().ExcludeFromDescription();
        app.MapGet(TokenConstant, () => TypedResults.Ok(Constant)).RequireAuthorization(Policies.Staff).ExcludeFromDescription();
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        Console.WriteLine(address);
        await Console.In.ReadToEndAsync();
        await app.StopAsync();
        return 0;
    }

    /// <summary>Starts <see cref="RunAsync"/> in a child process and waits for its address.</summary>
    public static async Task<(Process Process, IPEndPoint Address)> StartAsync(StorageProvider provider, int subjects)
    {
        var self = Environment.ProcessPath!;
        var start = new ProcessStartInfo(self)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        if (Path.GetFileNameWithoutExtension(self) == "dotnet")
        {
            start.ArgumentList.Add(typeof(ConsentBenchServer).Assembly.Location);
        }
        foreach (var argument in new[] { Verb, "--provider", provider.ToString().ToLowerInvariant(), "--subjects", subjects.ToString(System.Globalization.CultureInfo.InvariantCulture) })
        {
            start.ArgumentList.Add(argument);
        }
        // The dataward executable is a web project, which turns server GC on; this benchmark project is not.
        start.Environment["DOTNET_gcServer"] = "1";
        // As the dataward executable's runtimeconfig sets it (System.Threading.ThreadPool.UnfairSemaphoreSpinLimit),
        // unless the caller chose a value for the run.
        start.Environment["DOTNET_ThreadPool_UnfairSemaphoreSpinLimit"] =
            Environment.GetEnvironmentVariable("DOTNET_ThreadPool_UnfairSemaphoreSpinLimit") ?? "0";
        var process = Process.Start(start)!;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var line = await process.StandardOutput.ReadLineAsync(timeout.Token)
            ?? throw new InvalidOperationException("The benchmark server ended before it listened.");
        var uri = new Uri(line.Trim());
        // Anything else the server prints (warnings) is passed on, so a full pipe never blocks it.
        _ = Task.Run(async () =>
        {
            while (await process.StandardOutput.ReadLineAsync() is { } more)
            {
                await Console.Error.WriteLineAsync($"server: {more}");
            }
        });
        return (process, new IPEndPoint(IPAddress.Parse(uri.Host), uri.Port));
    }

    public static async Task StopAsync(Process process)
    {
        process.StandardInput.Close();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill();
        }
        process.Dispose();
    }
}
