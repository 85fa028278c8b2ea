using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Dataward.Platform.Security;
using Dataward.Platform.Storage;
using Dataward.Tests.Platform;
using Microsoft.EntityFrameworkCore;

namespace Dataward.Tests.Register;

public sealed class RegisterAsCodeTests_Sqlite() : RegisterAsCodeTests(StorageProvider.Sqlite);

public sealed class RegisterAsCodeTests_Postgres() : RegisterAsCodeTests(StorageProvider.Postgres);

/// <summary>Export, import and check: through the CLI and the API, on both databases.</summary>
public abstract class RegisterAsCodeTests(StorageProvider provider) : AppTest(provider)
{
    private const string RegisterYaml = """
        organisation:
          name: Example Ltd
          email: privacy@example.org
          dpo:
            name: Dana Protection
            email: dpo@example.org
          jurisdictions: [UK]
        consentPurposes:
          - key: allergy-records
            title: Keeping your allergies on file
            description: So our kitchen can cook safely for you.
            explicit: true
            sensitive: true
        taxonomy:
          dataCategories:
            - key: user.health_and_medical.allergies
              name: Allergies
              parent: user.health_and_medical
        policies:
          - key: no-allergy-marketing
            name: Allergy data is never used for marketing
            dataCategories: [user.health_and_medical.allergies]
            dataUses: [marketing]
        activities:
          - name: Customer accounts
            status: active
            purposes: [essential.service]
            dataSubjects: [customer]
            dataCategories: [user.contact.email, user.name]
            lawfulBasis: contract
            lawfulBasisDetail: Account terms
            sources: [account-application-form]
            retention: {period: P6Y, trigger: account closed}
            recipients:
              - name: Mailer Inc
                kind: processor
                contractLink: https://contracts.example.org/mailer
            transfers:
              - country: IN
                recipient: Support desk
                mechanism: idta
          - name: Allergy records
            status: active
            purposes: [essential.service]
            dataSubjects: [customer]
            dataCategories: [user.health_and_medical.allergies]
            lawfulBasis: contract
            lawfulBasisDetail: "Catering terms: 'no' nuts"
            article9Condition: explicitConsent
            consentPurpose: allergy-records
            retention: {criteria: Until the order is delivered, trigger: order placed}
        """;

    private async Task<string> WriteAsync(string name, string content)
    {
        var path = Path.Combine(Directory.CreateTempSubdirectory("dataward-register-").FullName, name);
        await File.WriteAllTextAsync(path, content);
        return path;
    }

    private Task<DatawardProcess.Result> CliAsync(params string[] args) => DatawardProcess.RunAsync(App.Database.Environment, null, args);

    [Fact]
    public async Task A_register_file_imports_and_exporting_then_importing_it_again_changes_nothing()
    {
        var imported = await CliAsync("register", "import", await WriteAsync("register.yaml", RegisterYaml));
        imported.ExitCode.ShouldBe(0, imported.Stderr);
        imported.Stdout.ShouldContain("2 created");
        (await App.WithDbAsync(db => db.Activities.CountAsync())).ShouldBe(2);
        var entries = await App.WithDbAsync(db => db.AuditEntries.CountAsync());

        foreach (var format in new[] { "yaml", "json" })
        {
            var exported = await CliAsync("register", "export", "--format", format);
            exported.ExitCode.ShouldBe(0, exported.Stderr);
            exported.Stdout.ShouldContain("Customer accounts");
            var again = await CliAsync("register", "import", await WriteAsync($"again.{format}", exported.Stdout));
            again.ExitCode.ShouldBe(0, again.Stderr);
            again.Stdout.ShouldContain("No changes");
        }
        (await App.WithDbAsync(db => db.AuditEntries.CountAsync())).ShouldBe(entries, "re-importing the same register records nothing");
        (await App.WithDbAsync(db => db.ActivityVersions.CountAsync())).ShouldBe(2);
    }

    [Fact]
    public async Task An_export_moves_the_whole_register_to_another_database_over_the_api()
    {
        var dpo = await App.ClientWithRoleAsync(StaffRoles.DataProtectionOfficer);
        (await dpo.PostAsync("/api/register/import", new StringContent(RegisterYaml, Encoding.UTF8, "application/yaml"))).StatusCode.ShouldBe(HttpStatusCode.OK);
        var yaml = await dpo.GetStringAsync("/api/register/export?format=yaml");

        await using var other = await TestApp.StartAsync(Provider);
        var otherDpo = await other.ClientWithRoleAsync(StaffRoles.DataProtectionOfficer);
        var result = await otherDpo.PostAsync("/api/register/import", new StringContent(yaml, Encoding.UTF8, "application/yaml"));
        var summary = await result.Content.ReadFromJsonAsync<JsonElement>();
        summary.GetProperty("created").GetInt32().ShouldBe(2);
        (await otherDpo.GetStringAsync("/api/register/export?format=yaml")).ShouldBe(yaml);
        (await otherDpo.GetFromJsonAsync<JsonElement>("/api/consent/purposes/allergy-records")).GetProperty("explicit").GetBoolean().ShouldBeTrue();
        var organisation = await otherDpo.GetFromJsonAsync<JsonElement>("/api/register/organisation");
        organisation.GetProperty("dpo").GetProperty("name").GetString().ShouldBe("Dana Protection");
    }

    [Fact]
    public async Task One_invalid_activity_among_many_imports_nothing_and_is_named()
    {
        var broken = RegisterYaml.Replace("lawfulBasis: contract\n    lawfulBasisDetail: \"Catering", "lawfulBasis: whim\n    lawfulBasisDetail: \"Catering", StringComparison.Ordinal);
        broken.ShouldNotBe(RegisterYaml);
        var result = await CliAsync("register", "import", await WriteAsync("broken.yaml", broken));
        result.ExitCode.ShouldBe(2);
        result.Stderr.ShouldContain("Nothing was imported");
        result.Stderr.ShouldContain("activities[1].lawfulBasis");
        result.Stderr.ShouldContain("REG001");
        (await App.WithDbAsync(db => db.Activities.CountAsync())).ShouldBe(0);
        (await App.WithDbAsync(db => db.TaxonomyTerms.CountAsync())).ShouldBe(0);
        (await App.WithDbAsync(db => db.PolicyRules.CountAsync())).ShouldBe(0);
        (await App.WithDbAsync(db => db.Set<Dataward.Consent.ConsentPurposeRecord>().CountAsync())).ShouldBe(0);

        var dpo = await App.ClientWithRoleAsync(StaffRoles.DataProtectionOfficer);
        var api = await dpo.PostAsync("/api/register/import", new StringContent(broken, Encoding.UTF8, "application/yaml"));
        api.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await api.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors").TryGetProperty("activities[1].lawfulBasis", out _).ShouldBeTrue();
    }

    [Fact]
    public async Task REG003_REG006_an_imported_activity_must_name_a_consent_purpose_that_exists_and_is_explicit_where_needed()
    {
        var missing = RegisterYaml.Replace("    consentPurpose: allergy-records", "    consentPurpose: no-such-purpose", StringComparison.Ordinal);
        var result = await CliAsync("register", "import", await WriteAsync("missing.yaml", missing));
        result.ExitCode.ShouldBe(2);
        result.Stderr.ShouldContain("activities[1].consentPurpose");
        result.Stderr.ShouldContain("REG006");
        var notExplicit = RegisterYaml.Replace("    explicit: true\n", "", StringComparison.Ordinal);
        var refused = await CliAsync("register", "import", await WriteAsync("implicit.yaml", notExplicit));
        refused.ExitCode.ShouldBe(2);
        refused.Stderr.ShouldContain("marked explicit");
        (await App.WithDbAsync(db => db.Activities.CountAsync())).ShouldBe(0);
    }

    [Fact]
    public async Task Yaml_bombs_deep_nesting_and_huge_files_are_refused_with_the_reason()
    {
        var bomb = "a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: [*b, *b, *b, *b, *b, *b, *b, *b, *b]\n";
        var refused = await CliAsync("register", "import", await WriteAsync("bomb.yaml", bomb));
        refused.ExitCode.ShouldBe(2);
        refused.Stderr.ShouldContain("anchors");

        var deep = "activities: " + new string('[', 200) + new string(']', 200);
        (await CliAsync("register", "import", await WriteAsync("deep.yaml", deep))).Stderr.ShouldContain("nested");

        var huge = "activities:\n" + string.Concat(Enumerable.Repeat("  - name: " + new string('x', 1000) + "\n", 10_500));
        var tooBig = await CliAsync("register", "import", await WriteAsync("huge.yaml", huge));
        tooBig.ExitCode.ShouldBe(2);
        tooBig.Stderr.ShouldContain("MB");

        var dpo = await App.ClientWithRoleAsync(StaffRoles.DataProtectionOfficer);
        ((int)(await dpo.PostAsync("/api/register/import", new StringContent(bomb, Encoding.UTF8, "application/yaml"))).StatusCode).ShouldBe(400);
        (await App.WithDbAsync(db => db.Activities.CountAsync())).ShouldBe(0);
    }

    [Fact]
    public async Task Register_check_prints_each_violation_with_its_rule_and_exits_1()
    {
        (await CliAsync("register", "check")).ExitCode.ShouldBe(0);
        var dpo = await App.ClientWithRoleAsync(StaffRoles.DataProtectionOfficer);
        var selling = RegisterYaml.Replace("purposes: [essential.service]\n    dataSubjects: [customer]\n    dataCategories: [user.contact.email",
            "purposes: [third_party_sharing.sale]\n    dataSubjects: [customer]\n    dataCategories: [user.contact.email", StringComparison.Ordinal);
        (await dpo.PostAsync("/api/register/import", new StringContent(selling, Encoding.UTF8, "application/yaml"))).StatusCode.ShouldBe(HttpStatusCode.OK);
        var check = await CliAsync("register", "check");
        check.ExitCode.ShouldBe(1);
        check.Stdout.ShouldContain("REG019 error   Customer accounts");
        check.Stdout.ShouldContain("1 error(s)");
    }

    [Fact]
    public async Task Csv_and_xlsx_follow_the_ico_template_columns()
    {
        var dpo = await App.ClientWithRoleAsync(StaffRoles.DataProtectionOfficer);
        (await dpo.PostAsync("/api/register/import", new StringContent(RegisterYaml, Encoding.UTF8, "application/yaml"))).StatusCode.ShouldBe(HttpStatusCode.OK);
        var csv = await dpo.GetStringAsync("/api/register/export?format=csv");
        var lines = csv.Split('\n');
        lines[0].TrimStart('\uFEFF').ShouldStartWith("Controller,Example Ltd");
        var header = lines.First(l => l.StartsWith("Business function,", StringComparison.Ordinal));
        header.ShouldContain("Purpose of processing,Name and contact details of joint controller (if applicable),Categories of individuals");
        header.IndexOf("Reasons for not adhering", StringComparison.Ordinal).ShouldBeLessThan(header.IndexOf(",Name,Status", StringComparison.Ordinal));
        csv.ShouldContain("https://contracts.example.org/mailer");

        var file = Path.Combine(Directory.CreateTempSubdirectory("dataward-xlsx-").FullName, "register.xlsx");
        var result = await CliAsync("register", "export", "--format", "xlsx", "--output", file);
        result.ExitCode.ShouldBe(0, result.Stderr);
        var rows = MiniExcelLibs.MiniExcel.Query(file, useHeaderRow: true, sheetName: "Processing activities").Cast<IDictionary<string, object>>().ToList();
        rows.Count.ShouldBe(2);
        rows[0].Keys.First().ShouldBe("Business function");
        rows.Select(r => r["Name"]).ShouldContain("Allergy records");
        (await CliAsync("register", "export", "--format", "xlsx")).ExitCode.ShouldBe(2, "binary output needs a file");
        (await dpo.GetAsync("/api/register/export?format=pdf")).StatusCode.ShouldBe(HttpStatusCode.BadRequest);
    }
}
