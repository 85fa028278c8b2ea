using Dataward.Platform.Storage;

namespace Dataward.Tests.Platform;

/// <summary>Base for tests that run the same body on SQLite and on PostgreSQL: each concrete class names a provider.
/// Every test gets its own application and its own empty database.</summary>
public abstract class AppTest(StorageProvider provider) : IAsyncLifetime
{
    private TestApp? app;

    protected StorageProvider Provider => provider;

    protected TestApp App => app ?? throw new InvalidOperationException("The application has not started.");

    protected virtual IDictionary<string, string?>? Settings => null;

    /// <summary>True to listen on a real loopback socket (Kestrel) instead of the in-memory test server.</summary>
    protected virtual bool UseKestrel => false;

    /// <summary>The fake clock's first instant.</summary>
    protected virtual DateTimeOffset Start => TestApp.DefaultStart;

    public async ValueTask InitializeAsync() => app = await TestApp.StartAsync(provider, Settings, UseKestrel, Start);

    public async ValueTask DisposeAsync()
    {
        if (app is not null)
        {
            await app.DisposeAsync();
        }
        GC.SuppressFinalize(this);
    }
}
