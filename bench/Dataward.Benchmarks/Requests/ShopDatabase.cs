using System.Data.Common;
using System.Diagnostics;
using System.Globalization;
using Dataward.Connectors.Datasets;
using Dataward.Platform.Storage;
using Microsoft.Data.Sqlite;
using Npgsql;
using NpgsqlTypes;

namespace Dataward.Benchmarks.Requests;

/// <summary>The organisation's database the <c>requests</c> benchmark runs against: a generated shop of
/// <see cref="Customers"/> customers with their addresses, orders (with items) and logins, about ten rows per customer,
/// described by <c>shop_dataset.yml</c>. Generated once and kept: a SQLite file under <c>BenchmarkDotNet.Artifacts/</c>
/// or a database named after the count on the server in <c>DATAWARD_TEST_POSTGRES</c>. A marker row written last says
/// the load is complete; it also remembers which customers earlier runs erased (from the top of the range down), so
/// every erasure meets a customer who still has data.</summary>
internal sealed class ShopDatabase
{
    /// <summary>Bumped whenever the generated rows change shape, so older cached databases are rebuilt.</summary>
    private const int Layout = 1;

    /// <summary>Customers whose index differs by this have the same number of addresses, orders, items and logins (the
    /// counts below repeat every 30 customers), so an erasure by the engine and one by raw SQL touch alike rows.</summary>
    public const int ShapePeriod = 30;

    public const string DatasetKey = "bench_shop";

    private static readonly DateTime Epoch = new(2024, 1, 1, 0, 0, 0, DateTimeKind.Unspecified);
    private static readonly string[] Cities = ["London", "Leeds", "Bristol", "Glasgow", "Cardiff", "Belfast", "York", "Bath"];

    private ShopDatabase(StorageProvider provider, string connectionString, int customers)
    {
        Provider = provider;
        ConnectionString = connectionString;
        Customers = customers;
    }

    public StorageProvider Provider { get; }

    public string ConnectionString { get; }

    public int Customers { get; }

    public static string Email(int customer) => $"customer{customer}@example.org";

    public static int AddressCount(int customer) => 1 + (customer % 2);

    public static int OrderCount(int customer) => customer % 5;

    public static int ItemCount(long orderId) => 1 + (int)(orderId % 2);

    public static int LoginCount(int customer) => customer % 6;

    /// <summary>The dataset file describing the database (copied next to the program).</summary>
    public static string DatasetYaml() => File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Requests", "shop_dataset.yml"));

    public static Dataset Dataset() => FidesDatasetFile.Parse(DatasetYaml()).Value!.Single();

    public DbConnection Open() => Provider == StorageProvider.Sqlite ? new SqliteConnection(ConnectionString) : new NpgsqlConnection(ConnectionString);

    /// <summary>Where the database for this provider and count lives; <see cref="PrepareAsync"/> makes sure it is loaded.</summary>
    public static ShopDatabase Locate(StorageProvider provider, int customers)
    {
        if (provider == StorageProvider.Sqlite)
        {
            var folder = BenchFolder();
            return new ShopDatabase(provider, new SqliteConnectionStringBuilder { DataSource = Path.Combine(folder, $"shop-{customers}.db") }.ConnectionString,
                customers);
        }
        return new ShopDatabase(provider, new NpgsqlConnectionStringBuilder(PostgresServer()) { Database = $"dataward_bench_shop_{customers}" }.ConnectionString,
            customers);
    }

    public static string BenchFolder()
    {
        var folder = Path.GetFullPath(Path.Combine("BenchmarkDotNet.Artifacts", "requests-bench"));
        Directory.CreateDirectory(folder);
        return folder;
    }

    public static string PostgresServer() => Environment.GetEnvironmentVariable("DATAWARD_TEST_POSTGRES")
        ?? throw new InvalidOperationException("Set DATAWARD_TEST_POSTGRES to a PostgreSQL server (eval \"$(.ci/start-postgres)\").");

    /// <summary>Finds the cached database or generates a new one, reporting what it did on the console.</summary>
    public static async Task<ShopDatabase> PrepareAsync(StorageProvider provider, int customers, bool regenerate)
    {
        var database = Locate(provider, customers);
        if (!regenerate && await database.IsCompleteAsync())
        {
            Console.WriteLine($"// {provider}: reusing the generated shop ({customers:N0} customers; {await database.ErasedFromAsync():N0} not erased yet)");
            return database;
        }
        var clock = Stopwatch.StartNew();
        var rows = provider == StorageProvider.Sqlite ? await database.GenerateSqliteAsync() : await database.GeneratePostgresAsync();
        Console.WriteLine($"// {provider}: generated {customers:N0} customers, {rows.Total:N0} rows ({rows}) in {clock.Elapsed.TotalSeconds:F0} s");
        return database;
    }

    public sealed record RowCounts(long Customers, long Addresses, long Orders, long Items, long Logins)
    {
        public long Total => Customers + Addresses + Orders + Items + Logins;

        public override string ToString() =>
            $"customers {Customers:N0}, addresses {Addresses:N0}, orders {Orders:N0}, order items {Items:N0}, logins {Logins:N0}";
    }

    /// <summary>Customers at or above this index were erased by earlier runs.</summary>
    public async Task<int> ErasedFromAsync()
    {
        await using var connection = Open();
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT erased_from FROM bench_seed";
        return Convert.ToInt32(await command.ExecuteScalarAsync(), CultureInfo.InvariantCulture);
    }

    /// <summary>Takes <paramref name="count"/> customers that were never erased (the highest ones left) and records them
    /// as erased before anything happens to them, so a run killed midway never hands them out again.</summary>
    public async Task<int> ReserveForErasureAsync(int count)
    {
        await using var connection = Open();
        await connection.OpenAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "UPDATE bench_seed SET erased_from = erased_from - " + count.ToString(CultureInfo.InvariantCulture) + " RETURNING erased_from";
        var from = Convert.ToInt32(await command.ExecuteScalarAsync(), CultureInfo.InvariantCulture);
        if (from < Customers / 2)
        {
            throw new InvalidOperationException($"Half of the {Customers:N0} customers were erased by earlier runs: run again with --regenerate.");
        }
        await transaction.CommitAsync();
        return from;
    }

    private async Task<bool> IsCompleteAsync()
    {
        try
        {
            if (Provider == StorageProvider.Sqlite && !File.Exists(new SqliteConnectionStringBuilder(ConnectionString).DataSource))
            {
                return false;
            }
            await using var connection = Open();
            await connection.OpenAsync();
            await using var command = connection.CreateCommand();
            command.CommandText = Provider == StorageProvider.Sqlite
                ? "SELECT count(*) FROM sqlite_master WHERE name = 'bench_seed'"
                : "SELECT count(*) FROM pg_tables WHERE tablename = 'bench_seed'";
            if (Convert.ToInt64(await command.ExecuteScalarAsync(), CultureInfo.InvariantCulture) == 0)
            {
                return false;
            }
            command.CommandText = "SELECT customers, layout FROM bench_seed";
            await using var reader = await command.ExecuteReaderAsync();
            return await reader.ReadAsync() && reader.GetInt64(0) == Customers && reader.GetInt64(1) == Layout;
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.InvalidCatalogName)
        {
            return false;
        }
    }

    // Types as an application would declare them; the engine reads lengths, nullability and kinds from them.
    private static string Schema(bool postgres)
    {
        // SQLite: INTEGER PRIMARY KEY is the rowid, loaded in order; PostgreSQL gets its keys after the load.
        var id = postgres ? "bigint" : "INTEGER";
        var key = postgres ? "NOT NULL" : "PRIMARY KEY";
        return $"""
            CREATE TABLE customers (id {id} {key}, email varchar(254) NOT NULL, name varchar(100) NOT NULL, phone varchar(30),
                created_at timestamp NOT NULL);
            CREATE TABLE addresses (id {id} {key}, customer_id {id} NOT NULL, street varchar(120) NOT NULL, city varchar(60) NOT NULL,
                postal_code varchar(10), country varchar(2) NOT NULL);
            CREATE TABLE orders (id {id} {key}, customer_id {id} NOT NULL, placed_at timestamp NOT NULL, status varchar(20) NOT NULL,
                total numeric(10, 2) NOT NULL, recipient_name varchar(100) NOT NULL);
            CREATE TABLE order_items (id {id} {key}, order_id {id} NOT NULL, sku varchar(20) NOT NULL, quantity integer NOT NULL,
                unit_price numeric(10, 2) NOT NULL);
            CREATE TABLE logins (id {id} {key}, customer_id {id} NOT NULL, logged_in_at timestamp NOT NULL, ip_address varchar(45),
                user_agent varchar(200));
            """;
    }

    // Built after the load: sorting once is much faster than maintaining each index row by row.
    private const string Indexes = """
        CREATE UNIQUE INDEX ix_customers_email ON customers (email);
        CREATE INDEX ix_addresses_customer_id ON addresses (customer_id);
        CREATE INDEX ix_orders_customer_id ON orders (customer_id);
        CREATE INDEX ix_order_items_order_id ON order_items (order_id);
        CREATE INDEX ix_logins_customer_id ON logins (customer_id);
        """;

    private string MarkerSql => $"CREATE TABLE bench_seed (customers bigint NOT NULL, layout bigint NOT NULL, erased_from bigint NOT NULL); " +
        $"INSERT INTO bench_seed VALUES ({Customers}, {Layout}, {Customers});";

    /// <summary>The rows, generated in key order, handed to one writer per table.</summary>
    private interface IRowWriter
    {
        void Customer(long id, string email, string name, string? phone, DateTime createdAt);
        void Address(long id, long customerId, string street, string city, string? postalCode, string country);
        void Order(long id, long customerId, DateTime placedAt, string status, decimal total, string recipientName);
        void Item(long id, long orderId, string sku, int quantity, decimal unitPrice);
        void Login(long id, long customerId, DateTime loggedInAt, string? ip, string? userAgent);
    }

    private RowCounts Generate(IRowWriter writer)
    {
        long address = 0, order = 0, item = 0, login = 0;
        for (var c = 0; c < Customers; c++)
        {
            long id = c + 1;
            var name = $"Customer {c}";
            writer.Customer(id, Email(c), name, c % 3 == 0 ? null : $"+44 7700 {c % 1_000_000:D6}", Epoch.AddMinutes(c));
            for (var a = 0; a < AddressCount(c); a++)
            {
                address++;
                writer.Address(address, id, $"{(c % 200) + 1} {(a == 0 ? "High" : "Station")} Street", Cities[(c + a) % Cities.Length],
                    c % 4 == 0 ? null : $"AB{c % 100} {a}CD", "GB");
            }
            for (var o = 0; o < OrderCount(c); o++)
            {
                order++;
                writer.Order(order, id, Epoch.AddMinutes(c).AddDays(o + 1), o == 0 ? "delivered" : "shipped", 10m + (order % 9000) / 100m, name);
                for (var i = 0; i < ItemCount(order); i++)
                {
                    item++;
                    writer.Item(item, order, $"SKU-{item % 5000:D5}", 1 + (int)(item % 3), 1m + (item % 2000) / 100m);
                }
            }
            for (var l = 0; l < LoginCount(c); l++)
            {
                login++;
                writer.Login(login, id, Epoch.AddMinutes(c).AddHours(l + 1), $"10.{c % 256}.{l}.{login % 250}",
                    l % 2 == 0 ? "Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0" : null);
            }
        }
        return new RowCounts(Customers, address, order, item, login);
    }

    private async Task<RowCounts> GenerateSqliteAsync()
    {
        SqliteConnection.ClearAllPools();
        var file = new SqliteConnectionStringBuilder(ConnectionString).DataSource;
        foreach (var suffix in new[] { "", "-wal", "-shm", "-journal" })
        {
            File.Delete(file + suffix);
        }
        await using var connection = new SqliteConnection(ConnectionString + ";Pooling=False");
        await connection.OpenAsync();
        // No journal and no syncs while loading a file nobody else has open: a crash leaves no marker, so it is rebuilt.
        Execute(connection, "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; PRAGMA cache_size=-500000;");
        Execute(connection, Schema(postgres: false));
        RowCounts counts;
        using (var transaction = connection.BeginTransaction())
        {
            using var writer = new SqliteRowWriter(connection, transaction);
            counts = Generate(writer);
            transaction.Commit();
        }
        Execute(connection, Indexes);
        Execute(connection, "ANALYZE;");
        Execute(connection, MarkerSql);
        // The application's usual setting: readers go on while an erasure writes.
        Execute(connection, "PRAGMA journal_mode=WAL;");
        return counts;
    }

    private sealed class SqliteRowWriter : IRowWriter, IDisposable
    {
        private readonly SqliteCommand customers, addresses, orders, items, logins;

        public SqliteRowWriter(SqliteConnection connection, SqliteTransaction transaction)
        {
            SqliteCommand Prepare(string table, int columns)
            {
                var command = connection.CreateCommand();
                command.Transaction = transaction;
                command.CommandText = $"INSERT INTO {table} VALUES ({string.Join(", ", Enumerable.Range(0, columns).Select(i => "$" + i))})";
                for (var i = 0; i < columns; i++)
                {
                    command.Parameters.Add(new SqliteParameter("$" + i, null));
                }
                command.Prepare();
                return command;
            }
            customers = Prepare("customers", 5);
            addresses = Prepare("addresses", 6);
            orders = Prepare("orders", 6);
            items = Prepare("order_items", 5);
            logins = Prepare("logins", 5);
        }

        private static void Run(SqliteCommand command, params object?[] values)
        {
            for (var i = 0; i < values.Length; i++)
            {
                command.Parameters[i].Value = values[i] switch
                {
                    null => DBNull.Value,
                    DateTime d => d.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture),
                    decimal m => (double)m,
                    var v => v,
                };
            }
            command.ExecuteNonQuery();
        }

        public void Customer(long id, string email, string name, string? phone, DateTime createdAt) => Run(customers, id, email, name, phone, createdAt);

        public void Address(long id, long customerId, string street, string city, string? postalCode, string country) =>
            Run(addresses, id, customerId, street, city, postalCode, country);

        public void Order(long id, long customerId, DateTime placedAt, string status, decimal total, string recipientName) =>
            Run(orders, id, customerId, placedAt, status, total, recipientName);

        public void Item(long id, long orderId, string sku, int quantity, decimal unitPrice) => Run(items, id, orderId, sku, quantity, unitPrice);

        public void Login(long id, long customerId, DateTime loggedInAt, string? ip, string? userAgent) => Run(logins, id, customerId, loggedInAt, ip, userAgent);

        public void Dispose()
        {
            foreach (var command in new[] { customers, addresses, orders, items, logins })
            {
                command.Dispose();
            }
        }
    }

    private async Task<RowCounts> GeneratePostgresAsync()
    {
        NpgsqlConnection.ClearAllPools();
        var name = new NpgsqlConnectionStringBuilder(ConnectionString).Database!;
        await using (var admin = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(ConnectionString) { Database = "postgres" }.ConnectionString))
        {
            await admin.OpenAsync();
            Execute(admin, $"DROP DATABASE IF EXISTS {name} WITH (FORCE)");
            Execute(admin, $"CREATE DATABASE {name}");
        }
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        Execute(connection, Schema(postgres: true));
        RowCounts counts;
        using (var writer = new PostgresRowWriter(connection))
        {
            counts = Generate(writer);
            writer.Complete();
        }
        Execute(connection, "SET maintenance_work_mem = '512MB'; " +
            "ALTER TABLE customers ADD PRIMARY KEY (id); ALTER TABLE addresses ADD PRIMARY KEY (id); ALTER TABLE orders ADD PRIMARY KEY (id); " +
            "ALTER TABLE order_items ADD PRIMARY KEY (id); ALTER TABLE logins ADD PRIMARY KEY (id); " + Indexes);
        // Sets hint bits and the visibility map now, so the first reads of the benchmark do not write.
        Execute(connection, "VACUUM ANALYZE;");
        Execute(connection, MarkerSql);
        return counts;
    }

    /// <summary>One binary COPY per table, all five open at once on their own connections (a connection carries one COPY).</summary>
    private sealed class PostgresRowWriter : IRowWriter, IDisposable
    {
        private readonly List<NpgsqlConnection> connections = [];
        private readonly NpgsqlBinaryImporter customers, addresses, orders, items, logins;

        public PostgresRowWriter(NpgsqlConnection first)
        {
            NpgsqlBinaryImporter Begin(string table)
            {
                var connection = first.CloneWith(first.ConnectionString);
                connection.Open();
                connections.Add(connection);
                return connection.BeginBinaryImport($"COPY {table} FROM STDIN (FORMAT BINARY)");
            }
            customers = Begin("customers");
            addresses = Begin("addresses");
            orders = Begin("orders");
            items = Begin("order_items");
            logins = Begin("logins");
        }

        private static void Text(NpgsqlBinaryImporter copy, string? value)
        {
            if (value is null)
            {
                copy.WriteNull();
            }
            else
            {
                copy.Write(value, NpgsqlDbType.Varchar);
            }
        }

        public void Customer(long id, string email, string name, string? phone, DateTime createdAt)
        {
            customers.StartRow();
            customers.Write(id, NpgsqlDbType.Bigint);
            Text(customers, email);
            Text(customers, name);
            Text(customers, phone);
            customers.Write(createdAt, NpgsqlDbType.Timestamp);
        }

        public void Address(long id, long customerId, string street, string city, string? postalCode, string country)
        {
            addresses.StartRow();
            addresses.Write(id, NpgsqlDbType.Bigint);
            addresses.Write(customerId, NpgsqlDbType.Bigint);
            Text(addresses, street);
            Text(addresses, city);
            Text(addresses, postalCode);
            Text(addresses, country);
        }

        public void Order(long id, long customerId, DateTime placedAt, string status, decimal total, string recipientName)
        {
            orders.StartRow();
            orders.Write(id, NpgsqlDbType.Bigint);
            orders.Write(customerId, NpgsqlDbType.Bigint);
            orders.Write(placedAt, NpgsqlDbType.Timestamp);
            Text(orders, status);
            orders.Write(total, NpgsqlDbType.Numeric);
            Text(orders, recipientName);
        }

        public void Item(long id, long orderId, string sku, int quantity, decimal unitPrice)
        {
            items.StartRow();
            items.Write(id, NpgsqlDbType.Bigint);
            items.Write(orderId, NpgsqlDbType.Bigint);
            Text(items, sku);
            items.Write(quantity, NpgsqlDbType.Integer);
            items.Write(unitPrice, NpgsqlDbType.Numeric);
        }

        public void Login(long id, long customerId, DateTime loggedInAt, string? ip, string? userAgent)
        {
            logins.StartRow();
            logins.Write(id, NpgsqlDbType.Bigint);
            logins.Write(customerId, NpgsqlDbType.Bigint);
            logins.Write(loggedInAt, NpgsqlDbType.Timestamp);
            Text(logins, ip);
            Text(logins, userAgent);
        }

        public void Complete()
        {
            foreach (var copy in new[] { customers, addresses, orders, items, logins })
            {
                copy.Complete();
            }
        }

        public void Dispose()
        {
            foreach (var copy in new[] { customers, addresses, orders, items, logins })
            {
                copy.Dispose();
            }
            foreach (var connection in connections)
            {
                connection.Dispose();
            }
        }
    }

    private static void Execute(DbConnection connection, string sql, DbTransaction? transaction = null)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        command.CommandTimeout = 0;
        command.ExecuteNonQuery();
    }
}
