using System.Collections.Concurrent;
using System.Data.Common;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Text;

namespace Dataward.Connectors.Stores;

/// <summary>What SQL stores share: names checked against the described schema and quoted, values bound as
/// parameters, one <c>SELECT columns FROM table WHERE key IN (values)</c> per batch of key values (never one query
/// per value), and changes in a transaction. A dialect supplies connections, the schema and the IN predicates.</summary>
public abstract class SqlStore : IDataStore
{
    private readonly SemaphoreSlim describing = new(1, 1);
    private Described? described;

    private sealed record Described(StoreSchema Schema, long At);

    public abstract string Kind { get; }

    /// <summary>How long the described schema is trusted before it is read again: forever unless set (a store kept open
    /// between requests sets it, so a changed table is seen).</summary>
    public TimeSpan SchemaLifetime { get; init; } = Timeout.InfiniteTimeSpan;

    /// <summary>Whether the server runs a batch of statements (<see cref="DbConnection.CreateBatch"/>) sent without a
    /// transaction as one implicit transaction, all or nothing (PostgreSQL's extended protocol does, up to the batch's
    /// single Sync): a change that fits one batch then needs no BEGIN and COMMIT of its own.</summary>
    protected virtual bool AtomicBatches => false;

    /// <summary>The most values bound in one statement; longer key lists run as several statements.</summary>
    protected abstract int MaxValuesPerStatement { get; }

    protected abstract Task<DbConnection> OpenAsync(CancellationToken cancellationToken);

    /// <summary>A connection for one read or change; <see cref="ReturnAsync"/> gets it back. By default a new one from
    /// the driver's pool, closed on return.</summary>
    protected virtual async ValueTask<DbConnection> RentAsync(CancellationToken cancellationToken) => await OpenAsync(cancellationToken);

    /// <summary>Takes back a rented connection; <paramref name="clean"/> is false when the operation failed midway.</summary>
    protected virtual ValueTask ReturnAsync(DbConnection connection, bool clean) => connection.DisposeAsync();

    /// <summary>The command that runs <paramref name="built"/> (its text, parameter values and transaction): by default
    /// <paramref name="built"/> itself; a store may run a command it prepared earlier for the same text instead.</summary>
    protected virtual DbCommand Statement(DbConnection connection, DbCommand built) => built;

    /// <summary>A rented connection, returned clean only if <see cref="Done"/> was called.</summary>
    private sealed class Rented(SqlStore store, DbConnection connection) : IAsyncDisposable
    {
        private bool done;

        public DbConnection Connection => connection;

        public void Done() => done = true;

        public ValueTask DisposeAsync() => store.ReturnAsync(connection, done);
    }

    private async Task<Rented> RentedAsync(CancellationToken cancellationToken) => new(this, await RentAsync(cancellationToken));

    protected abstract Task<StoreSchema> DescribeCoreAsync(DbConnection connection, CancellationToken cancellationToken);

    /// <summary>The quoted (and, where the store has schemas, qualified) name of a described table.</summary>
    protected abstract string QualifiedName(StoreTable table);

    /// <summary>A predicate true for rows whose <paramref name="column"/> is one of <paramref name="values"/> (already
    /// converted to the column's kind), binding the values on <paramref name="command"/>.</summary>
    protected abstract string InPredicate(DbCommand command, StoreColumn column, IReadOnlyList<object> values);

    /// <summary>The predicate naming the rows a change (UPDATE, DELETE) applies to by a single-column key: by default
    /// <see cref="InPredicate"/>; a store may bind a long list differently.</summary>
    protected virtual string KeyListPredicate(DbCommand command, StoreColumn column, IReadOnlyList<object> values) => InPredicate(command, column, values);

    /// <summary>A predicate true for rows whose columns hold one of the tuples together.</summary>
    protected abstract string TuplePredicate(DbCommand command, IReadOnlyList<StoreColumn> columns, IReadOnlyList<IReadOnlyList<object>> tuples);

    /// <summary>Binds one value destined for <paramref name="column"/> (SET or key equality) and returns its name.</summary>
    protected abstract string Bind(DbCommand command, object? value, StoreColumn column);

    /// <summary>The value at <paramref name="ordinal"/>, in the engine's JSON-friendly types; null for SQL NULL.</summary>
    protected abstract object? Read(DbDataReader reader, int ordinal, StoreColumn column);

    public static string Quote(string name) => "\"" + name.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    protected static string NextParameterName(DbCommand command) => "@p" + command.Parameters.Count;

    public async Task<StoreCheck> TestConnectionAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            await using var connection = await OpenAsync(cancellationToken);
            await using var command = connection.CreateCommand();
            command.CommandText = "SELECT 1";
            await command.ExecuteScalarAsync(cancellationToken);
            return new StoreCheck(true, null);
        }
        catch (DbException e)
        {
            return new StoreCheck(false, e.Message);
        }
        catch (Exception e) when (e is InvalidOperationException or ArgumentException or TimeoutException or System.Net.Sockets.SocketException)
        {
            return new StoreCheck(false, e.Message);
        }
    }

    public async Task<StoreSchema> DescribeAsync(CancellationToken cancellationToken = default)
    {
        if (described is { } known && IsFresh(known))
        {
            return known.Schema;
        }
        await describing.WaitAsync(cancellationToken);
        try
        {
            if (described is not { } current || !IsFresh(current))
            {
                await using var connection = await OpenAsync(cancellationToken);
                described = current = new Described(await DescribeCoreAsync(connection, cancellationToken), Stopwatch.GetTimestamp());
            }
            return current.Schema;
        }
        finally
        {
            describing.Release();
        }
    }

    public async Task<IReadOnlyList<StoreRow>> SelectAsync(string table, IReadOnlyList<string> columns, IReadOnlyList<KeyFilter> anyOf,
        CancellationToken cancellationToken = default)
    {
        var described = await TableAsync(table, cancellationToken);
        var (selected, select) = SelectClause(described, columns);
        var statements = Batches(described, anyOf);
        if (statements.Count == 0)
        {
            return [];
        }
        var rows = new List<StoreRow>();
        // Separate statements may meet the same row (two filters, or a filter split in chunks): keep it once.
        HashSet<string>? seen = statements.Count > 1 ? new(StringComparer.Ordinal) : null;
        var identity = seen is null ? []
            : described.PrimaryKey.Count > 0 && described.PrimaryKey.All(k => columns.Contains(k))
            ? described.PrimaryKey.Select(k => columns.ToList().IndexOf(k)).ToArray()
            : [.. Enumerable.Range(0, columns.Count)];
        await using var rented = await RentedAsync(cancellationToken);
        var connection = rented.Connection;
        foreach (var filters in statements)
        {
            // A kept statement stays with the connection; one built here is disposed with the loop.
            var command = KeptSelect(connection, select, filters);
            await using var built = command is null ? connection.CreateCommand() : null;
            if (built is not null)
            {
                built.CommandText = select + Where(built, filters);
                command = Statement(connection, built);
            }
            await using var reader = await command!.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                var row = new StoreRow(selected.Length);
                for (var i = 0; i < selected.Length; i++)
                {
                    row[selected[i].Name] = Read(reader, i, selected[i]);
                }
                if (seen is null || seen.Add(StoreValues.Canonical(identity.Select(i => row.GetAt(i).Value))))
                {
                    rows.Add(row);
                }
            }
        }
        rented.Done();
        return rows;
    }

    /// <summary>How many values a statement kept by <see cref="KeptStatement"/> binds at most (0: none is kept).</summary>
    protected virtual int MaxKeptParameters => 0;

    // SELECT ... WHERE "column" IN (...) texts by select clause, column and number of values (all a request's lookups by
    // one column are this shape): built once, the values bound straight into the statement kept for the text.
    private readonly ConcurrentDictionary<(string Select, string Column, int Count), string> keptSelects = new();

    /// <summary>A built statement for the filters when they are one list of values for one column, short enough to
    /// keep: parameters filled, text set. Null otherwise (the caller builds it).</summary>
    private DbCommand? KeptSelect(DbConnection connection, string select, List<PreparedFilter> filters)
    {
        if (filters is not [{ Columns: [var column] } filter] || filter.Tuples.Count > MaxKeptParameters || filter.Tuples.Count == 0)
        {
            return null;
        }
        var key = (select, column.Name, filter.Tuples.Count);
        if (!keptSelects.TryGetValue(key, out var text))
        {
            using var probe = connection.CreateCommand();
            text = select + InPredicate(probe, column, [.. filter.Tuples.Select(t => t[0])]);
            if (probe.Parameters.Count != filter.Tuples.Count)
            {
                return null;
            }
            if (keptSelects.Count >= 1024)
            {
                keptSelects.Clear();
            }
            keptSelects[key] = text;
        }
        var command = KeptStatement(connection, text, filter.Tuples.Count);
        for (var i = 0; i < filter.Tuples.Count; i++)
        {
            BindKept(command.Parameters[i], filter.Tuples[i][0], column);
        }
        command.Transaction = null;
        return command;
    }

    // The columns and the text up to WHERE, kept per list of column names (a plan's lists live as long as the plan).
    private readonly ConditionalWeakTable<IReadOnlyList<string>, Tuple<StoreTable, StoreColumn[], string>> selectClauses = new();

    private (StoreColumn[] Columns, string Text) SelectClause(StoreTable table, IReadOnlyList<string> columns)
    {
        if (selectClauses.TryGetValue(columns, out var known) && ReferenceEquals(known.Item1, table) && SameNames(known.Item2, columns))
        {
            return (known.Item2, known.Item3);
        }
        var selected = new StoreColumn[columns.Count];
        for (var i = 0; i < selected.Length; i++)
        {
            selected[i] = ColumnOf(table, columns[i]);
        }
        var text = $"SELECT {string.Join(", ", selected.Select(c => Quote(c.Name)))} FROM {QualifiedName(table)} WHERE ";
        selectClauses.AddOrUpdate(columns, Tuple.Create(table, selected, text));
        return (selected, text);
    }

    // The list may be a caller's own, changed since: the names are compared, not just the list.
    private static bool SameNames(StoreColumn[] known, IReadOnlyList<string> columns)
    {
        if (known.Length != columns.Count)
        {
            return false;
        }
        for (var i = 0; i < known.Length; i++)
        {
            if (known[i].Name != columns[i])
            {
                return false;
            }
        }
        return true;
    }

    public async IAsyncEnumerable<StoreRow> ReadAllAsync(string table, IReadOnlyList<string> columns,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var described = await TableAsync(table, cancellationToken);
        var selected = columns.Select(c => ColumnOf(described, c)).ToList();
        if (selected.Count == 0)
        {
            yield break;
        }
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        var order = described.PrimaryKey.Count > 0 ? " ORDER BY " + string.Join(", ", described.PrimaryKey.Select(Quote)) : "";
        command.CommandText = $"SELECT {string.Join(", ", selected.Select(c => Quote(c.Name)))} FROM {QualifiedName(described)}{order}";
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var row = new StoreRow();
            for (var i = 0; i < selected.Count; i++)
            {
                row[selected[i].Name] = reader.IsDBNull(i) ? null : Read(reader, i, selected[i]);
            }
            yield return row;
        }
    }

    public async Task<long> CountAsync(string table, IReadOnlyList<KeyFilter> anyOf, CancellationToken cancellationToken = default)
    {
        var described = await TableAsync(table, cancellationToken);
        var statements = Batches(described, anyOf);
        if (statements.Count == 0)
        {
            return 0;
        }
        if (statements.Count > 1)
        {
            // Chunks of several filters may overlap: count distinct rows instead of adding counts.
            var columns = described.PrimaryKey.Count > 0 ? described.PrimaryKey : [.. described.Columns.Select(c => c.Name)];
            return (await SelectAsync(table, columns, anyOf, cancellationToken)).Count;
        }
        await using var rented = await RentedAsync(cancellationToken);
        await using var command = rented.Connection.CreateCommand();
        var where = Where(command, statements[0]);
        command.CommandText = $"SELECT COUNT(*) FROM {QualifiedName(described)} WHERE {where}";
        var count = Convert.ToInt64(await Statement(rented.Connection, command).ExecuteScalarAsync(cancellationToken), System.Globalization.CultureInfo.InvariantCulture);
        rented.Done();
        return count;
    }

    public async Task<int> UpdateAsync(string table, IReadOnlyList<string> keyColumns, IReadOnlyList<RowUpdate> updates,
        CancellationToken cancellationToken = default)
    {
        var described = await TableAsync(table, cancellationToken);
        var keys = new StoreColumn[keyColumns.Count];
        for (var i = 0; i < keys.Length; i++)
        {
            keys[i] = ColumnOf(described, keyColumns[i]);
        }
        if (keys.Length == 0)
        {
            throw new ArgumentException("Rows are changed by their primary key; name its columns.", nameof(keyColumns));
        }
        await using var rented = await RentedAsync(cancellationToken);
        var connection = rented.Connection;
        // In order: statements built with their own parameters, or a row's values for the kept statement of its shape.
        var changes = new List<Change>();
        var statements = new List<DbCommand>();
        try
        {
            // Rows given the same new values (null, a fixed rewrite) change in one statement per batch of keys.
            foreach (var group in updates.GroupBy(u => u.Values, SameValues.Instance))
            {
                var values = group.First().Values;
                if (values.Count == 0)
                {
                    continue;
                }
                var rows = group.ToList();
                if (keys.Length == 1 && rows.Count > 1)
                {
                    var setColumns = values.Keys.Select(c => ColumnOf(described, c)).ToList();
                    foreach (var chunk in rows.Chunk(Math.Max(1, MaxValuesPerStatement - setColumns.Count)))
                    {
                        var keyValues = CoercedKeys(chunk.Select(r => r.Key), keys);
                        if (keyValues.Count == 0)
                        {
                            continue;
                        }
                        var command = connection.CreateCommand();
                        statements.Add(command);
                        changes.Add(new Change(command, null, null));
                        var set = string.Join(", ", setColumns.Select(c => $"{Quote(c.Name)} = {Bind(command, values[c.Name], c)}"));
                        var where = KeyListPredicate(command, keys[0], [.. keyValues.Select(k => k[0])]);
                        command.CommandText = $"UPDATE {QualifiedName(described)} SET {set} WHERE {where}";
                    }
                    continue;
                }
                var shape = RowUpdateShape(connection, described, values, keys);
                foreach (var row in rows)
                {
                    if (CoercedKeys([row.Key], keys) is not [var key])
                    {
                        continue;
                    }
                    if (shape.Kept)
                    {
                        // Bound into the statement kept for this shape when it runs: no text or parameters built per row.
                        var bound = new object?[shape.Columns.Length];
                        for (var i = 0; i < shape.Set; i++)
                        {
                            bound[i] = values[shape.Columns[i].Name];
                        }
                        for (var i = 0; i < keys.Length; i++)
                        {
                            bound[shape.Set + i] = key[i];
                        }
                        changes.Add(new Change(null, shape, bound));
                        continue;
                    }
                    var command = connection.CreateCommand();
                    statements.Add(command);
                    changes.Add(new Change(command, null, null));
                    var set = string.Join(", ", shape.Columns.Take(shape.Set).Select(c => $"{Quote(c.Name)} = {Bind(command, values[c.Name], c)}"));
                    var where = string.Join(" AND ", keys.Select((k, i) => $"{Quote(k.Name)} = {Bind(command, key[i], k)}"));
                    command.CommandText = $"UPDATE {QualifiedName(described)} SET {set} WHERE {where}";
                }
            }
            int changed;
            if (statements.Count == changes.Count && AtomicBatches && (statements.Count <= 1 || connection.CanCreateBatch))
            {
                // One statement, or one batch the server runs as one implicit transaction: all rows change or none, and the
                // COMMIT's round trip is saved.
                changed = await ExecuteAsync(connection, null, statements, cancellationToken);
            }
            else
            {
                var transaction = await BeginChangeAsync(connection, cancellationToken);
                try
                {
                    changed = statements.Count == changes.Count
                        ? await ExecuteAsync(connection, transaction, statements, cancellationToken)
                        : await ExecuteInOrderAsync(connection, transaction, changes, cancellationToken);
                    await CommitChangeAsync(connection, transaction, cancellationToken);
                }
                catch
                {
                    // Nothing of the change stays: the connection goes back unclean (closed) whatever the rollback did.
                    await RollbackChangeAsync(connection, transaction);
                    throw;
                }
                finally
                {
                    if (transaction is not null)
                    {
                        await transaction.DisposeAsync();
                    }
                }
            }
            rented.Done();
            return changed;
        }
        finally
        {
            foreach (var statement in statements)
            {
                await statement.DisposeAsync();
            }
        }
    }

    /// <summary>One change of <see cref="UpdateAsync"/>: a statement built with its parameters, or the values (set
    /// columns, then key columns) of one row for the statement kept for <paramref name="Shape"/>.</summary>
    private readonly record struct Change(DbCommand? Built, UpdateShape? Shape, object?[]? Values);

    /// <summary>The UPDATE of one row by its full key, for one table and list of set columns: its text, built once, and
    /// the columns its parameters are bound for, in order (<see cref="Set"/> set columns, then the key). Kept when the
    /// store runs kept statements (<see cref="KeptStatement"/>).</summary>
    private sealed record UpdateShape(string Text, StoreColumn[] Columns, int Set, bool Kept);

    // Per described table (a table described anew starts afresh): the shapes its row updates took.
    private readonly ConditionalWeakTable<StoreTable, List<UpdateShape>> updateShapes = new();

    private UpdateShape RowUpdateShape(DbConnection connection, StoreTable table, IReadOnlyDictionary<string, object?> values, StoreColumn[] keys)
    {
        var shapes = updateShapes.GetValue(table, _ => []);
        lock (shapes)
        {
            foreach (var known in shapes)
            {
                if (known.Set == values.Count && known.Columns.Length == known.Set + keys.Length && Matches(known, values, keys))
                {
                    return known;
                }
            }
        }
        var columns = new StoreColumn[values.Count + keys.Length];
        var n = 0;
        foreach (var name in values.Keys)
        {
            columns[n++] = ColumnOf(table, name);
        }
        keys.CopyTo(columns, n);
        using var command = connection.CreateCommand();
        var set = string.Join(", ", columns.Take(values.Count).Select(c => $"{Quote(c.Name)} = {Bind(command, null, c)}"));
        var where = string.Join(" AND ", keys.Select(k => $"{Quote(k.Name)} = {Bind(command, null, k)}"));
        var text = $"UPDATE {QualifiedName(table)} SET {set} WHERE {where}";
        var shape = new UpdateShape(text, columns, values.Count, KeepsStatements && command.Parameters.Count == columns.Length);
        lock (shapes)
        {
            // A handful per table (one per list of masked columns); a caller changing ever new lists does not grow it.
            if (shapes.Count >= 16)
            {
                shapes.Clear();
            }
            shapes.Add(shape);
        }
        return shape;
    }

    private static bool Matches(UpdateShape shape, IReadOnlyDictionary<string, object?> values, StoreColumn[] keys)
    {
        var i = 0;
        foreach (var name in values.Keys)
        {
            if (shape.Columns[i++].Name != name)
            {
                return false;
            }
        }
        for (var k = 0; k < keys.Length; k++)
        {
            if (!ReferenceEquals(shape.Columns[i + k], keys[k]))
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>Begins the transaction a change (<see cref="UpdateAsync"/>) runs in: by default the driver's. A store may
    /// begin it with a statement of its own and return null: the change's statements then run without a transaction
    /// object, inside the one begun on the connection.</summary>
    protected virtual async ValueTask<DbTransaction?> BeginChangeAsync(DbConnection connection, CancellationToken cancellationToken) =>
        await connection.BeginTransactionAsync(cancellationToken);

    /// <summary>Commits what <see cref="BeginChangeAsync"/> began.</summary>
    protected virtual async ValueTask CommitChangeAsync(DbConnection connection, DbTransaction? transaction, CancellationToken cancellationToken) =>
        await transaction!.CommitAsync(cancellationToken);

    /// <summary>Rolls back what <see cref="BeginChangeAsync"/> began, after a failure; a connection already broken
    /// rolls back by itself.</summary>
    protected virtual async ValueTask RollbackChangeAsync(DbConnection connection, DbTransaction? transaction)
    {
        try
        {
            await transaction!.RollbackAsync();
        }
        catch (Exception e) when (e is DbException or InvalidOperationException)
        {
            // Closed with the connection, which goes back unclean.
        }
    }

    /// <summary>Whether <see cref="KeptStatement"/> hands out statements kept on the connection, so a row's UPDATE binds
    /// its values straight into the statement prepared for its shape.</summary>
    protected virtual bool KeepsStatements => false;

    /// <summary>The statement kept on <paramref name="connection"/> for <paramref name="text"/>, with
    /// <paramref name="parameters"/> parameters named as <see cref="Bind"/> names them, for <see cref="BindKept"/> to
    /// fill; only called when <see cref="KeepsStatements"/>.</summary>
    protected virtual DbCommand KeptStatement(DbConnection connection, string text, int parameters) => throw new NotSupportedException();

    /// <summary>Sets a kept statement's parameter to a value destined for <paramref name="column"/>, as
    /// <see cref="Bind"/> would bind it.</summary>
    protected virtual void BindKept(DbParameter parameter, object? value, StoreColumn column) => throw new NotSupportedException();

    private async Task<int> ExecuteInOrderAsync(DbConnection connection, DbTransaction? transaction, List<Change> changes, CancellationToken cancellationToken)
    {
        var changed = 0;
        foreach (var change in changes)
        {
            DbCommand command;
            if (change.Shape is { } shape)
            {
                command = KeptStatement(connection, shape.Text, shape.Columns.Length);
                for (var i = 0; i < shape.Columns.Length; i++)
                {
                    BindKept(command.Parameters[i], change.Values![i], shape.Columns[i]);
                }
            }
            else
            {
                command = Statement(connection, change.Built!);
            }
            command.Transaction = transaction;
            changed += await command.ExecuteNonQueryAsync(cancellationToken);
        }
        return changed;
    }

    public async Task<int> DeleteAsync(string table, IReadOnlyList<string> keyColumns, IReadOnlyList<IReadOnlyList<object?>> keys,
        CancellationToken cancellationToken = default)
    {
        var described = await TableAsync(table, cancellationToken);
        var keyList = keyColumns.Select(k => ColumnOf(described, k)).ToList();
        if (keyList.Count == 0)
        {
            throw new ArgumentException("Rows are deleted by their primary key; name its columns.", nameof(keyColumns));
        }
        var coerced = CoercedKeys(keys, keyList);
        await using var rented = await RentedAsync(cancellationToken);
        var connection = rented.Connection;
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var deleted = 0;
        foreach (var chunk in coerced.Chunk(Math.Max(1, MaxValuesPerStatement / keyList.Count)))
        {
            await using var command = connection.CreateCommand();
            command.Transaction = transaction;
            var where = keyList.Count == 1
                ? KeyListPredicate(command, keyList[0], [.. chunk.Select(k => k[0])])
                : TuplePredicate(command, keyList, chunk);
            command.CommandText = $"DELETE FROM {QualifiedName(described)} WHERE {where}";
            deleted += await Statement(connection, command).ExecuteNonQueryAsync(cancellationToken);
        }
        await transaction.CommitAsync(cancellationToken);
        rented.Done();
        return deleted;
    }

    public async Task<IReadOnlyList<StoreRow>> SelectPageAsync(string table, IReadOnlyList<string> columns, IReadOnlyList<string> keyColumns,
        IReadOnlyList<object?>? after, int limit, ColumnBound? below = null, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        var described = await TableAsync(table, cancellationToken);
        var selected = columns.Select(c => ColumnOf(described, c)).ToList();
        var keys = keyColumns.Select(k => ColumnOf(described, k)).ToList();
        if (keys.Count == 0)
        {
            throw new ArgumentException("A keyset scan orders rows by their primary key; name its columns.", nameof(keyColumns));
        }
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        var where = new List<string>();
        if (below is not null)
        {
            var column = ColumnOf(described, below.Column);
            if (!StoreValues.TryCoerce(below.Value, column.Kind, out var bound))
            {
                throw new ArgumentException($"The bound does not fit column '{column.Name}' ({column.DataType}).", nameof(below));
            }
            where.Add($"{Quote(column.Name)} < {Bind(command, bound, column)}");
        }
        if (after is not null)
        {
            if (CoercedKeys([after], keys) is not [var key])
            {
                throw new ArgumentException("The key to continue after does not fit the key columns.", nameof(after));
            }
            // A row-value comparison, (a, b) > (x, y), which both SQLite and PostgreSQL answer from the primary key's index.
            where.Add(keys.Count == 1
                ? $"{Quote(keys[0].Name)} > {Bind(command, key[0], keys[0])}"
                : $"({string.Join(", ", keys.Select(k => Quote(k.Name)))}) > ({string.Join(", ", keys.Select((k, i) => Bind(command, key[i], k)))})");
        }
        command.CommandText = $"SELECT {string.Join(", ", selected.Select(c => Quote(c.Name)))} FROM {QualifiedName(described)}" +
            (where.Count > 0 ? $" WHERE {string.Join(" AND ", where)}" : "") +
            $" ORDER BY {string.Join(", ", keys.Select(k => Quote(k.Name)))} LIMIT {limit.ToString(System.Globalization.CultureInfo.InvariantCulture)}";
        var rows = new List<StoreRow>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var row = new StoreRow();
            for (var i = 0; i < selected.Count; i++)
            {
                row[selected[i].Name] = reader.IsDBNull(i) ? null : Read(reader, i, selected[i]);
            }
            rows.Add(row);
        }
        return rows;
    }

    /// <summary>The isolation of a page's transaction: the page is read first and changed after by the same predicate,
    /// which must then meet exactly the rows read (<see cref="ReadPageAsync"/>).</summary>
    protected virtual System.Data.IsolationLevel PageIsolation => System.Data.IsolationLevel.Unspecified;

    /// <summary>Whether an error means the change met a row another transaction changed after the page was read.</summary>
    protected virtual bool IsConcurrentChange(DbException error) => false;

    /// <summary>Whether every value is of its column's kind (a date column holds only dates), so that values below a bound
    /// need not be read to be known readable (<see cref="IDataStore.ReadPageAsync"/>'s settled bound).</summary>
    protected virtual bool TypedValues => false;

    public virtual bool ReadsAhead => false;

    /// <summary>A query of one row aggregating the <paramref name="key"/> and <paramref name="value"/> of the rows the
    /// <c>SELECT</c> <paramref name="rows"/> gives, in the same order, and the greatest key, as <see cref="ReadPage"/>
    /// reads it: one row, where a row per row would cost the driver more than the change costs the engine. With
    /// <paramref name="settled"/> (a bound parameter, only where <see cref="TypedValues"/>), values below it are left out.</summary>
    protected virtual string PageAggregate(string rows, string key, string value, string? settled) =>
        throw new NotSupportedException($"The {Kind} store does not change pages.");

    /// <summary>Reads <see cref="PageAggregate"/>'s row.</summary>
    protected virtual PageRow ReadPage(DbDataReader reader, bool settled) =>
        throw new NotSupportedException($"The {Kind} store does not change pages.");

    /// <summary>A page's aggregate row as read: its number of rows, its greatest key (null for no rows) and the decoding of
    /// its keys and values, which runs while the change does.</summary>
    protected sealed record PageRow(int Count, long? Last, Func<(IReadOnlyList<long> Keys, IReadOnlyList<object?> Values)> Decode);

    /// <summary>The values of a page read with a settled bound: <see cref="PageValues.Settled"/> for each key but the
    /// <paramref name="near"/> ones (at or above the bound), which come in the same order as <paramref name="keys"/>.</summary>
    protected static object?[] Settle(IReadOnlyList<long> keys, IReadOnlyList<long> near, IReadOnlyList<object?> nearValues)
    {
        var values = new object?[keys.Count];
        var j = 0;
        for (var i = 0; i < keys.Count; i++)
        {
            values[i] = j < near.Count && near[j] == keys[i] ? nearValues[j++] : PageValues.Settled;
        }
        return j == near.Count && near.Count == nearValues.Count ? values
            : throw new InvalidOperationException("A page's values above its settled bound do not follow its keys.");
    }

    public async Task<IStorePage> ReadPageAsync(string table, string keyColumn, object? after, int limit, ColumnBound below, string returning,
        ColumnBound? settled = null, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        var described = await TableAsync(table, cancellationToken);
        var key = ColumnOf(described, keyColumn);
        if (key.Kind != ValueKind.Integer)
        {
            throw new ArgumentException($"A page is changed by a single integer key; '{key.Name}' holds {key.DataType}.", nameof(keyColumn));
        }
        var returned = ColumnOf(described, returning);
        var bounded = ColumnOf(described, below.Column);
        if (!StoreValues.TryCoerce(below.Value, bounded.Kind, out var bound) || bound is null)
        {
            throw new ArgumentException($"The bound does not fit column '{bounded.Name}' ({bounded.DataType}).", nameof(below));
        }
        object? start = null;
        if (after is not null && !StoreValues.TryCoerce(after, key.Kind, out start))
        {
            throw new ArgumentException("The key to continue after does not fit the key column.", nameof(after));
        }
        object? settledAt = null;
        if (settled is not null && TypedValues && ColumnOf(described, settled.Column) == returned
            && !StoreValues.TryCoerce(settled.Value, returned.Kind, out settledAt))
        {
            throw new ArgumentException($"The settled bound does not fit column '{returned.Name}' ({returned.DataType}).", nameof(settled));
        }
        var page = new OpenPage(this, described, key, bounded, bound, start, await RentedAsync(cancellationToken));
        try
        {
            await page.ReadAsync(returned, limit, settledAt, cancellationToken);
            return page;
        }
        catch
        {
            await page.DisposeAsync();
            throw;
        }
    }

    /// <summary>A page read in an open transaction, changed by the same predicate (<see cref="IStorePage"/>).</summary>
    private sealed class OpenPage(SqlStore store, StoreTable described, StoreColumn key, StoreColumn bounded, object bound, object? start, Rented rented)
        : IStorePage
    {
        private DbTransaction? transaction;
        private PageRow page = new(0, null, static () => ([], []));
        private bool handedOver;

        public int Count => page.Count;

        public long? Last => page.Last;

        private string Page(DbCommand statement) => $"{Quote(bounded.Name)} < {store.Bind(statement, bound, bounded)}" +
            (start is null ? "" : $" AND {Quote(key.Name)} > {store.Bind(statement, start, key)}");

        public async Task ReadAsync(StoreColumn returned, int limit, object? settled, CancellationToken cancellationToken)
        {
            transaction = await rented.Connection.BeginTransactionAsync(store.PageIsolation, cancellationToken);
            var (k, v) = (Quote(key.Name), Quote(returned.Name));
            // The page read first (one aggregate row: engines gather a change's RETURNING rows before the first comes back,
            // SQLite in a temporary table, or cost as much again to hand them back), then changed as a key range by the same
            // predicate in the same transaction, which meets exactly the rows read: SQLite's write transaction keeps other
            // writers out, PostgreSQL's repeatable read refuses a row changed since (IsConcurrentChange; the change is then
            // not accepted). The count confirms it.
            await using var select = rented.Connection.CreateCommand();
            select.Transaction = transaction;
            select.CommandText = store.PageAggregate(
                $"SELECT {k}, {v} FROM {store.QualifiedName(described)} WHERE {Page(select)} ORDER BY {k} LIMIT {limit.ToString(System.Globalization.CultureInfo.InvariantCulture)}",
                k, v, settled is null ? null : store.Bind(select, settled, returned));
            await using var reader = await select.ExecuteReaderAsync(cancellationToken);
            await reader.ReadAsync(cancellationToken);
            page = store.ReadPage(reader, settled is not null);
        }

        public async Task<IStoreChange> ChangeAsync(IReadOnlyDictionary<string, object?>? set,
            Func<IReadOnlyList<long>, IReadOnlyList<object?>, Task<bool>>? check = null, CancellationToken cancellationToken = default)
        {
            if (handedOver || transaction is not { } open)
            {
                throw new InvalidOperationException("The page was not read, or is already changed.");
            }
            handedOver = true;
            if (page.Last is not { } upper)
            {
                return new OpenChange(rented, open, [], [], true);
            }
            // The page is decoded and checked on another core while the change runs here; both finish before it returns.
            var decoding = Task.Run(async () =>
            {
                var (keys, values) = page.Decode();
                return (Keys: keys, Values: values, Accepted: check is null || await check(keys, values));
            }, cancellationToken);
            try
            {
                await using var command = rented.Connection.CreateCommand();
                command.Transaction = open;
                var name = store.QualifiedName(described);
                var where = $"{Page(command)} AND {Quote(key.Name)} <= {store.Bind(command, upper, key)}";
                command.CommandText = set is null
                    ? $"DELETE FROM {name} WHERE {where}"
                    : $"UPDATE {name} SET {string.Join(", ", set.Select(c => $"{Quote(store.ColumnOf(described, c.Key).Name)} = {store.Bind(command, c.Value, store.ColumnOf(described, c.Key))}"))} WHERE {where}";
                int? changed;
                try
                {
                    changed = await command.ExecuteNonQueryAsync(cancellationToken);
                }
                catch (DbException e) when (store.IsConcurrentChange(e))
                {
                    changed = null;
                }
                var decoded = await decoding;
                if (changed is { } count && count != decoded.Keys.Count)
                {
                    throw new InvalidOperationException($"The change met {count} rows of the {decoded.Keys.Count} read for it; it was rolled back.");
                }
                return new OpenChange(rented, open, decoded.Keys, decoded.Values, changed is not null && decoded.Accepted);
            }
            catch
            {
                await decoding.ContinueWith(static _ => { }, CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default);
                await EndAsync(open, rented, rollBack: true);
                throw;
            }
        }

        public async ValueTask DisposeAsync()
        {
            // Changed: the change owns the transaction and the connection now.
            if (handedOver)
            {
                return;
            }
            handedOver = true;
            await EndAsync(transaction, rented, rollBack: true);
        }
    }

    /// <summary>Ends a page's transaction (rolled back unless committed) and gives its connection back: clean only after a
    /// commit, otherwise closed.</summary>
    private static async Task EndAsync(DbTransaction? transaction, Rented rented, bool rollBack)
    {
        try
        {
            if (rollBack && transaction is not null)
            {
                await transaction.RollbackAsync();
            }
        }
        catch (Exception e) when (e is DbException or InvalidOperationException)
        {
            // A connection already broken rolls back by itself; it goes back unclean and is closed.
        }
        finally
        {
            if (transaction is not null)
            {
                await transaction.DisposeAsync();
            }
            await rented.DisposeAsync();
        }
    }

    /// <summary>A page changed in an open transaction: committed by the caller, rolled back by disposal otherwise. The
    /// connection goes back clean only after a commit.</summary>
    private sealed class OpenChange(Rented rented, DbTransaction transaction, IReadOnlyList<long> keys, IReadOnlyList<object?> values, bool accepted)
        : IStoreChange
    {
        private bool committed;
        private bool disposed;

        public bool Accepted => accepted;

        public IReadOnlyList<long> Keys => keys;

        public IReadOnlyList<object?> Values => values;

        public async Task CommitAsync(CancellationToken cancellationToken = default)
        {
            await transaction.CommitAsync(cancellationToken);
            committed = true;
            rented.Done();
        }

        public async ValueTask DisposeAsync()
        {
            if (disposed)
            {
                return;
            }
            disposed = true;
            await EndAsync(transaction, rented, rollBack: !committed);
        }
    }

    public async Task<long> CountNullAsync(string table, string column, CancellationToken cancellationToken = default)
    {
        var described = await TableAsync(table, cancellationToken);
        var counted = ColumnOf(described, column);
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = $"SELECT COUNT(*) FROM {QualifiedName(described)} WHERE {Quote(counted.Name)} IS NULL";
        return Convert.ToInt64(await command.ExecuteScalarAsync(cancellationToken), System.Globalization.CultureInfo.InvariantCulture);
    }

    public virtual ValueTask DisposeAsync()
    {
        describing.Dispose();
        GC.SuppressFinalize(this);
        return ValueTask.CompletedTask;
    }

    private bool IsFresh(Described known) => SchemaLifetime == Timeout.InfiniteTimeSpan || Stopwatch.GetElapsedTime(known.At) < SchemaLifetime;

    /// <summary>Runs the statements in the transaction: as one batch where the driver sends a batch in one round trip
    /// (every row masked with its own random or hashed value is its own UPDATE), otherwise one after the other. The
    /// caller disposes them.</summary>
    private async Task<int> ExecuteAsync(DbConnection connection, DbTransaction? transaction, List<DbCommand> statements,
        CancellationToken cancellationToken)
    {
        if (statements.Count > 1 && connection.CanCreateBatch)
        {
            await using var batch = connection.CreateBatch();
            batch.Transaction = transaction;
            foreach (var statement in statements)
            {
                var command = batch.CreateBatchCommand();
                command.CommandText = statement.CommandText;
                var parameters = statement.Parameters.Cast<DbParameter>().ToList();
                statement.Parameters.Clear();
                foreach (var parameter in parameters)
                {
                    command.Parameters.Add(parameter);
                }
                batch.BatchCommands.Add(command);
            }
            return await batch.ExecuteNonQueryAsync(cancellationToken);
        }
        var changed = 0;
        foreach (var statement in statements)
        {
            statement.Transaction = transaction;
            changed += await Statement(connection, statement).ExecuteNonQueryAsync(cancellationToken);
        }
        return changed;
    }

    private async Task<StoreTable> TableAsync(string table, CancellationToken cancellationToken) =>
        (await DescribeAsync(cancellationToken)).Find(table)
        ?? throw new UnknownStoreObjectException($"The {Kind} store has no table '{table}'.");

    private StoreColumn ColumnOf(StoreTable table, string column) =>
        table.Column(column) ?? throw new UnknownStoreObjectException($"Table '{table.Name}' of the {Kind} store has no column '{column}'.");

    private static List<IReadOnlyList<object>> CoercedKeys(IEnumerable<IReadOnlyList<object?>> keys, IReadOnlyList<StoreColumn> columns)
    {
        var result = new List<IReadOnlyList<object>>();
        // Values coerced to one column's kind compare as they are; several columns compare by their canonical text. A
        // single key needs no comparing.
        var several = keys is not IReadOnlyCollection<IReadOnlyList<object?>> { Count: <= 1 };
        var single = several && columns.Count == 1 ? new HashSet<object>() : null;
        var seen = several && single is null ? new HashSet<string>(StringComparer.Ordinal) : null;
        foreach (var key in keys)
        {
            if (key.Count != columns.Count)
            {
                throw new ArgumentException($"A key has {columns.Count} values here, not {key.Count}.", nameof(keys));
            }
            var values = new object[columns.Count];
            var usable = true;
            for (var i = 0; i < columns.Count && usable; i++)
            {
                usable = StoreValues.TryCoerce(key[i], columns[i].Kind, out var value);
                values[i] = value!;
            }
            if (usable && (!several || (single?.Add(values[0]) ?? seen!.Add(StoreValues.Canonical(values)))))
            {
                result.Add(values);
            }
        }
        return result;
    }

    /// <summary>New values that are the same column for column: same names, and values of the same type that are equal
    /// (a decimal with the same scale, a timestamp of the same kind; binary never), so one statement writes them all.</summary>
    private sealed class SameValues : IEqualityComparer<IReadOnlyDictionary<string, object?>>
    {
        public static readonly SameValues Instance = new();

        public bool Equals(IReadOnlyDictionary<string, object?>? x, IReadOnlyDictionary<string, object?>? y)
        {
            if (ReferenceEquals(x, y))
            {
                return true;
            }
            if (x is null || y is null || x.Count != y.Count)
            {
                return false;
            }
            foreach (var (name, value) in x)
            {
                if (!y.TryGetValue(name, out var other) || !Same(value, other))
                {
                    return false;
                }
            }
            return true;
        }

        public int GetHashCode(IReadOnlyDictionary<string, object?> values)
        {
            var hash = values.Count;
            foreach (var (name, value) in values)
            {
                // Independent of the order the names come in, as Equals is.
                hash += HashCode.Combine(StringComparer.Ordinal.GetHashCode(name), value is null or byte[]? 0 : value.GetHashCode());
            }
            return hash;
        }

        private static bool Same(object? a, object? b) => (a, b) switch
        {
            (null, null) => true,
            (null, _) or (_, null) => false,
            (decimal m, decimal n) => m == n && m.Scale == n.Scale,
            (DateTime d, DateTime e) => d == e && d.Kind == e.Kind,
            (byte[], _) => false,
            _ => a.GetType() == b.GetType() && a.Equals(b),
        };
    }

    private sealed record PreparedFilter(IReadOnlyList<StoreColumn> Columns, IReadOnlyList<IReadOnlyList<object>> Tuples);

    // Converts, de-duplicates and splits the filters into statements of at most MaxValuesPerStatement values.
    private List<List<PreparedFilter>> Batches(StoreTable table, IReadOnlyList<KeyFilter> anyOf)
    {
        var statements = new List<List<PreparedFilter>>();
        var current = new List<PreparedFilter>();
        var size = 0;
        foreach (var filter in anyOf)
        {
            if (filter.Columns.Count == 0)
            {
                continue;
            }
            var columns = new StoreColumn[filter.Columns.Count];
            for (var i = 0; i < columns.Length; i++)
            {
                columns[i] = ColumnOf(table, filter.Columns[i]);
            }
            var tuples = CoercedKeys(filter.Tuples, columns);
            var perStatement = Math.Max(1, MaxValuesPerStatement / columns.Length);
            foreach (var chunk in tuples.Count <= perStatement ? [tuples] : tuples.Chunk(perStatement).Select(c => (IReadOnlyList<IReadOnlyList<object>>)c))
            {
                if (chunk.Count == 0)
                {
                    continue;
                }
                var values = chunk.Count * columns.Length;
                if (size + values > MaxValuesPerStatement && current.Count > 0)
                {
                    statements.Add(current);
                    current = [];
                    size = 0;
                }
                current.Add(new PreparedFilter(columns, chunk));
                size += values;
            }
        }
        if (current.Count > 0)
        {
            statements.Add(current);
        }
        return statements;
    }

    private string Where(DbCommand command, IReadOnlyList<PreparedFilter> filters)
    {
        var where = new StringBuilder();
        foreach (var filter in filters)
        {
            if (where.Length > 0)
            {
                where.Append(" OR ");
            }
            where.Append(filter.Columns.Count == 1
                ? InPredicate(command, filter.Columns[0], [.. filter.Tuples.Select(t => t[0])])
                : TuplePredicate(command, filter.Columns, filter.Tuples));
        }
        return where.ToString();
    }
}
