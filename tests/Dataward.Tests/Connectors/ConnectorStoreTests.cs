using Dataward.Connectors.Stores;
using Dataward.Platform.Storage;

namespace Dataward.Tests.Connectors;

/// <summary>Stores are kept open between requests (with their connections, prepared statements and described schema):
/// what they read must still be what is committed, and a changed database is seen once the schema is described again.</summary>
public sealed class ConnectorStoreTests
{
    public static TheoryData<StorageProvider> Providers => new() { StorageProvider.Sqlite, StorageProvider.Postgres };

    private static readonly IReadOnlyList<string> NameById = ["id", "name"];

    [Theory]
    [MemberData(nameof(Providers))]
    public async Task A_store_kept_open_reads_what_others_committed_since_and_others_read_what_it_changed(StorageProvider provider)
    {
        await using var db = await FidesExampleDatabase.CreateAsync(provider);
        var byId = new[] { KeyFilter.Of("id", [1L]) };
        (await db.Store.SelectAsync("customer", NameById, byId)).Single()["name"].ShouldBe("John Customer");

        await db.ExecuteAsync("UPDATE customer SET name = 'Renamed Elsewhere' WHERE id = 1");
        (await db.Store.SelectAsync("customer", NameById, byId)).Single()["name"].ShouldBe("Renamed Elsewhere");

        (await db.Store.UpdateAsync("customer", ["id"], [new RowUpdate([1L], new Dictionary<string, object?> { ["name"] = "Renamed By The Store" })])).ShouldBe(1);
        (await db.DumpAsync())["customer[1].name"].ShouldBe("Renamed By The Store");
        (await db.Store.SelectAsync("customer", NameById, byId)).Single()["name"].ShouldBe("Renamed By The Store");

        await db.ExecuteAsync("DELETE FROM visit");
        (await db.Store.CountAsync("visit", [KeyFilter.Of("email", ["customer-1@example.com"])])).ShouldBe(0);
    }

    [Theory]
    [MemberData(nameof(Providers))]
    public async Task Several_rows_masked_with_values_of_their_own_change_together_in_one_transaction(StorageProvider provider)
    {
        await using var db = await FidesExampleDatabase.CreateAsync(provider);
        var changed = await db.Store.UpdateAsync("customer", ["id"], [
            new RowUpdate([1L], new Dictionary<string, object?> { ["name"] = "first" }),
            new RowUpdate([2L], new Dictionary<string, object?> { ["name"] = "second" }),
            new RowUpdate([3L], new Dictionary<string, object?> { ["name"] = null }),
        ]);

        changed.ShouldBe(3);
        var dump = await db.DumpAsync();
        dump["customer[1].name"].ShouldBe("first");
        dump["customer[2].name"].ShouldBe("second");
        dump["customer[3].name"].ShouldBe("null");
    }

    [Theory]
    [MemberData(nameof(Providers))]
    public async Task MIN004_a_long_list_of_integer_or_text_keys_changes_and_deletes_exactly_the_rows_it_names(StorageProvider provider)
    {
        // Past 64 keys the SQLite store binds the list as one JSON array (json_each), PostgreSQL as one array parameter.
        await using var db = await FidesExampleDatabase.CreateAsync(provider);
        var ids = string.Join(", ", Enumerable.Range(1, 300).Select(i => $"({i}, 'n{i}')"));
        var codes = string.Join(", ", Enumerable.Range(1, 300).Select(i => $"('k\u00e9''{i}', 'n{i}')"));
        await db.ExecuteAsync($"CREATE TABLE numbered (id INTEGER PRIMARY KEY, name VARCHAR(20)); INSERT INTO numbered VALUES {ids};");
        await db.ExecuteAsync($"CREATE TABLE coded (code VARCHAR(20) PRIMARY KEY, name VARCHAR(20)); INSERT INTO coded VALUES {codes};");
        await using SqlStore store = provider == StorageProvider.Postgres ? new PostgresStore(db.ConnectionString) : new SqliteStore(db.ConnectionString);

        var even = Enumerable.Range(1, 150).Select(i => (IReadOnlyList<object?>)[(long)(2 * i)]).Append([9999L]).ToList();
        (await store.DeleteAsync("numbered", ["id"], even)).ShouldBe(150, "the key that names no row deletes nothing");
        var nulled = Enumerable.Range(0, 100).Select(i => new RowUpdate([(long)(2 * i + 1)], new Dictionary<string, object?> { ["name"] = null })).ToList();
        (await store.UpdateAsync("numbered", ["id"], nulled)).ShouldBe(100);
        var left = await store.SelectAsync("numbered", ["id", "name"], [KeyFilter.Of("id", Enumerable.Range(1, 300).Select(i => (object?)(long)i))]);
        left.Select(r => (long)r["id"]!).Order().ShouldBe(Enumerable.Range(0, 150).Select(i => 2L * i + 1));
        left.Where(r => r["name"] is null).Select(r => (long)r["id"]!).Order().ShouldBe(Enumerable.Range(0, 100).Select(i => 2L * i + 1));

        var codesGone = Enumerable.Range(1, 100).Select(i => (IReadOnlyList<object?>)[$"k\u00e9'{i}"]).ToList();
        (await store.DeleteAsync("coded", ["code"], codesGone)).ShouldBe(100);
        var renamed = Enumerable.Range(101, 100).Select(i => new RowUpdate([$"k\u00e9'{i}"], new Dictionary<string, object?> { ["name"] = "x" })).ToList();
        (await store.UpdateAsync("coded", ["code"], renamed)).ShouldBe(100);
        var coded = await store.SelectAsync("coded", ["code", "name"], [KeyFilter.Of("code", Enumerable.Range(1, 300).Select(i => (object?)$"k\u00e9'{i}"))]);
        coded.Count.ShouldBe(200);
        coded.Count(r => (string?)r["name"] == "x").ShouldBe(100);
        coded.ShouldNotContain(r => (string)r["code"]! == "k\u00e9'1");
    }

    [Theory]
    [MemberData(nameof(Providers))]
    public async Task MIN007_a_page_hands_back_no_value_below_its_settled_bound_where_values_are_typed(StorageProvider provider)
    {
        // PostgreSQL's timestamp column holds only timestamps, so rows far below the bound need not be read to be judged;
        // a SQLite column may hold any text, so SQLite hands back every value.
        await using var db = await FidesExampleDatabase.CreateAsync(provider);
        await db.ExecuteAsync("CREATE TABLE events (id BIGINT PRIMARY KEY, created TIMESTAMP); INSERT INTO events VALUES " +
            "(1, '2015-01-01 00:00:00'), (2, '2019-12-20 00:00:00'), (3, '2015-06-01 00:00:00'), (4, '2019-12-31 23:00:00'), (5, '2026-01-01 00:00:00')");
        await using SqlStore store = provider == StorageProvider.Postgres ? new PostgresStore(db.ConnectionString) : new SqliteStore(db.ConnectionString);
        await using var read = await store.ReadPageAsync("events", "id", null, 1000, new ColumnBound("created", new DateTime(2020, 1, 1)), "created",
            new ColumnBound("created", new DateTime(2019, 12, 1)));
        read.Count.ShouldBe(4);
        read.Last.ShouldBe(4);
        IReadOnlyList<object?> judged = [];
        await using (var change = await read.ChangeAsync(null, (_, values) =>
        {
            judged = values;
            return Task.FromResult(true);
        }))
        {
            change.Keys.ShouldBe([1L, 2L, 3L, 4L]);
            change.Values.ShouldBe(judged);
            change.Accepted.ShouldBeTrue();
            await change.CommitAsync();
        }
        if (provider == StorageProvider.Postgres)
        {
            judged.ShouldBe([PageValues.Settled, new DateTime(2019, 12, 20), PageValues.Settled, new DateTime(2019, 12, 31, 23, 0, 0)]);
        }
        else
        {
            judged.ShouldNotContain(PageValues.Settled);
            judged.Count.ShouldBe(4);
        }
        (await store.SelectPageAsync("events", ["id"], ["id"], null, 100)).Select(r => r["id"]).ShouldBe([5L], "the four rows read deleted, the fifth kept");
    }

    [Fact]
    public async Task MIN004_on_PostgreSQL_a_page_a_row_of_which_another_transaction_changed_after_it_was_read_is_refused_whole()
    {
        // A page is read, then changed by the same predicate in a repeatable-read transaction: a row another transaction
        // commits a change to in between must not be deleted on the strength of what was read, nor the page half applied.
        await using var db = await FidesExampleDatabase.CreateAsync(StorageProvider.Postgres);
        await db.ExecuteAsync("CREATE TABLE events (id BIGINT PRIMARY KEY, created TIMESTAMP); INSERT INTO events SELECT g, TIMESTAMP '2015-01-01' FROM generate_series(1, 100) g;");
        await using var store = new PostgresStore(db.ConnectionString);
        await using var other = new Npgsql.NpgsqlConnection(db.ConnectionString);
        await other.OpenAsync();
        await using var elsewhere = await other.BeginTransactionAsync();
        await using (var update = new Npgsql.NpgsqlCommand("UPDATE events SET created = TIMESTAMP '2026-01-01' WHERE id = 50", other, elsewhere))
        {
            (await update.ExecuteNonQueryAsync()).ShouldBe(1);
        }

        // The other transaction commits while the page's change runs (the check runs beside it), after the page was read.
        await using (var read = await store.ReadPageAsync("events", "id", null, 1000, new ColumnBound("created", new DateTime(2020, 1, 1)), "created"))
        await using (var page = await read.ChangeAsync(null, (_, _) =>
            {
                elsewhere.Commit();
                return Task.FromResult(true);
            }))
        {
            page.Keys.Count.ShouldBe(100, "the page as read, before the other transaction committed");
            page.Accepted.ShouldBeFalse();
        }

        await using var count = new Npgsql.NpgsqlCommand("SELECT count(*) FROM events", other);
        (await count.ExecuteScalarAsync()).ShouldBe(100L, "nothing deleted");
        await using (var read = await store.ReadPageAsync("events", "id", null, 1000, new ColumnBound("created", new DateTime(2020, 1, 1)), "created"))
        await using (var page = await read.ChangeAsync(null))
        {
            page.Keys.Count.ShouldBe(99, "read again, the changed row is no longer expired");
            page.Accepted.ShouldBeTrue();
            await page.CommitAsync();
        }
        (await count.ExecuteScalarAsync()).ShouldBe(1L);
    }

    [Theory]
    [MemberData(nameof(Providers))]
    public async Task A_described_schema_is_trusted_for_its_lifetime_then_read_again(StorageProvider provider)
    {
        await using var db = await FidesExampleDatabase.CreateAsync(provider);
        await using SqlStore forever = provider == StorageProvider.Postgres ? new PostgresStore(db.ConnectionString) : new SqliteStore(db.ConnectionString);
        await using SqlStore briefly = provider == StorageProvider.Postgres
            ? new PostgresStore(db.ConnectionString) { SchemaLifetime = TimeSpan.Zero }
            : new SqliteStore(db.ConnectionString) { SchemaLifetime = TimeSpan.Zero };
        (await forever.DescribeAsync()).Find("visit").ShouldNotBeNull();
        (await briefly.DescribeAsync()).Find("visit").ShouldNotBeNull();

        await db.ExecuteAsync("DROP TABLE visit");

        (await forever.DescribeAsync()).Find("visit").ShouldNotBeNull("described once, kept");
        (await briefly.DescribeAsync()).Find("visit").ShouldBeNull("its lifetime is over at once");
    }
}
