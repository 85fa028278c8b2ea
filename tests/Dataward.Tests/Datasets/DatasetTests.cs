using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Dataward.Connectors.Formats;
using Dataward.Platform.Security;
using Dataward.Platform.Storage;
using Dataward.Tests.Platform;
using Microsoft.EntityFrameworkCore;

namespace Dataward.Tests.Datasets;

public sealed class DatasetTests_Sqlite() : DatasetTests(StorageProvider.Sqlite);

public sealed class DatasetTests_Postgres() : DatasetTests(StorageProvider.Postgres);

/// <summary>Datasets and systems in the register: through the CLI and the API, on both databases.</summary>
public abstract class DatasetTests(StorageProvider provider) : AppTest(provider)
{
    private const string ExampleFile = "postgres_example_test_dataset.yml";
    private const string ExampleKey = "postgres_example_test_dataset";

    private static string Example => FidesDatasetTests.Fixture(ExampleFile);

    private static string ExamplePath => Path.Combine(SharedFixtures.Folder("fides-example"), ExampleFile);

    private static StringContent Yaml(string yaml) => new(yaml, Encoding.UTF8, "application/yaml");

    private static JsonNode? ReadYaml(string yaml) => YamlJson.Read(new StringReader(yaml));

    private async Task<string> WriteAsync(string name, string content)
    {
        var path = Path.Combine(Directory.CreateTempSubdirectory("dataward-datasets-").FullName, name);
        await File.WriteAllTextAsync(path, content);
        return path;
    }

    private Task<DatawardProcess.Result> CliAsync(params string[] args) => DatawardProcess.RunAsync(App.Database.Environment, null, args);

    private static async Task<JsonElement> ProblemAsync(HttpResponseMessage response, HttpStatusCode status)
    {
        var body = await response.Content.ReadAsStringAsync();
        response.StatusCode.ShouldBe(status, body);
        response.Content.Headers.ContentType!.MediaType.ShouldBe("application/problem+json");
        return JsonDocument.Parse(body).RootElement;
    }

    private Task<int> StoredAsync() => App.WithDbAsync(db => db.Datasets.CountAsync());

    [Fact]
    public async Task The_fides_example_dataset_imports_and_reexports_without_loss()
    {
        var imported = await CliAsync("datasets", "import", ExamplePath);
        imported.ExitCode.ShouldBe(0, imported.Stderr);
        imported.Stdout.ShouldContain($"created   {ExampleKey} (version 1)");

        var exported = await CliAsync("datasets", "export", ExampleKey);
        exported.ExitCode.ShouldBe(0, exported.Stderr);
        JsonNode.DeepEquals(ReadYaml(exported.Stdout), ReadYaml(Example)).ShouldBeTrue(exported.Stdout);

        var staff = await App.ClientWithRoleAsync(StaffRoles.Staff);
        var yaml = await staff.GetStringAsync($"/api/datasets/{ExampleKey}?format=YAML");
        JsonNode.DeepEquals(ReadYaml(yaml), ReadYaml(Example)).ShouldBeTrue(yaml);
        var json = await staff.GetStringAsync($"/api/datasets/{ExampleKey}");
        JsonNode.DeepEquals(JsonNode.Parse(json), ReadYaml(Example)!["dataset"]![0]).ShouldBeTrue(json);

        var again = await CliAsync("datasets", "import", await WriteAsync("exported.yml", exported.Stdout));
        again.ExitCode.ShouldBe(0, again.Stderr);
        again.Stdout.ShouldContain("No changes");
    }

    [Fact]
    public async Task The_fides_example_imports_over_the_api_keeping_identities_references_primary_keys_and_masking_overrides()
    {
        var dpo = await App.ClientWithRoleAsync(StaffRoles.DataProtectionOfficer);
        var created = await dpo.PostAsync("/api/datasets", Yaml(Example));
        created.StatusCode.ShouldBe(HttpStatusCode.Created, await created.Content.ReadAsStringAsync());
        created.Headers.Location!.ToString().ShouldBe($"/api/datasets/{ExampleKey}");

        var response = await dpo.GetAsync($"/api/datasets/{ExampleKey}");
        response.Headers.ETag!.Tag.ShouldBe("\"1\"");
        var dataset = await response.Content.ReadFromJsonAsync<JsonElement>();
        JsonElement Collection(string name) => dataset.GetProperty("collections").EnumerateArray().Single(c => c.GetProperty("name").GetString() == name);
        JsonElement Meta(string collection, string field) => Collection(collection).GetProperty("fields").EnumerateArray()
            .Single(f => f.GetProperty("name").GetString() == field).GetProperty("fides_meta");

        Meta("customer", "email").GetProperty("identity").GetString().ShouldBe("email");
        Meta("customer", "id").GetProperty("primary_key").GetBoolean().ShouldBeTrue();
        Meta("customer", "name").GetProperty("length").GetInt32().ShouldBe(40);
        var reference = Meta("login", "customer_id").GetProperty("references")[0];
        reference.GetProperty("field").GetString().ShouldBe("customer.id");
        reference.GetProperty("direction").GetString().ShouldBe("from");
        var masking = Meta("employee", "name").GetProperty("masking_strategy_override");
        masking.GetProperty("strategy").GetString().ShouldBe("string_rewrite");
        masking.GetProperty("configuration").GetProperty("format_preservation").GetProperty("suffix").GetString().ShouldBe("-test");

        var list = await dpo.GetFromJsonAsync<JsonElement>("/api/datasets");
        var summary = list.EnumerateArray().ShouldHaveSingleItem();
        summary.GetProperty("key").GetString().ShouldBe(ExampleKey);
        summary.GetProperty("collections").GetInt32().ShouldBe(11);
        summary.GetProperty("fields").GetInt32().ShouldBe(48);
        (await App.WithDbAsync(db => db.AuditEntries.CountAsync(e => e.Action == "datasets.imported" && e.Target == $"dataset:{ExampleKey}"))).ShouldBe(1);
    }

    [Fact]
    public async Task A_file_of_several_datasets_imports_all_of_them_or_none()
    {
        var extended = FidesDatasetTests.Fixture("postgres_example_test_extended_dataset.yml");
        var both = Example + "\n" + extended.Replace("dataset:\n", "", StringComparison.Ordinal);
        var broken = both.Replace("data_categories: [user.content]", "data_categories: [user.contents]", StringComparison.Ordinal);
        var dpo = await App.ClientWithRoleAsync(StaffRoles.DataProtectionOfficer);
        var problem = await ProblemAsync(await dpo.PostAsync("/api/datasets", Yaml(broken)), HttpStatusCode.BadRequest);
        problem.GetProperty("errors").TryGetProperty("dataset[1].collections[0].fields[2].data_categories[0]", out _).ShouldBeTrue(problem.ToString());
        (await StoredAsync()).ShouldBe(0);

        var summary = await (await dpo.PostAsync("/api/datasets", Yaml(both))).Content.ReadFromJsonAsync<JsonElement>();
        summary.GetProperty("datasets").EnumerateArray().Select(d => d.GetProperty("result").GetString()).ShouldBe(["created", "created"]);
        (await StoredAsync()).ShouldBe(2);
    }

    [Fact]
    public async Task Reimporting_an_identical_dataset_changes_nothing()
    {
        var dpo = await App.ClientWithRoleAsync(StaffRoles.DataProtectionOfficer);
        (await dpo.PostAsync("/api/datasets", Yaml(Example))).StatusCode.ShouldBe(HttpStatusCode.Created);
        var entries = await App.WithDbAsync(db => db.AuditEntries.CountAsync());

        var again = await dpo.PostAsync("/api/datasets", Yaml(Example));
        again.StatusCode.ShouldBe(HttpStatusCode.OK);
        var summary = await again.Content.ReadFromJsonAsync<JsonElement>();
        summary.GetProperty("datasets")[0].GetProperty("result").GetString().ShouldBe("unchanged");
        var json = await dpo.GetStringAsync($"/api/datasets/{ExampleKey}");
        (await dpo.PostAsync("/api/datasets", new StringContent(json, Encoding.UTF8, "application/json"))).StatusCode.ShouldBe(HttpStatusCode.OK);
        var cli = await CliAsync("datasets", "import", ExamplePath, "--replace");
        cli.ExitCode.ShouldBe(0, cli.Stderr);
        cli.Stdout.ShouldContain("No changes");

        (await App.WithDbAsync(db => db.AuditEntries.CountAsync())).ShouldBe(entries, "an identical import records nothing");
        (await App.WithDbAsync(db => db.Datasets.SingleAsync())).Version.ShouldBe(1);
    }

    [Fact]
    public async Task A_changed_dataset_with_a_registered_key_is_a_conflict_until_it_is_imported_with_replace()
    {
        var dpo = await App.ClientWithRoleAsync(StaffRoles.DataProtectionOfficer);
        (await dpo.PostAsync("/api/datasets", Yaml(Example))).StatusCode.ShouldBe(HttpStatusCode.Created);
        var changed = Example.Replace("length: 40", "length: 80", StringComparison.Ordinal);

        var conflict = await ProblemAsync(await dpo.PostAsync("/api/datasets", Yaml(changed)), HttpStatusCode.Conflict);
        conflict.GetProperty("errors").GetProperty("dataset[0].fides_key")[0].GetString()!.ShouldContain("replace");
        var cli = await CliAsync("datasets", "import", await WriteAsync("changed.yml", changed));
        cli.ExitCode.ShouldBe(2);
        cli.Stderr.ShouldContain("Nothing was imported");
        (await dpo.GetStringAsync($"/api/datasets/{ExampleKey}")).ShouldContain("\"length\":40");

        var replaced = await dpo.PostAsync("/api/datasets?replace=true", Yaml(changed));
        replaced.StatusCode.ShouldBe(HttpStatusCode.OK, await replaced.Content.ReadAsStringAsync());
        var summary = await replaced.Content.ReadFromJsonAsync<JsonElement>();
        summary.GetProperty("datasets")[0].GetProperty("result").GetString().ShouldBe("replaced");
        summary.GetProperty("datasets")[0].GetProperty("version").GetInt32().ShouldBe(2);
        var current = await dpo.GetAsync($"/api/datasets/{ExampleKey}");
        current.Headers.ETag!.Tag.ShouldBe("\"2\"");
        (await current.Content.ReadAsStringAsync()).ShouldContain("\"length\":80");
        (await App.WithDbAsync(db => db.AuditEntries.CountAsync(e => e.Action == "datasets.replaced"))).ShouldBe(1);
    }

    [Fact]
    public async Task An_unknown_data_category_is_refused_naming_the_field_with_a_suggestion_and_nothing_is_stored()
    {
        var misspelt = Example.Replace("data_categories: [user.contact.address.city]", "data_categories: [user.contact.address.cty]", StringComparison.Ordinal);
        var dpo = await App.ClientWithRoleAsync(StaffRoles.DataProtectionOfficer);
        var problem = await ProblemAsync(await dpo.PostAsync("/api/datasets", Yaml(misspelt)), HttpStatusCode.BadRequest);
        problem.GetProperty("ruleId").GetString().ShouldBe("REG013");
        problem.GetProperty("errors").GetProperty("dataset[0].collections[0].fields[0].data_categories[0]")[0].GetString()!
            .ShouldContain("'user.contact.address.city'");

        var cli = await CliAsync("datasets", "import", await WriteAsync("misspelt.yml", misspelt));
        cli.ExitCode.ShouldBe(2);
        cli.Stderr.ShouldContain("dataset[0].collections[0].fields[0].data_categories[0]: 'user.contact.address.cty' is not a known key");
        cli.Stderr.ShouldContain("REG013");
        (await StoredAsync()).ShouldBe(0);
    }

    [Fact]
    public async Task Duplicate_collection_names_are_refused()
    {
        var duplicate = Example.Replace("- name: employee", "- name: customer", StringComparison.Ordinal);
        var dpo = await App.ClientWithRoleAsync(StaffRoles.DataProtectionOfficer);
        var problem = await ProblemAsync(await dpo.PostAsync("/api/datasets", Yaml(duplicate)), HttpStatusCode.BadRequest);
        problem.GetProperty("errors").GetProperty("dataset[0].collections[2].name")[0].GetString()!.ShouldContain("two collections called 'customer'");
        (await StoredAsync()).ShouldBe(0);
    }

    [Fact]
    public async Task Yaml_bombs_deep_nesting_and_files_over_8_mb_are_refused_with_the_reason_and_nothing_is_stored()
    {
        var bomb = "a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\ndataset: [*b, *b, *b, *b, *b, *b, *b, *b, *b]\n";
        var deep = "dataset: " + new string('[', 200) + new string(']', 200);
        var huge = Example + string.Concat(Enumerable.Repeat("# " + new string('x', 1000) + "\n", 8_500));
        Encoding.UTF8.GetByteCount(huge).ShouldBeGreaterThan(8 * 1024 * 1024);

        var refused = await CliAsync("datasets", "import", await WriteAsync("bomb.yml", bomb));
        refused.ExitCode.ShouldBe(2);
        refused.Stderr.ShouldContain("anchors");
        var nested = await CliAsync("datasets", "import", await WriteAsync("deep.yml", deep));
        nested.ExitCode.ShouldBe(2);
        nested.Stderr.ShouldContain("nested deeper than 64 levels");
        var tooBig = await CliAsync("datasets", "import", await WriteAsync("huge.yml", huge));
        tooBig.ExitCode.ShouldBe(2);
        tooBig.Stderr.ShouldContain("larger than 8 MB");

        var dpo = await App.ClientWithRoleAsync(StaffRoles.DataProtectionOfficer);
        (await ProblemAsync(await dpo.PostAsync("/api/datasets", Yaml(bomb)), HttpStatusCode.BadRequest)).GetProperty("detail").GetString()!.ShouldContain("anchors");
        (await ProblemAsync(await dpo.PostAsync("/api/datasets", Yaml(deep)), HttpStatusCode.BadRequest)).GetProperty("detail").GetString()!.ShouldContain("nested");
        (await ProblemAsync(await dpo.PostAsync("/api/datasets", Yaml(huge)), HttpStatusCode.RequestEntityTooLarge)).GetProperty("detail").GetString()!.ShouldContain("8 MB");
        (await StoredAsync()).ShouldBe(0);
    }

    [Fact]
    public async Task Staff_read_datasets_but_only_the_dpo_and_administrators_import_or_delete_them()
    {
        var staff = await App.ClientWithRoleAsync(StaffRoles.Staff);
        (await staff.PostAsync("/api/datasets", Yaml(Example))).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await StoredAsync()).ShouldBe(0);

        var admin = await App.ClientWithRoleAsync(StaffRoles.Administrator);
        (await admin.PostAsync("/api/datasets", Yaml(Example))).StatusCode.ShouldBe(HttpStatusCode.Created);
        (await staff.GetAsync($"/api/datasets/{ExampleKey}")).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await staff.DeleteAsync($"/api/datasets/{ExampleKey}")).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        await ProblemAsync(await staff.GetAsync("/api/datasets/no_such_dataset"), HttpStatusCode.NotFound);
        await ProblemAsync(await staff.GetAsync($"/api/datasets/{ExampleKey}?format=xml"), HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task Activities_and_systems_that_name_a_dataset_are_listed_with_it_and_keep_it_from_being_deleted()
    {
        var dpo = await App.ClientWithRoleAsync(StaffRoles.DataProtectionOfficer);
        (await dpo.PostAsync("/api/datasets", Yaml(Example))).StatusCode.ShouldBe(HttpStatusCode.Created);
        var activity = await dpo.PostAsync("/api/register/activities", new StringContent(Register.RegisterApiTests.CustomerAccounts, Encoding.UTF8, "application/json"));
        activity.StatusCode.ShouldBe(HttpStatusCode.Created, await activity.Content.ReadAsStringAsync());

        var unknown = await dpo.PostAsJsonAsync("/api/systems", new { key = "webshop", name = "Web shop", datasets = new[] { "no_such_dataset" } });
        (await ProblemAsync(unknown, HttpStatusCode.BadRequest)).GetProperty("errors").TryGetProperty("datasets[0]", out _).ShouldBeTrue();
        var system = await dpo.PostAsJsonAsync("/api/systems", new { key = "webshop", name = "Web shop", owner = "E-commerce team", datasets = new[] { ExampleKey } });
        system.StatusCode.ShouldBe(HttpStatusCode.Created, await system.Content.ReadAsStringAsync());
        await ProblemAsync(await dpo.PostAsJsonAsync("/api/systems", new { key = "webshop", name = "Another shop" }), HttpStatusCode.Conflict);
        (await dpo.GetFromJsonAsync<JsonElement>("/api/systems/webshop")).GetProperty("datasets")[0].GetString().ShouldBe(ExampleKey);

        var summary = (await dpo.GetFromJsonAsync<JsonElement>("/api/datasets"))[0];
        summary.GetProperty("activities").EnumerateArray().Select(a => a.GetString()).ShouldBe(["Customer accounts"]);
        summary.GetProperty("systems").EnumerateArray().Select(s => s.GetString()).ShouldBe(["webshop"]);
        var refused = await ProblemAsync(await dpo.DeleteAsync($"/api/datasets/{ExampleKey}"), HttpStatusCode.Conflict);
        refused.GetProperty("detail").GetString()!.ShouldContain("activity 'Customer accounts', system 'webshop'");
        (await StoredAsync()).ShouldBe(1);
        (await App.WithDbAsync(db => db.AuditEntries.CountAsync(e => e.Action == "systems.registered"))).ShouldBe(1);
    }

    [Fact]
    public async Task A_dataset_nothing_names_can_be_deleted_and_the_deletion_is_audited()
    {
        var dpo = await App.ClientWithRoleAsync(StaffRoles.DataProtectionOfficer);
        (await dpo.PostAsync("/api/datasets", Yaml(Example))).StatusCode.ShouldBe(HttpStatusCode.Created);
        (await dpo.DeleteAsync($"/api/datasets/{ExampleKey}")).StatusCode.ShouldBe(HttpStatusCode.NoContent);
        (await StoredAsync()).ShouldBe(0);
        await ProblemAsync(await dpo.DeleteAsync($"/api/datasets/{ExampleKey}"), HttpStatusCode.NotFound);
        (await App.WithDbAsync(db => db.AuditEntries.CountAsync(e => e.Action == "datasets.deleted" && e.Target == $"dataset:{ExampleKey}"))).ShouldBe(1);
        var list = await CliAsync("datasets", "list");
        list.ExitCode.ShouldBe(0, list.Stderr);
        list.Stdout.ShouldBeEmpty();
    }
}
