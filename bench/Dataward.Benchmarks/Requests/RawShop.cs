using System.Data.Common;
using System.Security.Cryptography;
using Dataward.Platform.Storage;
using Microsoft.Data.Sqlite;
using Npgsql;
using NpgsqlTypes;

namespace Dataward.Benchmarks.Requests;

/// <summary>The baseline: the indexed queries the plan needs, written by hand against the shop's schema, prepared once on
/// a connection held open. An access reads the same rows and columns as the engine (customer by e-mail; addresses,
/// orders and logins by customer; items by order); an erasure finds the keys of the rows it changes, then per table, in
/// the engine's order and in one transaction each, writes the values the default policy gives: null where the column
/// allows it (one statement per table), random text where it does not (one prepared UPDATE per row, as the values
/// differ).</summary>
internal sealed class RawShop : IAsyncDisposable
{
    private const string Alphabet = "abcdefghijklmnopqrstuvwxyz0123456789";

    private readonly DbConnection connection;
    private readonly bool postgres;
    private readonly DbCommand customerByEmail, addressesByCustomer, ordersByCustomer, loginsByCustomer;
    private readonly DbCommand customerIdByEmail, addressIds, orderIds, loginIds;
    private readonly DbCommand maskCustomer, maskAddress, maskOrder;
    private readonly Dictionary<(string, int), DbCommand> lists = [];

    private RawShop(DbConnection connection, bool postgres)
    {
        this.connection = connection;
        this.postgres = postgres;
        customerByEmail = Prepare("SELECT id, email, name, phone, created_at FROM customers WHERE email = @v", ("v", "text"));
        addressesByCustomer = Prepare("SELECT id, customer_id, street, city, postal_code, country FROM addresses WHERE customer_id = @v", ("v", "long"));
        ordersByCustomer = Prepare("SELECT id, customer_id, placed_at, status, total, recipient_name FROM orders WHERE customer_id = @v", ("v", "long"));
        loginsByCustomer = Prepare("SELECT id, customer_id, logged_in_at, ip_address, user_agent FROM logins WHERE customer_id = @v", ("v", "long"));
        customerIdByEmail = Prepare("SELECT id FROM customers WHERE email = @v", ("v", "text"));
        addressIds = Prepare("SELECT id FROM addresses WHERE customer_id = @v", ("v", "long"));
        orderIds = Prepare("SELECT id FROM orders WHERE customer_id = @v", ("v", "long"));
        loginIds = Prepare("SELECT id FROM logins WHERE customer_id = @v", ("v", "long"));
        maskCustomer = Prepare("UPDATE customers SET email = @a, name = @b, phone = NULL WHERE id = @k", ("a", "text"), ("b", "text"), ("k", "long"));
        maskAddress = Prepare("UPDATE addresses SET street = @a, city = @b, postal_code = NULL, country = @c WHERE id = @k",
            ("a", "text"), ("b", "text"), ("c", "text"), ("k", "long"));
        maskOrder = Prepare("UPDATE orders SET recipient_name = @a WHERE id = @k", ("a", "text"), ("k", "long"));
    }

    public static async Task<RawShop> OpenAsync(ShopDatabase database)
    {
        var connection = database.Open();
        await connection.OpenAsync();
        return new RawShop(connection, database.Provider == StorageProvider.Postgres);
    }

    /// <summary>Everything the engine returns for the customer: rows per table, values read with typed getters.</summary>
    public async Task<Dictionary<string, List<object?[]>>> AccessAsync(string email)
    {
        var result = new Dictionary<string, List<object?[]>>(StringComparer.Ordinal);
        customerByEmail.Parameters[0].Value = email;
        var customers = result["customers"] = await ReadAsync(customerByEmail, null, "vvvvT");
        foreach (var table in new[] { "addresses", "orders", "order_items", "logins" })
        {
            result[table] = [];
        }
        foreach (var customer in customers)
        {
            var id = (long)customer[0]!;
            addressesByCustomer.Parameters[0].Value = id;
            result["addresses"].AddRange(await ReadAsync(addressesByCustomer, null, "vvvvvv"));
            ordersByCustomer.Parameters[0].Value = id;
            result["orders"].AddRange(await ReadAsync(ordersByCustomer, null, "vvTvDv"));
            loginsByCustomer.Parameters[0].Value = id;
            result["logins"].AddRange(await ReadAsync(loginsByCustomer, null, "vvTvv"));
        }
        if (result["orders"].Count > 0)
        {
            var items = List("SELECT id, order_id, sku, quantity, unit_price FROM order_items WHERE order_id {in}", result["orders"].Count);
            result["order_items"] = await ReadAsync(items, [.. result["orders"].Select(o => (long)o[0]!)], "vvvvD");
        }
        return result;
    }

    /// <summary>Masks what the default policy masks for the customer; returns the rows changed per table.</summary>
    public async Task<Dictionary<string, int>> EraseAsync(string email)
    {
        customerIdByEmail.Parameters[0].Value = email;
        var customers = (await ReadAsync(customerIdByEmail, null)).Select(r => (long)r[0]!).ToList();
        var addresses = new List<long>();
        var orders = new List<long>();
        var logins = new List<long>();
        foreach (var customer in customers)
        {
            addressIds.Parameters[0].Value = orderIds.Parameters[0].Value = loginIds.Parameters[0].Value = customer;
            addresses.AddRange((await ReadAsync(addressIds, null)).Select(r => (long)r[0]!));
            orders.AddRange((await ReadAsync(orderIds, null)).Select(r => (long)r[0]!));
            logins.AddRange((await ReadAsync(loginIds, null)).Select(r => (long)r[0]!));
        }
        var changed = new Dictionary<string, int>(StringComparer.Ordinal);
        if (logins.Count > 0)
        {
            await using var transaction = await connection.BeginTransactionAsync();
            var clear = List("UPDATE logins SET ip_address = NULL, user_agent = NULL WHERE id {in}", logins.Count);
            changed["logins"] = await ExecuteAsync(clear, transaction, [.. logins]);
            await transaction.CommitAsync();
        }
        if (orders.Count > 0)
        {
            await using var transaction = await connection.BeginTransactionAsync();
            var rows = 0;
            foreach (var order in orders)
            {
                maskOrder.Parameters[0].Value = Random(30);
                maskOrder.Parameters[1].Value = order;
                maskOrder.Transaction = transaction;
                rows += await maskOrder.ExecuteNonQueryAsync();
            }
            await transaction.CommitAsync();
            changed["orders"] = rows;
        }
        if (addresses.Count > 0)
        {
            await using var transaction = await connection.BeginTransactionAsync();
            var rows = 0;
            foreach (var address in addresses)
            {
                maskAddress.Parameters[0].Value = Random(30);
                maskAddress.Parameters[1].Value = Random(30);
                maskAddress.Parameters[2].Value = Random(2);
                maskAddress.Parameters[3].Value = address;
                maskAddress.Transaction = transaction;
                rows += await maskAddress.ExecuteNonQueryAsync();
            }
            await transaction.CommitAsync();
            changed["addresses"] = rows;
        }
        if (customers.Count > 0)
        {
            await using var transaction = await connection.BeginTransactionAsync();
            var rows = 0;
            foreach (var customer in customers)
            {
                maskCustomer.Parameters[0].Value = Random(30);
                maskCustomer.Parameters[1].Value = Random(30);
                maskCustomer.Parameters[2].Value = customer;
                maskCustomer.Transaction = transaction;
                rows += await maskCustomer.ExecuteNonQueryAsync();
            }
            await transaction.CommitAsync();
            changed["customers"] = rows;
        }
        return changed;
    }

    private static string Random(int length) => RandomNumberGenerator.GetString(Alphabet, length);

    private DbCommand Prepare(string sql, params (string Name, string Type)[] parameters)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, type) in parameters)
        {
            command.Parameters.Add(postgres
                ? new NpgsqlParameter(name, type == "long" ? NpgsqlDbType.Bigint : NpgsqlDbType.Varchar)
                : new SqliteParameter("@" + name, type == "long" ? SqliteType.Integer : SqliteType.Text));
        }
        command.Prepare();
        return command;
    }

    /// <summary>A statement over a list of keys: one array parameter on PostgreSQL; on SQLite one prepared statement per
    /// list length (<c>IN (@k0, @k1, ...)</c>), kept.</summary>
    private DbCommand List(string template, int count)
    {
        var key = (template, postgres ? 0 : count);
        if (lists.TryGetValue(key, out var command))
        {
            return command;
        }
        command = connection.CreateCommand();
        if (postgres)
        {
            command.CommandText = template.Replace("{in}", "= ANY(@k)", StringComparison.Ordinal);
            command.Parameters.Add(new NpgsqlParameter("k", NpgsqlDbType.Array | NpgsqlDbType.Bigint));
        }
        else
        {
            command.CommandText = template.Replace("{in}", $"IN ({string.Join(", ", Enumerable.Range(0, count).Select(i => "@k" + i))})", StringComparison.Ordinal);
            for (var i = 0; i < count; i++)
            {
                command.Parameters.Add(new SqliteParameter("@k" + i, SqliteType.Integer));
            }
        }
        command.Prepare();
        lists[key] = command;
        return command;
    }

    private void BindList(DbCommand command, long[] keys)
    {
        if (postgres)
        {
            command.Parameters[0].Value = keys;
            return;
        }
        for (var i = 0; i < keys.Length; i++)
        {
            command.Parameters[i].Value = keys[i];
        }
    }

    private async Task<int> ExecuteAsync(DbCommand command, DbTransaction transaction, long[] keys)
    {
        BindList(command, keys);
        command.Transaction = transaction;
        return await command.ExecuteNonQueryAsync();
    }

    private async Task<List<object?[]>> ReadAsync(DbCommand command, long[]? keys, string kinds = "v")
    {
        if (keys is not null)
        {
            BindList(command, keys);
        }
        command.Transaction = null;
        var rows = new List<object?[]>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            var row = new object?[reader.FieldCount];
            for (var i = 0; i < row.Length; i++)
            {
                row[i] = reader.IsDBNull(i) ? null : Read(reader, i, kinds);
            }
            rows.Add(row);
        }
        return rows;
    }

    // Typed as a hand-written reader would take them (SQLite keeps timestamps as text and numerics as reals): the
    // statement's column kinds, T for a timestamp and D for a decimal.
    private static object Read(DbDataReader reader, int ordinal, string kinds) => kinds[ordinal] switch
    {
        'T' => reader.GetDateTime(ordinal),
        'D' => reader.GetDecimal(ordinal),
        _ => reader.GetValue(ordinal),
    };

    public async ValueTask DisposeAsync()
    {
        foreach (var command in new[] { customerByEmail, addressesByCustomer, ordersByCustomer, loginsByCustomer, customerIdByEmail, addressIds, orderIds,
                     loginIds, maskCustomer, maskAddress, maskOrder }.Concat(lists.Values))
        {
            await command.DisposeAsync();
        }
        await connection.DisposeAsync();
    }
}
