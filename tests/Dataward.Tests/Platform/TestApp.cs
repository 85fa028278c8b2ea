using System.Net;
using System.Net.Http.Headers;
using Dataward.Audit;
using Dataward.Platform.Security;
using Dataward.Platform.Storage;
using Dataward.Platform.Web;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace Dataward.Tests.Platform;

/// <summary>The whole application in process on a real database, reached through HTTP (TestServer), with a fake
/// clock and a log sink tests can read.</summary>
public sealed class TestApp : IAsyncDisposable
{
    public const string Password = "correct horse battery staple";

    private readonly TestDatabase database;

    private TestApp(TestDatabase database, WebApplication app, FakeTimeProvider time, CapturedLogs logs, Uri? kestrelAddress)
    {
        this.database = database;
        App = app;
        Time = time;
        Logs = logs;
        KestrelAddress = kestrelAddress;
    }

    /// <summary>Where the real server listens, when the test asked for one instead of the in-memory test server.</summary>
    public Uri? KestrelAddress { get; }

    public WebApplication App { get; }

    public TestServer Server => App.GetTestServer();

    public IServiceProvider Services => App.Services;

    public FakeTimeProvider Time { get; }

    public CapturedLogs Logs { get; }

    public TestDatabase Database => database;

    public static readonly DateTimeOffset DefaultStart = new(2026, 11, 25, 9, 0, 0, TimeSpan.Zero);

    public static async Task<TestApp> StartAsync(StorageProvider provider, IDictionary<string, string?>? settings = null,
        bool kestrel = false, DateTimeOffset? start = null)
    {
        var database = await TestDatabases.CreateAsync(provider);
        var time = new FakeTimeProvider(start ?? DefaultStart);
        var logs = new CapturedLogs();
        var app = DatawardApp.Build([], HostMode.Serve, builder =>
        {
            if (kestrel)
            {
                builder.WebHost.UseUrls("http://127.0.0.1:0");
            }
            else
            {
                builder.WebHost.UseTestServer();
            }
            builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Storage:Provider"] = provider.ToString(),
                ["ConnectionStrings:Dataward"] = database.ConnectionString,
                ["Security:SignInAttemptsPerMinute"] = "1000",
                // Tests run the jobs' work themselves (through the CLI), so nothing happens behind their back.
                ["Jobs:Enabled"] = "false",
                ["Security:MasterKey"] = provider == StorageProvider.Postgres ? TestDatabase.TestMasterKey : null,
                ["Email:OutboxFolder"] = Directory.CreateTempSubdirectory("dataward-outbox-").FullName,
            });
            if (settings is not null)
            {
                builder.Configuration.AddInMemoryCollection(settings);
            }
            builder.Services.AddSingleton<TimeProvider>(time);
            builder.Logging.AddProvider(logs);
            builder.Logging.SetMinimumLevel(LogLevel.Debug);
        });
        await StorageRegistration.MigrateAsync(app.Services);
        await app.StartAsync();
        var address = kestrel
            ? new Uri(app.Services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>().Features
                .Get<Microsoft.AspNetCore.Hosting.Server.Features.IServerAddressesFeature>()!.Addresses.First())
            : null;
        return new TestApp(database, app, time, logs, address);
    }

    public HttpClient Client() => KestrelAddress is { } address
        ? new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false }) { BaseAddress = address }
        : Server.CreateClient();

    public HttpClient ClientWithToken(string secret)
    {
        var client = Client();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", secret);
        return client;
    }

    /// <summary>A client holding a token of <paramref name="role"/> created through the service.</summary>
    public async Task<HttpClient> ClientWithRoleAsync(string role) => ClientWithToken(await CreateTokenAsync(role));

    public async Task<string> CreateTokenAsync(string role, TimeSpan? lifetime = null)
    {
        await using var scope = Services.CreateAsyncScope();
        var outcome = await scope.ServiceProvider.GetRequiredService<ApiTokens>()
            .CreateAsync($"test-{role}", role, lifetime ?? TimeSpan.FromDays(3650), AuditActor.System);
        outcome.Succeeded.ShouldBeTrue(outcome.Describe());
        return outcome.Value!.Secret;
    }

    public async Task<StaffSummary> CreateUserAsync(string email, string role, string password = Password)
    {
        await using var scope = Services.CreateAsyncScope();
        var outcome = await scope.ServiceProvider.GetRequiredService<StaffAccounts>().CreateAsync(email, role, password, AuditActor.System);
        outcome.Succeeded.ShouldBeTrue(outcome.Describe());
        return outcome.Value!;
    }

    /// <summary>Runs <paramref name="work"/> with a scoped DbContext, for arranging or inspecting rows.</summary>
    public async Task<T> WithDbAsync<T>(Func<DatawardDbContext, Task<T>> work)
    {
        await using var scope = Services.CreateAsyncScope();
        return await work(scope.ServiceProvider.GetRequiredService<DatawardDbContext>());
    }

    /// <summary>A browser-like session: cookies kept, redirects not followed, forms posted with their antiforgery token.</summary>
    public UiSession Ui() => new(Server);

    public async ValueTask DisposeAsync()
    {
        await App.StopAsync();
        await App.DisposeAsync();
        await database.DisposeAsync();
    }
}

/// <summary>Keeps every log line written while a test ran, so tests can prove what never reaches the logs.</summary>
public sealed class CapturedLogs : ILoggerProvider
{
    private readonly System.Collections.Concurrent.ConcurrentQueue<string> lines = new();

    public IReadOnlyCollection<string> Lines => lines;

    public ILogger CreateLogger(string categoryName) => new Logger(categoryName, lines);

    public void Dispose()
    {
    }

    private sealed class Logger(string category, System.Collections.Concurrent.ConcurrentQueue<string> lines) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var structured = state is IEnumerable<KeyValuePair<string, object?>> pairs
                ? string.Join(" ", pairs.Select(p => $"{p.Key}={p.Value}"))
                : "";
            lines.Enqueue($"{logLevel} {category}: {formatter(state, exception)} {structured} {exception}");
        }
    }
}
