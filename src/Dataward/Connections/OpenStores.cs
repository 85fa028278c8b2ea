using Dataward.Connectors.Stores;

namespace Dataward.Connections;

/// <summary>The stores of the organisation's databases, kept open between requests: a store holds its connection pool
/// and its described schema, so a request neither opens new physical connections nor reads the database's catalogue
/// again (both cost more than the request's own queries). A store is replaced when its connection record changes (on
/// any instance: the record's encrypted secret changes with every save) and when this instance saves, tests or deletes
/// the connection; a replaced store is closed once the last request using it has finished.</summary>
public sealed class OpenStores : IAsyncDisposable
{
    /// <summary>How long a described schema is trusted: a table or column changed in the database is seen within this.</summary>
    public static readonly TimeSpan SchemaLifetime = TimeSpan.FromMinutes(1);

    private readonly Lock gate = new();
    private readonly Dictionary<string, Entry> entries = new(StringComparer.Ordinal);

    /// <summary>An open store and how many requests use it now.</summary>
    internal sealed class Entry(string fingerprint, IDataStore store)
    {
        public string Fingerprint { get; } = fingerprint;
        public IDataStore Store { get; } = store;
        public int Users { get; set; }
        public bool Retired { get; set; }
    }

    /// <summary>The store of connection <paramref name="key"/> as <paramref name="fingerprint"/> describes it, opened by
    /// <paramref name="open"/> if it is not open yet; give it back with <see cref="ReleaseAsync"/>.</summary>
    internal async ValueTask<Entry> AcquireAsync(string key, string fingerprint, Func<IDataStore> open)
    {
        Entry? replaced = null;
        Entry entry;
        lock (gate)
        {
            if (!entries.TryGetValue(key, out var known) || known.Fingerprint != fingerprint)
            {
                var opened = new Entry(fingerprint, open());
                replaced = known is null ? null : Retire(known);
                entries[key] = known = opened;
            }
            known.Users++;
            entry = known;
        }
        if (replaced is not null)
        {
            await replaced.Store.DisposeAsync();
        }
        return entry;
    }

    internal async ValueTask ReleaseAsync(Entry entry)
    {
        bool close;
        lock (gate)
        {
            entry.Users--;
            close = entry.Retired && entry.Users == 0;
        }
        if (close)
        {
            await entry.Store.DisposeAsync();
        }
    }

    /// <summary>Closes the store of connection <paramref name="key"/> (once no request uses it): the next request opens
    /// and describes the database afresh.</summary>
    public async ValueTask ForgetAsync(string key)
    {
        Entry? closing = null;
        lock (gate)
        {
            if (entries.Remove(key, out var known))
            {
                closing = Retire(known);
            }
        }
        if (closing is not null)
        {
            await closing.Store.DisposeAsync();
        }
    }

    // Marks the entry retired; returns it when nobody uses it, so the caller closes it outside the lock.
    private static Entry? Retire(Entry entry)
    {
        entry.Retired = true;
        return entry.Users == 0 ? entry : null;
    }

    public async ValueTask DisposeAsync()
    {
        List<Entry> open;
        lock (gate)
        {
            open = [.. entries.Values];
            entries.Clear();
        }
        foreach (var entry in open)
        {
            await entry.Store.DisposeAsync();
        }
    }
}
