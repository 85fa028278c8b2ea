using System.Net;
using System.Text;
using Dataward.Platform.Security;
using Dataward.Platform.Storage;
using Dataward.Tests.Platform;

namespace Dataward.Tests.Datasets;

/// <summary>The dataset browser.</summary>
public sealed class DatasetUiTests() : AppTest(StorageProvider.Sqlite)
{
    [Fact]
    public async Task The_dataset_browser_shows_collections_fields_identities_references_and_the_activities_using_them()
    {
        var yaml = await File.ReadAllTextAsync(Path.Combine(SharedFixtures.Folder("fides-example"), "postgres_example_test_dataset.yml"));
        var dpo = await App.ClientWithRoleAsync(StaffRoles.DataProtectionOfficer);
        (await dpo.PostAsync("/api/datasets", new StringContent(yaml, Encoding.UTF8, "application/yaml"))).IsSuccessStatusCode.ShouldBeTrue();
        (await dpo.PostAsync("/api/register/activities", new StringContent(Register.RegisterApiTests.CustomerAccounts, Encoding.UTF8, "application/json")))
            .IsSuccessStatusCode.ShouldBeTrue();

        await App.CreateUserAsync("staff@example.org", StaffRoles.Staff);
        var ui = App.Ui();
        await ui.SignInAsync("staff@example.org");
        var list = await ui.GetPageAsync("/datasets");
        list.ShouldContain("postgres_example_test_dataset");
        list.ShouldContain("Customer accounts");
        var detail = await ui.GetPageAsync("/datasets/postgres_example_test_dataset");
        detail.ShouldContain("<h2 id=\"c-customer\">customer</h2>");
        detail.ShouldContain("identity: email");
        detail.ShouldContain("primary key");
        detail.ShouldContain("postgres_example_test_dataset.customer.id");
        (await ui.GetAsync("/datasets/nothing_here")).StatusCode.ShouldBe(HttpStatusCode.NotFound, string.Join("\n", App.Logs.Lines.Where(l => l.Contains("Exception")).Take(1)));
    }
}
