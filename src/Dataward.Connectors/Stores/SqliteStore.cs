using System.Collections.Concurrent;
using System.Data.Common;
using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.Data.Sqlite;

namespace Dataward.Connectors.Stores;

/// <summary>A SQLite database file. Column kinds come from the declared types (SQLite stores timestamps as text and
/// booleans as integers; they are read back as <see cref="DateTime"/> and <see cref="bool"/> so results look the
/// same as PostgreSQL's). Key lists are bound as <c>IN (@p0, @p1, ...)</c> in chunks.
/// Connections stay open between operations with the statements they prepared: preparing a statement costs about as
/// much as running an indexed lookup, and a request runs the same few lookups every time (PostgreSQL's connections do
/// the same through Npgsql's pool and automatic preparation).</summary>
public sealed partial class SqliteStore(string connectionString) : SqlStore
{
    // Enough for the requests that run at once; beyond, connections close on return.
    private const int MaxIdleConnections = 16;
    // Per connection; a request's statements differ only in how many keys they list.
    private const int MaxStatements = 64;
    // Statements listing more keys than this are rare and long: prepared each time rather than kept.
    protected override int MaxKeptParameters => 64;

    private readonly ConcurrentBag<KeptConnection> idle = [];
    private readonly ConcurrentDictionary<DbConnection, KeptConnection> rented = new(ReferenceEqualityComparer.Instance);
    private volatile bool disposed;

    /// <summary>An open connection and the commands prepared on it, by text; used by one operation at a time.</summary>
    private sealed class KeptConnection(SqliteConnection connection)
    {
        public SqliteConnection Connection => connection;

        public Dictionary<string, SqliteCommand> Statements { get; } = new(StringComparer.Ordinal);

        public async ValueTask CloseAsync()
        {
            foreach (var statement in Statements.Values)
            {
                await statement.DisposeAsync();
            }
            await connection.DisposeAsync();
        }
    }

    public override string Kind => "sqlite";

    // Well under SQLite's default limit of 32,766 bound variables.
    protected override int MaxValuesPerStatement => 5_000;

    // Two JSON arrays, the greatest key and the count in one row; a blob cannot be a date (nor JSON), so it comes back as
    // null, an unreadable trigger. No settled bound: a SQLite column may hold a value of any type, which must be read to
    // be judged.
    protected override string PageAggregate(string rows, string key, string value, string? settled) =>
        $"SELECT json_group_array({key}), json_group_array(CASE typeof({value}) WHEN 'blob' THEN NULL ELSE {value} END), max({key}), count(*) FROM ({rows})";

    protected override PageRow ReadPage(DbDataReader reader, bool settled)
    {
        // The JSON text's UTF-8 bytes as SQLite holds them, with no string between, decoded when asked.
        var (keyJson, valueJson) = (reader.GetFieldValue<byte[]>(0), reader.GetFieldValue<byte[]>(1));
        return new PageRow(reader.GetInt32(3), reader.IsDBNull(2) ? null : reader.GetInt64(2), () =>
        {
            var keys = new List<long>();
            var keyArray = new System.Text.Json.Utf8JsonReader(keyJson);
            keyArray.Read();
            while (keyArray.Read() && keyArray.TokenType != System.Text.Json.JsonTokenType.EndArray)
            {
                keys.Add(keyArray.TokenType == System.Text.Json.JsonTokenType.Number && keyArray.TryGetInt64(out var key) ? key
                    : throw new InvalidOperationException("A row's key is not an integer: the page cannot be changed by its key."));
            }
            var values = new List<object?>(keys.Count);
            var valueArray = new System.Text.Json.Utf8JsonReader(valueJson);
            valueArray.Read();
            while (valueArray.Read() && valueArray.TokenType != System.Text.Json.JsonTokenType.EndArray)
            {
                values.Add(valueArray.TokenType switch
                {
                    System.Text.Json.JsonTokenType.String => valueArray.GetString(),
                    System.Text.Json.JsonTokenType.Number => valueArray.TryGetInt64(out var whole) ? whole : valueArray.GetDouble(),
                    _ => null,
                });
            }
            return values.Count == keys.Count ? ((IReadOnlyList<long>)keys, (IReadOnlyList<object?>)values) : throw new InvalidOperationException("A page's keys and values differ in number.");
        });
    }

    protected override async Task<DbConnection> OpenAsync(CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(connectionString);
        await connection.OpenAsync(cancellationToken);
        return connection;
    }

    protected override async ValueTask<DbConnection> RentAsync(CancellationToken cancellationToken)
    {
        if (!idle.TryTake(out var kept))
        {
            kept = new KeptConnection((SqliteConnection)await OpenAsync(cancellationToken));
        }
        rented[kept.Connection] = kept;
        return kept.Connection;
    }

    protected override async ValueTask ReturnAsync(DbConnection connection, bool clean)
    {
        if (!rented.TryRemove(connection, out var kept))
        {
            await connection.DisposeAsync();
            return;
        }
        // A connection an operation failed on may hold a half-read statement: it is not handed out again.
        if (clean && !disposed && idle.Count < MaxIdleConnections && connection.State == System.Data.ConnectionState.Open)
        {
            idle.Add(kept);
            if (disposed)
            {
                await CloseIdleAsync();
            }
            return;
        }
        if (!clean)
        {
            // The failure may be the file itself (moved, deleted, replaced): connections kept here or in the driver's
            // pool would keep failing on the old file, so none is reused; the next operation opens the path afresh.
            SqliteConnection.ClearPool(kept.Connection);
            await CloseIdleAsync();
        }
        await kept.CloseAsync();
    }

    private async Task CloseIdleAsync()
    {
        while (idle.TryTake(out var kept))
        {
            await kept.CloseAsync();
        }
    }

    protected override DbCommand Statement(DbConnection connection, DbCommand built)
    {
        if (built.Parameters.Count > MaxKeptParameters || !rented.TryGetValue(connection, out var kept))
        {
            return built;
        }
        var statement = Kept(kept, built.CommandText, built.Parameters.Count);
        for (var i = 0; i < built.Parameters.Count; i++)
        {
            statement.Parameters[i].Value = built.Parameters[i].Value;
        }
        statement.Transaction = (SqliteTransaction?)built.Transaction;
        return statement;
    }

    protected override bool KeepsStatements => true;

    // A row's UPDATE has one text per table and list of columns, however many parameters: always kept.
    protected override DbCommand KeptStatement(DbConnection connection, string text, int parameters) =>
        rented.TryGetValue(connection, out var kept) ? Kept(kept, text, parameters)
        : throw new InvalidOperationException("Kept statements run on a rented connection.");

    protected override void BindKept(DbParameter parameter, object? value, StoreColumn column) => parameter.Value = Stored(value);

    // A change's BEGIN and COMMIT run as statements kept on the connection, as its UPDATEs do: the driver's transaction
    // object prepares both again for every transaction. BEGIN IMMEDIATE takes the write lock at once, as the driver's
    // default transaction does.
    protected override async ValueTask<DbTransaction?> BeginChangeAsync(DbConnection connection, CancellationToken cancellationToken)
    {
        if (!rented.TryGetValue(connection, out var kept))
        {
            return await base.BeginChangeAsync(connection, cancellationToken);
        }
        await Kept(kept, "BEGIN IMMEDIATE", 0).ExecuteNonQueryAsync(cancellationToken);
        return null;
    }

    protected override async ValueTask CommitChangeAsync(DbConnection connection, DbTransaction? transaction, CancellationToken cancellationToken)
    {
        if (transaction is not null)
        {
            await base.CommitChangeAsync(connection, transaction, cancellationToken);
            return;
        }
        await Kept(rented[connection], "COMMIT", 0).ExecuteNonQueryAsync(cancellationToken);
    }

    protected override async ValueTask RollbackChangeAsync(DbConnection connection, DbTransaction? transaction)
    {
        if (transaction is not null)
        {
            await base.RollbackChangeAsync(connection, transaction);
            return;
        }
        try
        {
            // Fails when SQLite already rolled back by itself (the transaction is gone).
            if (rented.TryGetValue(connection, out var kept))
            {
                await Kept(kept, "ROLLBACK", 0).ExecuteNonQueryAsync();
            }
        }
        catch (Exception e) when (e is DbException or InvalidOperationException)
        {
            // Closed with the connection, which goes back unclean.
        }
    }

    // The command kept on the connection for the text (prepared by its first run), its parameters named as Bind names them.
    private static SqliteCommand Kept(KeptConnection kept, string text, int parameters)
    {
        if (!kept.Statements.TryGetValue(text, out var statement))
        {
            if (kept.Statements.Count >= MaxStatements)
            {
                foreach (var old in kept.Statements.Values)
                {
                    old.Dispose();
                }
                kept.Statements.Clear();
            }
            statement = kept.Connection.CreateCommand();
            statement.CommandText = text;
            for (var i = 0; i < parameters; i++)
            {
                statement.Parameters.Add(new SqliteParameter("@p" + i.ToString(CultureInfo.InvariantCulture), null));
            }
            kept.Statements[text] = statement;
        }
        return statement;
    }

    public override async ValueTask DisposeAsync()
    {
        disposed = true;
        await CloseIdleAsync();
        await base.DisposeAsync();
    }

    protected override async Task<StoreSchema> DescribeCoreAsync(DbConnection connection, CancellationToken cancellationToken)
    {
        var names = new List<string>();
        await using (var command = connection.CreateCommand())
        {
            command.CommandText = "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name";
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                names.Add(reader.GetString(0));
            }
        }
        var tables = new Dictionary<string, StoreTable>(StringComparer.Ordinal);
        foreach (var name in names)
        {
            var columns = new List<StoreColumn>();
            var key = new List<(long Position, string Name)>();
            await using var command = connection.CreateCommand();
            command.CommandText = "SELECT name, type, \"notnull\", pk FROM pragma_table_info(@table) ORDER BY cid";
            command.Parameters.Add(new SqliteParameter("@table", name));
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                var type = reader.GetString(1);
                var position = reader.GetInt64(3);
                var length = Length().Match(type) is { Success: true } m ? int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) : (int?)null;
                var kind = KindOf(type);
                columns.Add(new StoreColumn(reader.GetString(0), type, kind, reader.GetInt64(2) == 0 && position == 0,
                    kind == ValueKind.Text ? length : null));
                if (position > 0)
                {
                    key.Add((position, reader.GetString(0)));
                }
            }
            tables[name] = new StoreTable(name, columns, [.. key.OrderBy(k => k.Position).Select(k => k.Name)]);
        }
        return new StoreSchema(tables);
    }

    protected override string QualifiedName(StoreTable table) => Quote(table.Name);

    protected override string InPredicate(DbCommand command, StoreColumn column, IReadOnlyList<object> values) =>
        $"{Quote(column.Name)} IN ({string.Join(", ", values.Select(v => Bind(command, v, column)))})";

    /// <summary>A long list of integer or text keys travels as one JSON array, <c>"k" IN (SELECT value FROM
    /// json_each(@p0))</c>: Microsoft.Data.Sqlite finds each named parameter by a scan of the statement's parameters, so
    /// a thousand-key <c>IN (@p0, ...)</c> binds in quadratic time, and the one-parameter text is prepared once per
    /// connection however many keys a batch has (docs/benchmarks.md, retention sweeps). The values compare as the
    /// column's affinity converts them, as bound values do.</summary>
    protected override string KeyListPredicate(DbCommand command, StoreColumn column, IReadOnlyList<object> values)
    {
        if (values.Count <= MaxKeptParameters || column.Kind is not (ValueKind.Integer or ValueKind.Text) || !values.All(v => v is long or string))
        {
            return InPredicate(command, column, values);
        }
        var json = new System.Buffers.ArrayBufferWriter<byte>(values.Count * 12);
        using (var writer = new System.Text.Json.Utf8JsonWriter(json))
        {
            writer.WriteStartArray();
            foreach (var value in values)
            {
                if (value is long number)
                {
                    writer.WriteNumberValue(number);
                }
                else
                {
                    writer.WriteStringValue((string)value);
                }
            }
            writer.WriteEndArray();
        }
        var name = NextParameterName(command);
        command.Parameters.Add(new SqliteParameter(name, System.Text.Encoding.UTF8.GetString(json.WrittenSpan)));
        return $"{Quote(column.Name)} IN (SELECT value FROM json_each({name}))";
    }

    protected override string TuplePredicate(DbCommand command, IReadOnlyList<StoreColumn> columns, IReadOnlyList<IReadOnlyList<object>> tuples) =>
        $"({string.Join(", ", columns.Select(c => Quote(c.Name)))}) IN (VALUES {string.Join(", ",
            tuples.Select(t => "(" + string.Join(", ", columns.Select((c, i) => Bind(command, t[i], c))) + ")"))})";

    protected override string Bind(DbCommand command, object? value, StoreColumn column)
    {
        var name = NextParameterName(command);
        command.Parameters.Add(new SqliteParameter(name, Stored(value)));
        return name;
    }

    protected override object? Read(DbDataReader reader, int ordinal, StoreColumn column)
    {
        var value = reader.GetValue(ordinal);
        if (value is DBNull)
        {
            return null;
        }
        // Already of the column's kind, as SQLite hands back most values.
        if (column.Kind is ValueKind.Text or ValueKind.Binary or ValueKind.Other
            || (column.Kind == ValueKind.Integer && value is long) || (column.Kind == ValueKind.Float && value is double))
        {
            return value;
        }
        // A value that does not fit the declared type is returned as stored rather than guessed at.
        return StoreValues.TryCoerce(value, column.Kind, out var typed) ? typed : value;
    }

    // How SQLite holds each kind: timestamps and dates as ISO text (as the sample data writes them), booleans as 0/1.
    private static object Stored(object? value) => value switch
    {
        null => DBNull.Value,
        DateTime d => d.ToString("yyyy-MM-dd HH:mm:ss.FFFFFFF", CultureInfo.InvariantCulture),
        DateOnly d => d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
        bool b => b ? 1L : 0L,
        decimal m => m == decimal.Truncate(m) && Math.Abs(m) < long.MaxValue ? (long)m : (double)m,
        Guid g => g.ToString("D"),
        _ => value,
    };

    // SQLite's affinity rules (https://www.sqlite.org/datatype3.html#determination_of_column_affinity), with the
    // declared names that carry a meaning beyond affinity (BOOLEAN, TIMESTAMP, DATE, MONEY) kept.
    private static ValueKind KindOf(string declared)
    {
        var type = declared.ToUpperInvariant();
        return type switch
        {
            _ when type.Contains("BOOL", StringComparison.Ordinal) => ValueKind.Boolean,
            _ when type.Contains("INT", StringComparison.Ordinal) => ValueKind.Integer,
            _ when type.Contains("TIMESTAMP", StringComparison.Ordinal) || type.Contains("DATETIME", StringComparison.Ordinal) => ValueKind.Timestamp,
            _ when type.StartsWith("DATE", StringComparison.Ordinal) => ValueKind.Date,
            _ when type.Contains("CHAR", StringComparison.Ordinal) || type.Contains("CLOB", StringComparison.Ordinal) || type.Contains("TEXT", StringComparison.Ordinal) => ValueKind.Text,
            _ when type.Contains("REAL", StringComparison.Ordinal) || type.Contains("FLOA", StringComparison.Ordinal) || type.Contains("DOUB", StringComparison.Ordinal) => ValueKind.Float,
            _ when type.Contains("NUMERIC", StringComparison.Ordinal) || type.Contains("DECIMAL", StringComparison.Ordinal) || type.Contains("MONEY", StringComparison.Ordinal) => ValueKind.Decimal,
            _ when type.Contains("BLOB", StringComparison.Ordinal) => ValueKind.Binary,
            _ => ValueKind.Other,
        };
    }

    [GeneratedRegex(@"\(\s*(\d+)\s*\)")]
    private static partial Regex Length();
}
