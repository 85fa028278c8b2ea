namespace Dataward.Connectors.Stores;

/// <summary>One database the organisation connected, as the request engine sees it: describe it, read rows by key
/// values, count them, and change or delete rows by primary key. Table and column names are checked against
/// <see cref="DescribeAsync"/> and quoted; values only ever travel as parameters.</summary>
public interface IDataStore : IAsyncDisposable
{
    /// <summary>The store kind, e.g. <c>postgres</c> or <c>sqlite</c>.</summary>
    string Kind { get; }

    /// <summary>Opens a connection and runs a trivial query; the error is a readable message without secrets.</summary>
    Task<StoreCheck> TestConnectionAsync(CancellationToken cancellationToken = default);

    /// <summary>The tables, their columns (type, nullability, length) and primary keys; read once and cached.</summary>
    Task<StoreSchema> DescribeAsync(CancellationToken cancellationToken = default);

    /// <summary>The rows of <paramref name="table"/> matching any of the filters, with <paramref name="columns"/> in
    /// that order and JSON-friendly values (see <see cref="StoreValues"/>). No filter, or no usable value, reads nothing.</summary>
    Task<IReadOnlyList<StoreRow>> SelectAsync(string table, IReadOnlyList<string> columns, IReadOnlyList<KeyFilter> anyOf,
        CancellationToken cancellationToken = default);

    /// <summary>Every row of <paramref name="table"/> with <paramref name="columns"/>, streamed as the database sends them
    /// (in primary-key order where the table has one), never held in memory all at once: what extracts read.</summary>
    IAsyncEnumerable<StoreRow> ReadAllAsync(string table, IReadOnlyList<string> columns, CancellationToken cancellationToken = default);

    /// <summary>How many rows <see cref="SelectAsync"/> would return.</summary>
    Task<long> CountAsync(string table, IReadOnlyList<KeyFilter> anyOf, CancellationToken cancellationToken = default);

    /// <summary>Sets the given columns of the rows named by their primary key, all in one transaction; returns the
    /// number of rows changed.</summary>
    Task<int> UpdateAsync(string table, IReadOnlyList<string> keyColumns, IReadOnlyList<RowUpdate> updates,
        CancellationToken cancellationToken = default);

    /// <summary>Deletes the rows named by their primary key, in one transaction; returns the number deleted.</summary>
    Task<int> DeleteAsync(string table, IReadOnlyList<string> keyColumns, IReadOnlyList<IReadOnlyList<object?>> keys,
        CancellationToken cancellationToken = default);

    /// <summary>One page of a keyset scan, as retention sweeps read a large table: up to <paramref name="limit"/> rows in
    /// <paramref name="keyColumns"/> order after the key <paramref name="after"/> (null: from the start), only those
    /// whose <see cref="ColumnBound.Column"/> holds a value below <see cref="ColumnBound.Value"/> when a bound is given
    /// (null never is). Each page is one indexed statement, however far into the table it starts.</summary>
    Task<IReadOnlyList<StoreRow>> SelectPageAsync(string table, IReadOnlyList<string> columns, IReadOnlyList<string> keyColumns,
        IReadOnlyList<object?>? after, int limit, ColumnBound? below = null, CancellationToken cancellationToken = default);

    /// <summary>The next page of a keyset scan for a set-based change, as a retention sweep applies it: up to
    /// <paramref name="limit"/> rows in key order after <paramref name="after"/> whose bound column is below the bound, read
    /// in a transaction left open for <see cref="IStorePage.ChangeAsync"/>, with each row's key and
    /// <paramref name="returning"/> value. Where the store's columns are typed (a value is always of its column's kind),
    /// rows whose <paramref name="returning"/> value is below <paramref name="settled"/> come back with
    /// <see cref="PageValues.Settled"/> in place of their value: the caller needs no more of them than that. One
    /// single-column integer key only.</summary>
    Task<IStorePage> ReadPageAsync(string table, string keyColumn, object? after, int limit, ColumnBound below, string returning,
        ColumnBound? settled = null, CancellationToken cancellationToken = default);

    /// <summary>Whether a page may be read (<see cref="ReadPageAsync"/>) while another page's change is open, so the next
    /// page is read while this one changes; not where a page's transaction keeps other writers out (SQLite).</summary>
    bool ReadsAhead { get; }

    /// <summary>How many rows of <paramref name="table"/> hold null in <paramref name="column"/>.</summary>
    Task<long> CountNullAsync(string table, string column, CancellationToken cancellationToken = default);
}

/// <summary>A page read for a set-based change, its transaction open: changed by <see cref="ChangeAsync"/> or, disposed
/// unchanged, let go.</summary>
public interface IStorePage : IAsyncDisposable
{
    /// <summary>The number of rows read.</summary>
    int Count { get; }

    /// <summary>The greatest key read; null for an empty page.</summary>
    long? Last { get; }

    /// <summary>Deletes (when <paramref name="set"/> is null) or sets columns of exactly the rows read, by the same
    /// predicate up to <see cref="Last"/>, in the page's transaction, which stays open until the caller commits the change,
    /// so a caller that finds a row it must not change rolls the whole page back. <paramref name="check"/> (of the keys
    /// and values) runs before this returns, while the change runs; its answer is <see cref="IStoreChange.Accepted"/>.
    /// The change owns the transaction from then on.</summary>
    Task<IStoreChange> ChangeAsync(IReadOnlyDictionary<string, object?>? set,
        Func<IReadOnlyList<long>, IReadOnlyList<object?>, Task<bool>>? check = null, CancellationToken cancellationToken = default);
}

/// <summary>Values a page may give in place of a row's value.</summary>
public static class PageValues
{
    /// <summary>The row's value is below the page's settled bound (<see cref="IDataStore.ReadPageAsync"/>).</summary>
    public static readonly object Settled = new();
}

/// <summary>A change made and not yet committed: the keys of the rows it changed (in no set order) and the value asked
/// for of each, then <see cref="CommitAsync"/>, or disposal, which rolls it back.</summary>
public interface IStoreChange : IAsyncDisposable
{
    IReadOnlyList<long> Keys { get; }

    /// <summary>The returned column's value for each of <see cref="Keys"/>, read as the column's kind, or
    /// <see cref="PageValues.Settled"/>.</summary>
    IReadOnlyList<object?> Values { get; }

    /// <summary>What the check given to <see cref="IStorePage.ChangeAsync"/> answered (true without one).</summary>
    bool Accepted { get; }

    Task CommitAsync(CancellationToken cancellationToken = default);
}

/// <summary>Rows whose <paramref name="Column"/> is below <paramref name="Value"/> (converted to the column's kind).</summary>
public sealed record ColumnBound(string Column, object Value);

/// <summary>A row read from a store: column name to value, in the order the columns were asked for.</summary>
public sealed class StoreRow : OrderedDictionary<string, object?>
{
    public StoreRow() : base(StringComparer.Ordinal)
    {
    }

    public StoreRow(int columns) : base(columns, StringComparer.Ordinal)
    {
    }
}

/// <summary>Rows whose <see cref="Columns"/> hold one of the <see cref="Tuples"/> (one value each for a single column;
/// for several columns, the values match together, as a composite key does).</summary>
public sealed record KeyFilter(IReadOnlyList<string> Columns, IReadOnlyList<IReadOnlyList<object?>> Tuples)
{
    public static KeyFilter Of(string column, IEnumerable<object?> values) =>
        new([column], [.. values.Select(v => (IReadOnlyList<object?>)[v])]);
}

/// <summary>New values for one row, named by its primary-key values (in key-column order).</summary>
public sealed record RowUpdate(IReadOnlyList<object?> Key, IReadOnlyDictionary<string, object?> Values);

/// <summary>Whether a store answered, and if not, why.</summary>
public sealed record StoreCheck(bool Succeeded, string? Error);

/// <summary>The tables of a store, by name.</summary>
public sealed record StoreSchema(IReadOnlyDictionary<string, StoreTable> Tables)
{
    public StoreTable? Find(string table) => Tables.GetValueOrDefault(table);
}

/// <summary>A table: its columns in order and its primary key (empty when it has none).</summary>
public sealed record StoreTable(string Name, IReadOnlyList<StoreColumn> Columns, IReadOnlyList<string> PrimaryKey)
{
    public StoreColumn? Column(string name)
    {
        for (var i = 0; i < Columns.Count; i++)
        {
            if (Columns[i].Name == name)
            {
                return Columns[i];
            }
        }
        return null;
    }
}

/// <summary>A column: the store's own type name, the kind of value it holds, nullability and the longest text.</summary>
public sealed record StoreColumn(string Name, string DataType, ValueKind Kind, bool Nullable, int? MaxLength);

/// <summary>What kind of value a column holds, across stores.</summary>
public enum ValueKind
{
    Text,
    Integer,
    Decimal,
    Float,
    Boolean,
    Timestamp,
    TimestampWithZone,
    Date,
    Guid,
    Binary,
    Other,
}

/// <summary>A table or column name that the store does not have: the engine never sends it as SQL.</summary>
public sealed class UnknownStoreObjectException(string message) : Exception(message);
