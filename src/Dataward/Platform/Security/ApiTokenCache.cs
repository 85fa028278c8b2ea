using System.Collections.Concurrent;
using Dataward.Platform.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Dataward.Platform.Security;

/// <summary>
/// Checks the API token a request presents, remembering the tokens that authenticated recently, so an API request does
/// not look its token up in the database every time: the lookup cost more than the consent check it guards.
/// </summary>
/// <remarks>
/// Tokens change in one way only: they are revoked (never un-revoked, never deleted). Revocation through this
/// process empties the cache at once. Revocation by another process (<c>dataward tokens revoke</c>, a second
/// server) is seen through the count of revoked tokens, read at most once per
/// <see cref="SecurityOptions.TokenCacheSeconds"/>: when it changes the cache is emptied. Expiry is checked on
/// every use from the cached expiry. Only tokens that authenticated are kept; unknown secrets always go to the
/// database, so guessing cannot fill the cache.
/// </remarks>
public sealed class ApiTokenCache(IServiceScopeFactory scopes, TimeProvider time, IOptions<SecurityOptions> options)
{
    private const int MaxEntries = 10_000;

    // A miss (an unknown secret, or the first use after a refresh emptied the cache) runs this lookup; compiled, it
    // skips translating the query each time.
    private static readonly CompiledQuery<string, ApiToken?> ByHash = new((db, hash, _) =>
        db.ApiTokens.AsNoTracking().FirstOrDefault(t => t.SecretHash == hash));

    private readonly ConcurrentDictionary<string, ApiToken> byHash = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim refreshing = new(1, 1);
    private readonly Lock clearing = new();
    private long revokedCount = -1;
    private long checkedAt;
    private bool everChecked;
    private long generation;

    private TimeSpan Freshness => TimeSpan.FromSeconds(options.Value.TokenCacheSeconds);

    /// <summary>Taken before a database lookup and handed to <see cref="Remember"/>: a token read before a
    /// revocation was seen is not remembered after it.</summary>
    private long Generation => Interlocked.Read(ref generation);

    /// <summary>The token a presented secret belongs to, with why it cannot be used if it cannot. A singleton, so an
    /// API request whose token is cached rents no DbContext: only a miss opens a scope for the lookup.</summary>
    public async Task<(ApiToken? Token, string? Problem)> CheckAsync(string secret, CancellationToken cancellationToken = default)
    {
        if (!secret.StartsWith(ApiToken.SecretPrefix, StringComparison.Ordinal) || secret.Length > 200)
        {
            return (null, "The token is not a Dataward API token.");
        }
        var hash = ApiToken.HashSecret(secret);
        var token = await FindAsync(hash, cancellationToken);
        if (token is null)
        {
            var generationBeforeLookup = Generation;
            await using var scope = scopes.CreateAsyncScope();
            token = await ByHash.RunAsync(scope.ServiceProvider.GetRequiredService<DatawardDbContext>(), hash, cancellationToken);
            if (token is not null)
            {
                Remember(token, generationBeforeLookup);
            }
        }
        var now = time.GetUtcNow();
        return token switch
        {
            null => (null, "The token is unknown."),
            { RevokedAt: not null } => (null, "The token has been revoked."),
            _ when !token.IsActiveAt(now) => (null, "The token has expired."),
            _ => (token, null),
        };
    }

    /// <summary>The cached token for a secret hash, when the cache is enabled and known to be fresh.</summary>
    private async ValueTask<ApiToken?> FindAsync(string hash, CancellationToken cancellationToken)
    {
        if (Freshness <= TimeSpan.Zero)
        {
            return null;
        }
        await EnsureFreshAsync(cancellationToken);
        return byHash.GetValueOrDefault(hash);
    }

    private void Remember(ApiToken token, long generationBeforeLookup)
    {
        if (Freshness <= TimeSpan.Zero || token.RevokedAt is not null)
        {
            return;
        }
        lock (clearing)
        {
            if (generation != generationBeforeLookup)
            {
                return;
            }
            if (byHash.Count >= MaxEntries)
            {
                byHash.Clear();
            }
            byHash[token.SecretHash] = token;
        }
    }

    /// <summary>Called after a revocation commits in this process: the next request reads the database.</summary>
    public void Forget()
    {
        lock (clearing)
        {
            Clear();
            Volatile.Write(ref everChecked, false);
        }
    }

    private void Clear()
    {
        lock (clearing)
        {
            byHash.Clear();
            Interlocked.Increment(ref generation);
        }
    }

    private bool IsFresh(long now) =>
        Volatile.Read(ref everChecked) && time.GetElapsedTime(Interlocked.Read(ref checkedAt), now) < Freshness;

    private async ValueTask EnsureFreshAsync(CancellationToken cancellationToken)
    {
        if (IsFresh(time.GetTimestamp()))
        {
            return;
        }
        await refreshing.WaitAsync(cancellationToken);
        try
        {
            if (IsFresh(time.GetTimestamp()))
            {
                return;
            }
            var started = time.GetTimestamp();
            await using var scope = scopes.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<DatawardDbContext>();
            var count = await db.ApiTokens.LongCountAsync(t => t.RevokedAt != null, cancellationToken);
            if (count != revokedCount)
            {
                Clear();
                revokedCount = count;
            }
            Interlocked.Exchange(ref checkedAt, started);
            Volatile.Write(ref everChecked, true);
        }
        finally
        {
            refreshing.Release();
        }
    }
}
