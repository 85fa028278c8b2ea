using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Dataward.Connections;
using Dataward.Platform.Security;
using Dataward.Platform.Storage;
using Dataward.Tests.Connectors;
using Dataward.Tests.Datasets;
using Dataward.Tests.Platform;
using Microsoft.EntityFrameworkCore;

namespace Dataward.Tests.Connections;

public sealed class ConnectionTests_Sqlite() : ConnectionTests(StorageProvider.Sqlite);

public sealed class ConnectionTests_Postgres() : ConnectionTests(StorageProvider.Postgres);

/// <summary>Connecting the organisation's databases: secrets encrypted and never shown, a test that compares the
/// database with its datasets, bad input refused.</summary>
public abstract class ConnectionTests(StorageProvider provider) : AppTest(provider)
{
    public static async Task<(HttpClient Dpo, FidesExampleDatabase Shop)> ConnectShopAsync(TestApp app, StorageProvider provider)
    {
        var dpo = await app.ClientWithRoleAsync(StaffRoles.DataProtectionOfficer);
        var imported = await dpo.PostAsync("/api/datasets", new StringContent(FidesDatasetTests.Fixture("postgres_example_test_dataset.yml"),
            System.Text.Encoding.UTF8, "application/yaml"));
        imported.IsSuccessStatusCode.ShouldBeTrue(await imported.Content.ReadAsStringAsync());
        var shop = await FidesExampleDatabase.CreateAsync(provider);
        var saved = await dpo.PostAsJsonAsync("/api/connections", new
        {
            key = "shop",
            kind = provider == StorageProvider.Postgres ? "postgres" : "sqlite",
            connectionString = shop.ConnectionString,
            datasets = new[] { FidesExampleDatabase.DatasetKey },
        });
        saved.StatusCode.ShouldBe(HttpStatusCode.Created, await saved.Content.ReadAsStringAsync());
        return (dpo, shop);
    }

    [Fact]
    public async Task A_connection_keeps_its_secret_encrypted_never_shows_it_and_its_test_compares_the_database_with_its_datasets()
    {
        var (dpo, shop) = await ConnectShopAsync(App, Provider);
        await using var _ = shop;
        var listed = await dpo.GetStringAsync("/api/connections");
        listed.ShouldContain("\"shop\"");
        listed.ShouldNotContain(shop.ConnectionString.Split(';')[0], Case.Insensitive);
        var stored = await App.WithDbAsync(db => db.Set<ConnectionRecord>().SingleAsync());
        stored.ConnectionStringEncrypted.ShouldNotContain(shop.ConnectionString.Split(';')[0]);
        (await App.WithDbAsync(db => db.AuditEntries.Select(e => e.Details).ToListAsync())).ShouldAllBe(d => d == null || !d.Contains("Password"));

        var test = await dpo.PostAsync("/api/connections/shop/test", null);
        test.StatusCode.ShouldBe(HttpStatusCode.OK, await test.Content.ReadAsStringAsync());
        var result = await test.Content.ReadFromJsonAsync<JsonElement>();
        result.GetProperty("succeeded").GetBoolean().ShouldBeTrue(result.ToString());

        await shop.ExecuteAsync("DROP TABLE visit");
        var broken = await (await dpo.PostAsync("/api/connections/shop/test", null)).Content.ReadFromJsonAsync<JsonElement>();
        broken.GetProperty("succeeded").GetBoolean().ShouldBeFalse();
        broken.GetProperty("problems").EnumerateArray().Select(p => p.GetString()).ShouldContain($"{FidesExampleDatabase.DatasetKey}.visit: no such table");
    }

    [Fact]
    public async Task A_database_that_cannot_be_reached_fails_its_test_with_a_readable_message_and_no_secret()
    {
        var dpo = await App.ClientWithRoleAsync(StaffRoles.DataProtectionOfficer);
        (await dpo.PostAsJsonAsync("/api/connections", new { key = "gone", kind = "postgres", connectionString = "Host=127.0.0.1;Port=1;Database=x;Username=u;Password=sekrit;Timeout=2" }))
            .StatusCode.ShouldBe(HttpStatusCode.Created);
        var result = await (await dpo.PostAsync("/api/connections/gone/test", null)).Content.ReadFromJsonAsync<JsonElement>();
        result.GetProperty("succeeded").GetBoolean().ShouldBeFalse();
        result.GetProperty("error").GetString().ShouldNotBeNullOrEmpty();
        result.ToString().ShouldNotContain("sekrit");
    }

    [Fact]
    public async Task Requests_keep_the_connection_open_and_see_a_changed_database_once_the_connection_is_tested()
    {
        var (dpo, shop) = await ConnectShopAsync(App, Provider);
        await using var _ = shop;
        var created = await dpo.PostAsJsonAsync("/api/requests", new
        {
            type = "access",
            identities = new { email = "customer-1@example.com" },
            channel = "email",
            identityChecked = "Reply from the address on the account",
        });
        created.StatusCode.ShouldBe(HttpStatusCode.Created, await created.Content.ReadAsStringAsync());
        var id = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
        async Task<JsonElement> PlanAsync() => await (await dpo.GetAsync($"/api/requests/{id}/plan")).Content.ReadFromJsonAsync<JsonElement>();
        (await PlanAsync()).GetProperty("mismatches").GetArrayLength().ShouldBe(0);
        (await PlanAsync()).GetProperty("mismatches").GetArrayLength().ShouldBe(0, "a second request on the open store");

        await shop.ExecuteAsync("DROP TABLE visit");
        (await dpo.PostAsync("/api/connections/shop/test", null)).StatusCode.ShouldBe(HttpStatusCode.OK);

        var plan = await PlanAsync();
        plan.GetProperty("mismatches").EnumerateArray().Select(m => m.GetString()).ShouldContain(m => m!.Contains("no table 'visit'"), plan.ToString());
    }

    [Theory]
    [InlineData("{\"key\":\"Bad Key\",\"kind\":\"sqlite\",\"connectionString\":\"Data Source=x.db\"}", "key")]
    [InlineData("{\"key\":\"shop\",\"kind\":\"oracle\",\"connectionString\":\"Data Source=x.db\"}", "kind")]
    [InlineData("{\"key\":\"shop\",\"kind\":\"postgres\",\"connectionString\":\"Nonsense=1;;==\"}", "connectionString")]
    [InlineData("{\"key\":\"shop\",\"kind\":\"sqlite\",\"connectionString\":\"Data Source=x.db\",\"datasets\":[\"missing\"]}", "datasets")]
    public async Task Bad_connections_are_refused_naming_the_field(string body, string field)
    {
        var dpo = await App.ClientWithRoleAsync(StaffRoles.DataProtectionOfficer);
        var response = await dpo.PostAsync("/api/connections", new StringContent(body, System.Text.Encoding.UTF8, "application/json"));
        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors").TryGetProperty(field, out _).ShouldBeTrue(await response.Content.ReadAsStringAsync());
        var staff = await App.ClientWithRoleAsync(StaffRoles.Staff);
        (await staff.PostAsync("/api/connections", new StringContent(body, System.Text.Encoding.UTF8, "application/json"))).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
    }
}
