using System.Data.Common;
using Dataward.Connections;
using Dataward.Connectors.Datasets;
using Dataward.Connectors.Stores;
using Dataward.Domain;
using Dataward.Domain.Pseudonymisation;

namespace Dataward.Pseudonymisation;

/// <summary>What Dataward knows about one field of a connected collection: its data categories (its own, else its
/// collection's, else its dataset's), whether it identifies a person, and its column in the live database.</summary>
public sealed record FieldProfile(string Name, IReadOnlyList<string> Categories, string? Identity, bool PrimaryKey, StoreColumn Column)
{
    public IdentifierKind IdentifierKind => Identity switch
    {
        "email" => IdentifierKind.Email,
        "phone_number" => IdentifierKind.Phone,
        _ => Normalisation.KindOf(Categories),
    };

    public GeneralisationKind GeneralisationKind => Generalisation.KindOf(Categories,
        Column.Kind is ValueKind.Date or ValueKind.Timestamp or ValueKind.TimestampWithZone);

    public bool DirectIdentifier => DirectIdentifiers.Is(Categories, Identity is not null, PrimaryKey);
}

/// <summary>One collection of a connected dataset, open for reading: <c>dataset:collection</c> as the request engine
/// names it. Disposing closes the stores.</summary>
public sealed class ConnectedCollection : IAsyncDisposable
{
    private readonly ConnectedDatasets connected;

    private ConnectedCollection(ConnectedDatasets connected, Dataset dataset, Collection collection, IDataStore store, StoreTable table)
    {
        this.connected = connected;
        Dataset = dataset;
        Collection = collection;
        Store = store;
        Table = table;
    }

    public Dataset Dataset { get; }

    public Collection Collection { get; }

    public IDataStore Store { get; }

    public StoreTable Table { get; }

    public string Address => $"{Dataset.FidesKey}:{Collection.Name}";

    /// <summary>The profile of a top-level field the dataset describes and the database holds; null otherwise.</summary>
    public FieldProfile? Field(string name)
    {
        var field = Collection.Fields.FirstOrDefault(f => f.Name == name);
        if (field is null || Table.Column(name) is not { } column)
        {
            return null;
        }
        var categories = field.DataCategories is { Count: > 0 } own ? own
            : Collection.DataCategories is { Count: > 0 } inherited ? inherited
            : Dataset.DataCategories ?? [];
        return new FieldProfile(name, categories, field.FidesMeta?.Identity, field.FidesMeta?.PrimaryKey == true || Table.PrimaryKey.Contains(name), column);
    }

    /// <summary>Streams the rows of the collection with these columns, as the database sends them.</summary>
    public IAsyncEnumerable<StoreRow> ReadAsync(IReadOnlyList<string> columns, CancellationToken cancellationToken) =>
        Store.ReadAllAsync(Collection.Name, columns, cancellationToken);

    /// <summary>Splits <c>dataset:collection</c>; false when it is not of that shape.</summary>
    public static bool TryParse(string? address, out string dataset, out string collection)
    {
        var parts = (address ?? "").Split(':');
        (dataset, collection) = parts.Length == 2 ? (parts[0].Trim(), parts[1].Trim()) : ("", "");
        return dataset.Length is > 0 and <= 200 && collection.Length is > 0 and <= 200;
    }

    /// <summary>Opens <paramref name="address"/> through the connection that holds its dataset, checking the database
    /// has the table. 400 for an address the datasets do not describe; 409 when no connection holds it or it cannot be read.</summary>
    public static async Task<Outcome<ConnectedCollection>> OpenAsync(ConnectionService connections, string? address, string field,
        CancellationToken cancellationToken)
    {
        if (!TryParse(address, out var datasetKey, out var collectionName))
        {
            return Outcome<ConnectedCollection>.Invalid(field, "Name a collection as dataset:collection, e.g. crm:users.");
        }
        var connected = await connections.ConnectAsync(cancellationToken);
        try
        {
            var dataset = connected.Datasets.FirstOrDefault(d => d.FidesKey == datasetKey);
            if (dataset is null || !connected.Stores.TryGetValue(datasetKey, out var store))
            {
                await connected.DisposeAsync();
                return Outcome<ConnectedCollection>.Conflict(field,
                    $"No connection holds dataset '{Shorten(datasetKey)}': import the dataset and connect its database first (/api/connections).");
            }
            var collection = dataset.Collections.FirstOrDefault(c => c.Name == collectionName);
            if (collection is null)
            {
                await connected.DisposeAsync();
                return Outcome<ConnectedCollection>.Invalid(field, $"Dataset '{datasetKey}' has no collection '{Shorten(collectionName)}'.");
            }
            var schema = await store.DescribeAsync(cancellationToken);
            if (schema.Find(collectionName) is not { } table)
            {
                await connected.DisposeAsync();
                return Outcome<ConnectedCollection>.Conflict(field, $"The database behind '{datasetKey}' has no table '{collectionName}'; test the connection.");
            }
            return Outcome<ConnectedCollection>.Success(new ConnectedCollection(connected, dataset, collection, store, table));
        }
        catch (Exception e) when (IsStoreFailure(e))
        {
            await connected.DisposeAsync();
            return Outcome<ConnectedCollection>.Conflict(field, $"The database behind '{datasetKey}' could not be read: {e.Message}");
        }
    }

    /// <summary>A failure of the connected database (unreachable, dropped, changed under us), not of Dataward.</summary>
    public static bool IsStoreFailure(Exception e) =>
        e is DbException or UnknownStoreObjectException or TimeoutException or System.Net.Sockets.SocketException or InvalidOperationException { InnerException: DbException or System.Net.Sockets.SocketException };

    private static string Shorten(string text) => text.Length > 64 ? text[..64] + "…" : text;

    public ValueTask DisposeAsync() => connected.DisposeAsync();
}
