using Dataward.Platform.Storage;
using Dataward.Platform.Web;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using MimeKit;

namespace Dataward.Browser.Tests;

/// <summary>Dataward on a real loopback socket with a fresh SQLite file, and the system Chromium driven by Playwright.</summary>
public sealed class LiveServer : IAsyncLifetime
{
    public const string ChromiumPath = "/usr/bin/chromium";

    private readonly DirectoryInfo folder = Directory.CreateTempSubdirectory("dataward-browser-");
    private WebApplication? app;
    private IPlaywright? playwright;

    public Uri Address { get; private set; } = null!;

    public IBrowser Browser { get; private set; } = null!;

    /// <summary>Where delivered e-mail lands, one .eml file per message, as a person's mailbox would receive it.</summary>
    public string Outbox => Path.Combine(folder.FullName, "outbox");

    /// <summary>Where screenshots go, so a person can look at what the test saw.</summary>
    public string Artifacts { get; } = Path.Combine(AppContext.BaseDirectory, "screenshots");

    public async ValueTask InitializeAsync()
    {
        if (!File.Exists(ChromiumPath))
        {
            var reason = $"Browser tests need Debian's chromium at {ChromiumPath} (apt-get install chromium); .ci/run installs it.";
            if (string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase))
            {
                throw new InvalidOperationException($"CI=true makes browser tests mandatory: {reason}");
            }
            Assert.Skip(reason);
        }
        app = DatawardApp.Build([], HostMode.Serve, builder =>
        {
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Storage:Provider"] = "Sqlite",
                ["ConnectionStrings:Dataward"] = $"Data Source={Path.Combine(folder.FullName, "dataward.db")}",
                ["Email:OutboxFolder"] = Outbox,
                ["Email:DispatchIntervalSeconds"] = "1",
                // Every scenario posts its forms from the same loopback address, several within a minute.
                ["Security:SignInAttemptsPerMinute"] = "1000",
            });
        });
        await StorageRegistration.MigrateAsync(app.Services);
        await app.StartAsync();
        Address = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());

        playwright = await Playwright.CreateAsync();
        Browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--no-first-run"],
        });
        Directory.CreateDirectory(Artifacts);
    }

    /// <summary>Runs a browser scenario; if it fails, keeps a screenshot and says where the page was and what it showed.</summary>
    public async Task ExplainFailureAsync(IPage page, string name, Func<Task> scenario)
    {
        try
        {
            await scenario();
        }
        catch (Exception e) when (e is TimeoutException or PlaywrightException or Shouldly.ShouldAssertException)
        {
            var shot = Path.Combine(Artifacts, $"{name}-failure.png");
            await page.ScreenshotAsync(new PageScreenshotOptions { Path = shot, FullPage = true });
            var text = await page.Locator("body").InnerTextAsync();
            throw new InvalidOperationException($"{e.Message}\nAt {page.Url} (screenshot {shot}); the page said:\n{text[..Math.Min(text.Length, 1500)]}", e);
        }
    }

    /// <summary>Creates a staff account directly, as an administrator would have.</summary>
    public async Task CreateUserAsync(string email, string role, string password)
    {
        await using var scope = app!.Services.CreateAsyncScope();
        var outcome = await scope.ServiceProvider.GetRequiredService<Dataward.Platform.Security.StaffAccounts>()
            .CreateAsync(email, role, password, Dataward.Audit.AuditActor.System);
        outcome.Succeeded.ShouldBeTrue(outcome.Describe());
    }

    /// <summary>A client of the REST API holding a token of <paramref name="role"/>, as an engineer's script would.</summary>
    public async Task<HttpClient> ApiClientAsync(string role)
    {
        await using var scope = app!.Services.CreateAsyncScope();
        var outcome = await scope.ServiceProvider.GetRequiredService<Dataward.Platform.Security.ApiTokens>()
            .CreateAsync($"browser-tests-{role}", role, TimeSpan.FromDays(1), Dataward.Audit.AuditActor.System);
        outcome.Succeeded.ShouldBeTrue(outcome.Describe());
        var client = new HttpClient { BaseAddress = Address };
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", outcome.Value!.Secret);
        return client;
    }

    /// <summary>Waits until the delivery job has written a message to <paramref name="to"/>, dated no earlier than
    /// <paramref name="after"/>, that <paramref name="matches"/>; returns the newest such message.</summary>
    public async Task<MimeMessage> WaitForEmailAsync(string to, Func<MimeMessage, bool> matches, DateTimeOffset after)
    {
        var deadline = DateTimeOffset.UtcNow.AddSeconds(60);
        while (true)
        {
            if (Directory.Exists(Outbox))
            {
                foreach (var file in Directory.GetFiles(Outbox, "*.eml").OrderDescending())
                {
                    MimeMessage message;
                    try
                    {
                        message = await MimeMessage.LoadAsync(file);
                    }
                    catch (IOException)
                    {
                        // Still being written by the delivery job, which holds it locked until it is whole.
                        continue;
                    }
                    if (message.Date >= after.AddSeconds(-1) && message.To.Mailboxes.Any(m => m.Address == to) && matches(message))
                    {
                        return message;
                    }
                }
            }
            if (DateTimeOffset.UtcNow > deadline)
            {
                throw new TimeoutException($"No e-mail to {to} arrived in {Outbox} within a minute.");
            }
            // The server's delivery job writes the .eml files from its own loop; there is no event to await across the
            // process boundary, so re-scan at a short, bounded interval until the one-minute deadline above.
            await Task.Delay(OutboxPollInterval);
        }
    }

    private static readonly TimeSpan OutboxPollInterval = TimeSpan.FromMilliseconds(200);

    public async ValueTask DisposeAsync()
    {
        if (Browser is not null)
        {
            await Browser.DisposeAsync();
        }
        playwright?.Dispose();
        if (app is not null)
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        folder.Delete(recursive: true);
    }
}
