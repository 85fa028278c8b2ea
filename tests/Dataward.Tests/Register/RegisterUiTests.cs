using System.Net;
using Dataward.Platform.Security;
using Dataward.Platform.Storage;
using Dataward.Tests.Platform;
using Microsoft.EntityFrameworkCore;

namespace Dataward.Tests.Register;

/// <summary>The register's pages, driven as a browser without JavaScript would.</summary>
public sealed class RegisterUiTests() : AppTest(StorageProvider.Sqlite)
{
    private static Dictionary<string, string> ValidForm() => new()
    {
        ["Form.Name"] = "Customer accounts",
        ["Form.Status"] = "active",
        ["Form.Purposes"] = "essential.service",
        ["Form.DataSubjects"] = "customer",
        ["Form.DataCategories"] = "user.contact.email\nuser.name",
        ["Form.LawfulBasis"] = "contract",
        ["Form.LawfulBasisDetail"] = "Account terms",
        ["Form.Sources"] = "account-application-form",
        ["Form.Recipients"] = "Mailer, Inc | processor | US | https://contracts.example.org/mailer",
        ["Form.Transfers"] = "US | scc | | https://contracts.example.org/scc | Mailer, Inc",
        ["Form.RetentionPeriod"] = "P6Y",
        ["Form.RetentionTrigger"] = "account closed",
    };

    [Fact]
    public async Task The_form_shows_each_rule_broken_next_to_its_field_and_saves_once_fixed()
    {
        await App.CreateUserAsync("dpo@example.org", StaffRoles.DataProtectionOfficer);
        var ui = App.Ui();
        await ui.SignInAsync("dpo@example.org");

        var broken = ValidForm();
        broken["Form.LawfulBasis"] = "";
        broken["Form.DataCategories"] = "user.contact.emial";
        var refused = await ui.SubmitAsync("/register/new", "activity", broken);
        refused.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        var page = await refused.Content.ReadAsStringAsync();
        page.ShouldContain("(REG001)");
        page.ShouldContain("user.contact.email");
        page.ShouldContain("(REG013)");
        page.ShouldContain("value=\"Customer accounts\"", customMessage: "what the person typed is kept");
        (await App.WithDbAsync(db => db.Activities.CountAsync())).ShouldBe(0);

        var saved = await ui.SubmitAsync("/register/new", "activity", ValidForm());
        saved.StatusCode.ShouldBe(HttpStatusCode.Redirect, await saved.Content.ReadAsStringAsync());
        var detail = await ui.GetPageAsync(saved.Headers.Location!.PathAndQuery);
        detail.ShouldContain("Saved as version 1");
        detail.ShouldContain("Mailer, Inc (processor)");
        var stored = await App.WithDbAsync(db => db.Activities.SingleAsync());
        stored.Document.ShouldContain("\"mechanism\":\"scc\"");
    }

    [Fact]
    public async Task The_dpo_signs_off_a_review_on_the_activity_page_and_others_cannot()
    {
        await App.CreateUserAsync("dpo@example.org", StaffRoles.DataProtectionOfficer);
        await App.CreateUserAsync("admin@example.org", StaffRoles.Administrator);
        var dpo = App.Ui();
        await dpo.SignInAsync("dpo@example.org");
        var saved = await dpo.SubmitAsync("/register/new", "activity", ValidForm());
        var path = saved.Headers.Location!.AbsolutePath;

        var admin = App.Ui();
        await admin.SignInAsync("admin@example.org");
        (await admin.GetPageAsync(path)).ShouldNotContain("Sign off review");

        var reviewed = await dpo.SubmitAsync(path, "review", new Dictionary<string, string> { ["Review.Notes"] = "All current." });
        var page = await reviewed.Content.ReadAsStringAsync();
        page.ShouldContain("Review signed off.");
        page.ShouldContain("All current.");
        page.ShouldContain("by dpo@example.org");
        (await App.WithDbAsync(db => db.ActivityReviews.CountAsync())).ShouldBe(1);
    }

    [Fact]
    public async Task Edits_show_in_the_history_with_the_difference()
    {
        await App.CreateUserAsync("dpo@example.org", StaffRoles.DataProtectionOfficer);
        var ui = App.Ui();
        await ui.SignInAsync("dpo@example.org");
        var path = (await ui.SubmitAsync("/register/new", "activity", ValidForm())).Headers.Location!.AbsolutePath;
        var edit = ValidForm();
        edit["Form.RetentionPeriod"] = "P7Y";
        edit["Form.Version"] = "1";
        (await ui.SubmitAsync($"{path}/edit", "activity", edit)).StatusCode.ShouldBe(HttpStatusCode.Redirect);
        var detail = await ui.GetPageAsync(path);
        detail.ShouldContain("compare with 1");
        var diff = await ui.GetPageAsync($"{path}/diff/1/2");
        diff.ShouldContain("retention.period");
        diff.ShouldContain("P6Y");
        diff.ShouldContain("P7Y");
    }

    [Fact]
    public async Task The_list_filters_and_the_printable_register_shows_every_activity()
    {
        await App.CreateUserAsync("dpo@example.org", StaffRoles.DataProtectionOfficer);
        var ui = App.Ui();
        await ui.SignInAsync("dpo@example.org");
        await ui.SubmitAsync("/register/new", "activity", ValidForm());
        var draft = ValidForm();
        draft["Form.Name"] = "Loyalty scheme idea";
        draft["Form.Status"] = "draft";
        draft["Form.LawfulBasis"] = "legitimateInterests";
        draft["Form.LiaPurpose"] = "Reward repeat customers";
        draft["Form.LiaNecessity"] = "No other way to know who returns";
        draft["Form.LiaBalancing"] = "Expected by members; opt-out offered";
        (await ui.SubmitAsync("/register/new", "activity", draft)).StatusCode.ShouldBe(HttpStatusCode.Redirect);

        var drafts = await ui.GetPageAsync("/register?status=draft");
        drafts.ShouldContain("Loyalty scheme idea");
        drafts.ShouldNotContain(">Customer accounts<");
        (await ui.GetPageAsync("/register?lawfulBasis=contract")).ShouldNotContain("Loyalty scheme idea");
        var print = await ui.GetPageAsync("/register/print");
        print.ShouldContain("Customer accounts");
        print.ShouldContain("Loyalty scheme idea");
        print.ShouldContain("Article 6 lawful basis for processing personal data");

        var staff = App.Ui();
        await App.CreateUserAsync("staff@example.org", StaffRoles.Staff);
        await staff.SignInAsync("staff@example.org");
        (await staff.GetPageAsync("/register")).ShouldNotContain("New activity");
        (await staff.GetAsync("/register/new")).StatusCode.ShouldBe(HttpStatusCode.Redirect);
    }

    [Fact]
    public async Task The_taxonomy_page_marks_special_categories_and_takes_the_organisations_own_keys()
    {
        await App.CreateUserAsync("dpo@example.org", StaffRoles.DataProtectionOfficer);
        var ui = App.Ui();
        await ui.SignInAsync("dpo@example.org");
        var page = await ui.GetPageAsync("/register/taxonomy");
        page.ShouldContain("user.health_and_medical.genetic");
        page.ShouldContain("Art. 9: Genetic");
        var added = await ui.SubmitAsync("/register/taxonomy?kind=dataCategories", "term", new Dictionary<string, string>
        {
            ["Term.Parent"] = "user.health_and_medical",
            ["Term.Key"] = "user.health_and_medical.allergies",
            ["Term.Name"] = "Allergies",
        });
        var after = await added.Content.ReadAsStringAsync();
        after.ShouldContain("Added user.health_and_medical.allergies.");
        after.ShouldContain("user.health_and_medical.allergies</code> (ours)");
        var refused = await ui.SubmitAsync("/register/taxonomy?kind=dataCategories", "term", new Dictionary<string, string>
        {
            ["Term.Parent"] = "user.nothing",
            ["Term.Key"] = "user.nothing.here",
            ["Term.Name"] = "Nothing",
        });
        refused.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await ui.GetPageAsync("/register/taxonomy?kind=dataSubjects")).ShouldContain("customer");
    }
}
