using System.Data.Common;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using Dataward.Platform.Storage;
using Dataward.Tests.Platform;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Dataward.Tests.Sharing;

/// <summary>A small CRM in its own database (SQLite or PostgreSQL), described by the dataset <c>crm</c>: twelve people
/// with e-mail, name, country, date of birth, UK postcode, age, free-text notes and a creation time. Chosen so the
/// §4.1 rules all show: a sparse outward code (EC1A), an invalid postcode, an age over 90, mixed-case e-mail.</summary>
public sealed class CrmDatabase : IAsyncDisposable
{
    private readonly TestDatabase database;

    private CrmDatabase(TestDatabase database) => this.database = database;

    public const string Dataset = """
        dataset:
          - fides_key: crm
            name: CRM
            collections:
              - name: users
                fields:
                  - name: id
                    data_categories: [user.unique_id]
                    fides_meta:
                      primary_key: true
                  - name: email
                    data_categories: [user.contact.email]
                    fides_meta:
                      identity: email
                  - name: name
                    data_categories: [user.name]
                  - name: country
                    data_categories: [user.contact.address.country]
                  - name: birth_date
                    data_categories: [user.demographic.date_of_birth]
                  - name: postcode
                    data_categories: [user.contact.address.postal_code]
                  - name: age
                    data_categories: [user.demographic.age_range]
                  - name: notes
                    data_categories: [user.content.private]
                  - name: created
                    data_categories: [system.operations]
        """;

    /// <summary>(id, email, name, country, birth_date, postcode, age, notes, created)</summary>
    public static readonly IReadOnlyList<(int Id, string Email, string Name, string Country, string BirthDate, string Postcode, int Age, string Notes, string Created)> People =
    [
        (1, "Ann@Example.org", "Ann Smith", "GB", "1984-03-02", "SW1A 1AA", 41, "Calls about her cat", "2021-07-14 10:00:00"),
        (2, "bob@example.org", "Bob Jones", "GB", "1984-05-06", "sw1a2aa", 41, "Prefers letters", "2021-07-20 11:00:00"),
        (3, "cat@example.org", "Cat Brown", "GB", "1984-01-01", "SW1A 0AA", 42, "", "2021-08-01 09:30:00"),
        (4, "dan@example.org", "Dan White", "GB", "1984-12-31", "SW1A 1AB", 40, "VIP", "2022-01-05 08:00:00"),
        (5, "eve@example.org", "Eve Black", "GB", "1984-07-07", "SW1A 2AB", 41, "", "2022-02-10 12:00:00"),
        (6, "fay@example.org", "Fay Green", "GB", "1984-08-08", "SW1A 1BB", 41, "", "2022-03-15 13:00:00"),
        (7, "gus@example.org", "Gus Grey", "IE", "1984-09-09", "NOT A CODE", 41, "Moved to Dublin", "2022-04-20 14:00:00"),
        (8, "hal@example.org", "Hal Stone", "GB", "1990-01-01", "M1 1AE", 35, "", "2023-05-01 15:00:00"),
        (9, "ivy@example.org", "Ivy Wood", "GB", "1990-02-02", "M1 2AB", 35, "", "2023-06-01 16:00:00"),
        (10, "jon@example.org", "Jon Hill", "GB", "1990-03-03", "m11ae", 36, "", "2023-07-01 17:00:00"),
        (11, "kit@example.org", "Kit Lane", "GB", "1990-04-04", "M1 3BB", 36, "", "2023-08-01 18:00:00"),
        (12, "liz@example.org", "Liz Ford", "GB", "1990-05-05", "EC1A 1BB", 93, "Hard of hearing", "2023-09-01 19:00:00"),
    ];

    public StorageProvider Provider => database.Provider;

    public string ConnectionString => database.ConnectionString;

    public static async Task<CrmDatabase> CreateAsync(StorageProvider provider)
    {
        var crm = new CrmDatabase(await TestDatabases.CreateAsync(provider));
        if (provider == StorageProvider.Sqlite)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(new SqliteConnectionStringBuilder(crm.ConnectionString).DataSource)!);
        }
        var sql = new StringBuilder("""
            CREATE TABLE users (id INTEGER PRIMARY KEY, email VARCHAR(200) NOT NULL, name VARCHAR(200), country VARCHAR(2), birth_date DATE,
              postcode VARCHAR(12), age INTEGER, notes TEXT, created TIMESTAMP);
            """);
        foreach (var p in People)
        {
            sql.Append(CultureInfo.InvariantCulture, $"INSERT INTO users VALUES ({p.Id}, '{p.Email}', '{p.Name}', '{p.Country}', '{p.BirthDate}', '{p.Postcode}', {p.Age}, '{p.Notes}', '{p.Created}');\n");
        }
        await crm.ExecuteAsync(sql.ToString());
        return crm;
    }

    public async Task ExecuteAsync(string sql)
    {
        await using var connection = await OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>Every table and every cell, as text: proof that an export changed nothing in the connected database.</summary>
    public async Task<string> DumpAsync()
    {
        await using var connection = await OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = Provider == StorageProvider.Postgres
            ? "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name"
            : "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name";
        var tables = new List<string>();
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                tables.Add(reader.GetString(0));
            }
        }
        var dump = new StringBuilder();
        foreach (var table in tables)
        {
            await using var select = connection.CreateCommand();
            select.CommandText = $"SELECT * FROM \"{table}\" ORDER BY 1";
            await using var reader = await select.ExecuteReaderAsync();
            dump.AppendLine(table);
            while (await reader.ReadAsync())
            {
                dump.AppendLine(string.Join("|", Enumerable.Range(0, reader.FieldCount).Select(i => Convert.ToString(reader.GetValue(i), CultureInfo.InvariantCulture))));
            }
        }
        return dump.ToString();
    }

    /// <summary>Imports the <c>crm</c> dataset and connects this database as <c>crm-db</c>, through the API.</summary>
    public async Task ConnectAsync(HttpClient dpo)
    {
        var imported = await dpo.PostAsync("/api/datasets", new StringContent(Dataset, Encoding.UTF8, "application/yaml"));
        imported.IsSuccessStatusCode.ShouldBeTrue(await imported.Content.ReadAsStringAsync());
        var saved = await dpo.PostAsJsonAsync("/api/connections", new
        {
            key = "crm-db",
            kind = Provider == StorageProvider.Postgres ? "postgres" : "sqlite",
            connectionString = ConnectionString,
            datasets = new[] { "crm" },
        });
        saved.StatusCode.ShouldBe(HttpStatusCode.Created, await saved.Content.ReadAsStringAsync());
    }

    private async Task<DbConnection> OpenAsync()
    {
        DbConnection connection = Provider == StorageProvider.Postgres ? new NpgsqlConnection(ConnectionString) : new SqliteConnection(ConnectionString);
        await connection.OpenAsync();
        return connection;
    }

    public ValueTask DisposeAsync() => database.DisposeAsync();
}
