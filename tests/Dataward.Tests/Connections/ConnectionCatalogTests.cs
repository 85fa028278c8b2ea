using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Dataward.Connections;
using Dataward.Platform.Security;
using Dataward.Platform.Storage;
using Dataward.Tests.Connectors;
using Dataward.Tests.Datasets;
using Dataward.Tests.Platform;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Dataward.Tests.Connections;

public sealed class ConnectionCatalogTests_Sqlite() : ConnectionCatalogTests(StorageProvider.Sqlite);

public sealed class ConnectionCatalogTests_Postgres() : ConnectionCatalogTests(StorageProvider.Postgres);

/// <summary>Requests connect with the connections and datasets kept in memory: a change through this server is used by
/// the very next request, one made by another process within <c>Connections:CacheSeconds</c>.</summary>
public abstract class ConnectionCatalogTests(StorageProvider provider) : AppTest(provider)
{
    private static string Renamed => FidesDatasetTests.Fixture("postgres_example_test_dataset.yml")
        .Replace("          - name: house\n", "          - name: house_number\n", StringComparison.Ordinal);

    private string Kind => Provider == StorageProvider.Postgres ? "postgres" : "sqlite";

    [Fact]
    public async Task A_connection_changed_or_deleted_through_the_api_is_used_by_the_very_next_request()
    {
        var (dpo, shop) = await ConnectionTests.ConnectShopAsync(App, Provider);
        await using var _ = shop;
        var id = await AccessRequestAsync(dpo);
        (await PlanAsync(dpo, id)).GetProperty("mismatches").GetArrayLength().ShouldBe(0);

        await using var other = await FidesExampleDatabase.CreateAsync(Provider);
        await other.ExecuteAsync("DROP TABLE visit");
        (await dpo.PostAsJsonAsync("/api/connections", new { key = "shop", kind = Kind, connectionString = other.ConnectionString, datasets = new[] { FidesExampleDatabase.DatasetKey } }))
            .StatusCode.ShouldBe(HttpStatusCode.Created);
        var changed = await PlanAsync(dpo, id);
        changed.GetProperty("mismatches").EnumerateArray().Select(m => m.GetString()).ShouldContain(m => m!.Contains("no table 'visit'"), changed.ToString());

        (await dpo.DeleteAsync("/api/connections/shop")).StatusCode.ShouldBe(HttpStatusCode.NoContent);
        var deleted = await PlanAsync(dpo, id);
        deleted.GetProperty("steps").GetArrayLength().ShouldBe(0, deleted.ToString());
        deleted.GetProperty("mismatches").GetArrayLength().ShouldBe(0);
    }

    [Fact]
    public async Task A_dataset_replaced_or_deleted_through_the_api_is_used_by_the_very_next_request()
    {
        var (dpo, shop) = await ConnectionTests.ConnectShopAsync(App, Provider);
        await using var _ = shop;
        var id = await AccessRequestAsync(dpo);
        (await PlanAsync(dpo, id)).GetProperty("mismatches").GetArrayLength().ShouldBe(0);

        (await dpo.PostAsync("/api/datasets?replace=true", new StringContent(Renamed, Encoding.UTF8, "application/yaml"))).StatusCode.ShouldBe(HttpStatusCode.OK);
        var replaced = await PlanAsync(dpo, id);
        replaced.GetProperty("mismatches").EnumerateArray().Select(m => m.GetString()).ShouldContain(m => m!.Contains("house_number"), replaced.ToString());

        (await dpo.DeleteAsync($"/api/datasets/{FidesExampleDatabase.DatasetKey}")).StatusCode.ShouldBe(HttpStatusCode.NoContent);
        var deleted = await PlanAsync(dpo, id);
        deleted.GetProperty("steps").GetArrayLength().ShouldBe(0, deleted.ToString());
    }

    [Fact]
    public async Task A_connection_changed_by_another_process_is_used_once_the_cache_window_has_passed()
    {
        var (dpo, shop) = await ConnectionTests.ConnectShopAsync(App, Provider);
        await using var _ = shop;
        var id = await AccessRequestAsync(dpo);
        (await PlanAsync(dpo, id)).GetProperty("mismatches").GetArrayLength().ShouldBe(0);

        // Another server saves the connection with a new secret: the same row, written as its ConnectionService would.
        await using var other = await FidesExampleDatabase.CreateAsync(Provider);
        await other.ExecuteAsync("DROP TABLE visit");
        var keys = App.Services.GetRequiredService<KeyRing>();
        await App.WithDbAsync(async db =>
        {
            var record = await db.Set<ConnectionRecord>().SingleAsync();
            record.ConnectionStringEncrypted = keys.Encrypt(other.ConnectionString, "connections.secret");
            record.UpdatedAt = App.Time.GetUtcNow().AddSeconds(1);
            return await db.SaveChangesAsync();
        });
        (await PlanAsync(dpo, id)).GetProperty("mismatches").GetArrayLength().ShouldBe(0, "within Connections:CacheSeconds the kept connection is used");

        App.Time.Advance(TimeSpan.FromSeconds(1));
        var changed = await PlanAsync(dpo, id);
        changed.GetProperty("mismatches").EnumerateArray().Select(m => m.GetString()).ShouldContain(m => m!.Contains("no table 'visit'"), changed.ToString());

        // Another process deletes it.
        await App.WithDbAsync(db => db.Set<ConnectionRecord>().ExecuteDeleteAsync());
        App.Time.Advance(TimeSpan.FromSeconds(1));
        (await PlanAsync(dpo, id)).GetProperty("steps").GetArrayLength().ShouldBe(0);
    }

    [Fact]
    public async Task A_dataset_imported_by_the_cli_is_used_once_the_cache_window_has_passed()
    {
        var (dpo, shop) = await ConnectionTests.ConnectShopAsync(App, Provider);
        await using var _ = shop;
        var id = await AccessRequestAsync(dpo);
        (await PlanAsync(dpo, id)).GetProperty("mismatches").GetArrayLength().ShouldBe(0);

        var path = Path.Combine(Directory.CreateTempSubdirectory("dataward-catalog-").FullName, "renamed.yml");
        await File.WriteAllTextAsync(path, Renamed);
        var cli = await DatawardProcess.RunAsync(App.Database.Environment, null, "datasets", "import", path, "--replace");
        cli.ExitCode.ShouldBe(0, cli.Stderr);

        App.Time.Advance(TimeSpan.FromSeconds(1));
        var replaced = await PlanAsync(dpo, id);
        replaced.GetProperty("mismatches").EnumerateArray().Select(m => m.GetString()).ShouldContain(m => m!.Contains("house_number"), replaced.ToString());
    }

    [Fact]
    public async Task Testing_a_connection_reads_it_again_at_once_whoever_changed_it()
    {
        var (dpo, shop) = await ConnectionTests.ConnectShopAsync(App, Provider);
        await using var _ = shop;
        var id = await AccessRequestAsync(dpo);
        (await PlanAsync(dpo, id)).GetProperty("mismatches").GetArrayLength().ShouldBe(0);

        await using var other = await FidesExampleDatabase.CreateAsync(Provider);
        await other.ExecuteAsync("DROP TABLE visit");
        var keys = App.Services.GetRequiredService<KeyRing>();
        await App.WithDbAsync(db => db.Set<ConnectionRecord>().ExecuteUpdateAsync(s => s
            .SetProperty(c => c.ConnectionStringEncrypted, keys.Encrypt(other.ConnectionString, "connections.secret"))));
        var test = await (await dpo.PostAsync("/api/connections/shop/test", null)).Content.ReadFromJsonAsync<JsonElement>();
        test.GetProperty("succeeded").GetBoolean().ShouldBeFalse(test.ToString());

        var plan = await PlanAsync(dpo, id);
        plan.GetProperty("mismatches").EnumerateArray().Select(m => m.GetString()).ShouldContain(m => m!.Contains("no table 'visit'"), plan.ToString());
    }

    private static async Task<Guid> AccessRequestAsync(HttpClient dpo)
    {
        var created = await dpo.PostAsJsonAsync("/api/requests", new
        {
            type = "access",
            identities = new { email = "customer-1@example.com" },
            channel = "email",
            identityChecked = "Reply from the address on the account",
        });
        created.StatusCode.ShouldBe(HttpStatusCode.Created, await created.Content.ReadAsStringAsync());
        return (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
    }

    private static async Task<JsonElement> PlanAsync(HttpClient dpo, Guid id)
    {
        var response = await dpo.GetAsync($"/api/requests/{id}/plan");
        response.StatusCode.ShouldBe(HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }
}

/// <summary><c>Connections:CacheSeconds</c> 0: every request reads the connections from the database.</summary>
public sealed class ConnectionCatalogOffTests() : AppTest(StorageProvider.Sqlite)
{
    protected override IDictionary<string, string?> Settings => new Dictionary<string, string?> { ["Connections:CacheSeconds"] = "0" };

    [Fact]
    public async Task With_the_cache_off_a_connection_deleted_by_another_process_is_gone_for_the_next_request()
    {
        var (dpo, shop) = await ConnectionTests.ConnectShopAsync(App, Provider);
        await using var _ = shop;
        var created = await dpo.PostAsJsonAsync("/api/requests", new
        {
            type = "access",
            identities = new { email = "customer-1@example.com" },
            channel = "email",
            identityChecked = "Reply from the address on the account",
        });
        var id = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
        (await dpo.GetFromJsonAsync<JsonElement>($"/api/requests/{id}/plan")).GetProperty("steps").GetArrayLength().ShouldBeGreaterThan(0);

        await App.WithDbAsync(db => db.Set<ConnectionRecord>().ExecuteDeleteAsync());
        (await dpo.GetFromJsonAsync<JsonElement>($"/api/requests/{id}/plan")).GetProperty("steps").GetArrayLength().ShouldBe(0);
    }
}
