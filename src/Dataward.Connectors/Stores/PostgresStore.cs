using System.Data.Common;
using Npgsql;

namespace Dataward.Connectors.Stores;

/// <summary>A PostgreSQL database (one schema of it, <c>public</c> unless named). Key lookups bind one array per
/// column: <c>"col" = ANY(@p0)</c>, so a step is one statement however many keys it has.</summary>
public sealed class PostgresStore : SqlStore
{
    private readonly NpgsqlDataSource dataSource;
    private readonly string schemaName;

    public PostgresStore(string connectionString, string schema = "public")
    {
        var given = new DbConnectionStringBuilder { ConnectionString = connectionString }.Keys.Cast<string>()
            .Select(k => k.Replace(" ", "", StringComparison.Ordinal).ToUpperInvariant()).ToHashSet(StringComparer.Ordinal);
        var settings = new NpgsqlConnectionStringBuilder(connectionString);
        // A step runs the same few statements for every request: prepared once per physical connection, they skip
        // PostgreSQL's parse and plan. Both settings are left as the organisation set them, if it did.
        if (!given.Contains("MAXAUTOPREPARE"))
        {
            settings.MaxAutoPrepare = 64;
        }
        // The store leaves no session state behind (plain statements, transactions always ended), so a connection
        // going back to the pool needs no reset.
        if (!given.Contains("NORESETONCLOSE"))
        {
            settings.NoResetOnClose = true;
        }
        dataSource = NpgsqlDataSource.Create(settings);
        schemaName = schema;
    }

    public override string Kind => "postgres";

    // Npgsql sends a batch's statements with one Sync at the end, so PostgreSQL runs them in one implicit transaction.
    protected override bool AtomicBatches => true;

    // Arrays travel as one parameter each; the bound is on memory per statement, not on PostgreSQL's 65,535 parameters.
    protected override int MaxValuesPerStatement => 50_000;

    // A date or timestamp column holds only readable values.
    protected override bool TypedValues => true;

    // A page's read takes a snapshot of its own; the change of the page before meets only rows this one does not read.
    public override bool ReadsAhead => true;

    // The keys (widened to bigint) as one bytea of 8-byte big-endian integers (int8send), which is copied, not decoded
    // element by element as an int8[] is; the greatest key; the values as an array of their column's type (with a settled
    // bound, only those at or above it, and their keys). An aggregate of no rows is null. One aggregation reads each row
    // once for every aggregate, so they stay aligned.
    protected override string PageAggregate(string rows, string key, string value, string? settled) => settled is null
        ? $"SELECT string_agg(int8send(page.{key}::bigint), ''), max(page.{key})::bigint, array_agg(page.{value}) FROM ({rows}) AS page"
        : $"SELECT string_agg(int8send(page.{key}::bigint), ''), max(page.{key})::bigint, array_agg(page.{value}) FILTER (WHERE page.{value} >= {settled}), " +
          $"string_agg(int8send(page.{key}::bigint), '') FILTER (WHERE page.{value} >= {settled}) FROM ({rows}) AS page";

    protected override System.Data.IsolationLevel PageIsolation => System.Data.IsolationLevel.RepeatableRead;

    // 40001: a row of the page was changed or deleted by another transaction after the page was read.
    protected override bool IsConcurrentChange(DbException error) => error is PostgresException { SqlState: PostgresErrorCodes.SerializationFailure };

    protected override PageRow ReadPage(DbDataReader reader, bool settled)
    {
        if (reader.IsDBNull(1))
        {
            return new PageRow(0, null, static () => ([], []));
        }
        var keyBytes = reader.GetFieldValue<byte[]>(0);
        // Values decoded from PostgreSQL's binary array as their column's type; at most the few near the bound when settled.
        var values = reader.IsDBNull(2) ? Array.Empty<object?>() : (Array)reader.GetValue(2);
        var nearBytes = settled && !reader.IsDBNull(3) ? reader.GetFieldValue<byte[]>(3) : [];
        return new PageRow(keyBytes.Length / sizeof(long), reader.GetInt64(1), () =>
        {
            var keys = Keys(keyBytes);
            List<object?> read = [.. values.Cast<object?>()];
            return (keys, settled ? Settle(keys, Keys(nearBytes), read) : read);
        });
    }

    private static long[] Keys(byte[] bytes)
    {
        var keys = new long[bytes.Length / sizeof(long)];
        for (var i = 0; i < keys.Length; i++)
        {
            keys[i] = System.Buffers.Binary.BinaryPrimitives.ReadInt64BigEndian(bytes.AsSpan(i * sizeof(long)));
        }
        return keys;
    }

    protected override async Task<DbConnection> OpenAsync(CancellationToken cancellationToken) =>
        await dataSource.OpenConnectionAsync(cancellationToken);

    protected override async Task<StoreSchema> DescribeCoreAsync(DbConnection connection, CancellationToken cancellationToken)
    {
        var columns = new Dictionary<string, List<StoreColumn>>(StringComparer.Ordinal);
        await using (var command = connection.CreateCommand())
        {
            command.CommandText = """
                SELECT table_name, column_name, udt_name, is_nullable, character_maximum_length
                FROM information_schema.columns WHERE table_schema = @schema ORDER BY table_name, ordinal_position
                """;
            command.Parameters.Add(new NpgsqlParameter("schema", schemaName));
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                var type = reader.GetString(2);
                var column = new StoreColumn(reader.GetString(1), type, KindOf(type), reader.GetString(3) == "YES",
                    reader.IsDBNull(4) ? null : reader.GetInt32(4));
                var table = reader.GetString(0);
                if (!columns.TryGetValue(table, out var list))
                {
                    columns[table] = list = [];
                }
                list.Add(column);
            }
        }
        var keys = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        await using (var command = connection.CreateCommand())
        {
            command.CommandText = """
                SELECT tc.table_name, kcu.column_name
                FROM information_schema.table_constraints tc
                JOIN information_schema.key_column_usage kcu
                  ON kcu.constraint_name = tc.constraint_name AND kcu.constraint_schema = tc.constraint_schema AND kcu.table_name = tc.table_name
                WHERE tc.constraint_type = 'PRIMARY KEY' AND tc.table_schema = @schema
                ORDER BY tc.table_name, kcu.ordinal_position
                """;
            command.Parameters.Add(new NpgsqlParameter("schema", schemaName));
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                var table = reader.GetString(0);
                if (!keys.TryGetValue(table, out var list))
                {
                    keys[table] = list = [];
                }
                list.Add(reader.GetString(1));
            }
        }
        return new StoreSchema(columns.ToDictionary(c => c.Key,
            c => new StoreTable(c.Key, c.Value, keys.GetValueOrDefault(c.Key) ?? []), StringComparer.Ordinal));
    }

    protected override string QualifiedName(StoreTable table) => $"{Quote(schemaName)}.{Quote(table.Name)}";

    protected override string InPredicate(DbCommand command, StoreColumn column, IReadOnlyList<object> values)
    {
        var name = Positional(command);
        var (array, cast) = TypedArray(column, values);
        command.Parameters.Add(new NpgsqlParameter { Value = array });
        return $"{Quote(column.Name)}{cast} = ANY({name})";
    }

    protected override string TuplePredicate(DbCommand command, IReadOnlyList<StoreColumn> columns, IReadOnlyList<IReadOnlyList<object>> tuples)
    {
        var names = new List<string>();
        var left = new List<string>();
        for (var i = 0; i < columns.Count; i++)
        {
            var name = Positional(command);
            var (array, cast) = TypedArray(columns[i], [.. tuples.Select(t => t[i])]);
            command.Parameters.Add(new NpgsqlParameter { Value = array });
            names.Add(name);
            left.Add(Quote(columns[i].Name) + cast);
        }
        return $"({string.Join(", ", left)}) IN (SELECT * FROM unnest({string.Join(", ", names)}))";
    }

    protected override string Bind(DbCommand command, object? value, StoreColumn column)
    {
        var name = Positional(command);
        var parameter = new NpgsqlParameter { Value = value ?? DBNull.Value };
        if (column.Kind != ValueKind.Other)
        {
            parameter.DataTypeName = column.DataType;
        }
        command.Parameters.Add(parameter);
        return column.Kind == ValueKind.Other ? $"CAST({name} AS {Quote(column.DataType)})" : name;
    }

    protected override object? Read(DbDataReader reader, int ordinal, StoreColumn column)
    {
        var value = reader.GetValue(ordinal);
        if (value is DBNull)
        {
            return null;
        }
        return column.Kind switch
        {
            ValueKind.Integer => Convert.ToInt64(value, System.Globalization.CultureInfo.InvariantCulture),
            ValueKind.Float => Convert.ToDouble(value, System.Globalization.CultureInfo.InvariantCulture),
            ValueKind.Date when value is DateTime d => DateOnly.FromDateTime(d),
            _ => value switch
            {
                string or long or int or short or decimal or double or float or bool or DateTime or DateOnly or Guid or byte[] or Array => value,
                DateTimeOffset o => o.UtcDateTime,
                TimeSpan or TimeOnly => value,
                _ => Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture),
            },
        };
    }

    // $1, $2, ...: Npgsql sends positional parameters as they are, where named ones make it rewrite the SQL each time.
    private static string Positional(DbCommand command) => "$" + (command.Parameters.Count + 1).ToString(System.Globalization.CultureInfo.InvariantCulture);

    public override async ValueTask DisposeAsync()
    {
        await dataSource.DisposeAsync();
        await base.DisposeAsync();
    }

    private static ValueKind KindOf(string udt) => udt switch
    {
        "int2" or "int4" or "int8" => ValueKind.Integer,
        "numeric" or "money" => ValueKind.Decimal,
        "float4" or "float8" => ValueKind.Float,
        "bool" => ValueKind.Boolean,
        "varchar" or "text" or "bpchar" or "name" or "citext" => ValueKind.Text,
        "timestamp" => ValueKind.Timestamp,
        "timestamptz" => ValueKind.TimestampWithZone,
        "date" => ValueKind.Date,
        "uuid" => ValueKind.Guid,
        "bytea" => ValueKind.Binary,
        _ => ValueKind.Other,
    };

    // A typed array for = ANY(...), and a cast of the column where PostgreSQL has no operator for its own type.
    private static (object Array, string Cast) TypedArray(StoreColumn column, IReadOnlyList<object> values) => column.Kind switch
    {
        ValueKind.Integer => (values.Cast<long>().ToArray(), ""),
        ValueKind.Decimal => (values.Cast<decimal>().ToArray(), column.DataType == "money" ? "::numeric" : ""),
        ValueKind.Float => (values.Cast<double>().ToArray(), ""),
        ValueKind.Boolean => (values.Cast<bool>().ToArray(), ""),
        ValueKind.Timestamp or ValueKind.TimestampWithZone => (values.Cast<DateTime>().ToArray(), ""),
        ValueKind.Date => (values.Cast<DateOnly>().ToArray(), ""),
        ValueKind.Guid => (values.Cast<Guid>().ToArray(), ""),
        ValueKind.Binary => (values.Cast<byte[]>().ToArray(), ""),
        ValueKind.Text => (values.Select(v => (string)v).ToArray(), ""),
        _ => (values.Select(v => Convert.ToString(v, System.Globalization.CultureInfo.InvariantCulture)!).ToArray(), "::text"),
    };
}
