using System.Net.Http.Json;
using System.Text;
using Dataward.Platform.Security;
using Dataward.Platform.Storage;
using Dataward.Tests.Platform;

namespace Dataward.Tests.Register;

public sealed class ReviewReminderTests_Sqlite() : ReviewReminderTests(StorageProvider.Sqlite);

public sealed class ReviewReminderTests_Postgres() : ReviewReminderTests(StorageProvider.Postgres);

/// <summary>P1 reminders: the DPO hears about overdue and due-soon reviews by e-mail, once per due date.</summary>
public abstract class ReviewReminderTests(StorageProvider provider) : AppTest(provider)
{
    // The activities are recorded seven months before the real clock the CLI runs on: overdue when it looks.
    protected override DateTimeOffset Start => DateTimeOffset.UtcNow.AddMonths(-7);

    [Fact]
    public async Task The_dpo_is_emailed_once_about_overdue_reviews_over_smtp()
    {
        await App.CreateUserAsync("dpo@example.org", StaffRoles.DataProtectionOfficer);
        var dpo = await App.ClientWithRoleAsync(StaffRoles.DataProtectionOfficer);
        (await dpo.PostAsync("/api/register/activities", new StringContent(RegisterApiTests.CustomerAccounts, Encoding.UTF8, "application/json")))
            .EnsureSuccessStatusCode();
        (await dpo.PostAsJsonAsync("/api/register/activities", new
        {
            name = "Staff directory",
            status = "draft",
            lawfulBasis = "contract",
            lawfulBasisDetail = "Employment contract",
        })).EnsureSuccessStatusCode();

        await using var smtp = new TestSmtpServer();
        var env = new Dictionary<string, string>(App.Database.Environment);
        foreach (var (key, value) in smtp.Environment)
        {
            env[key] = value;
        }
        var first = await DatawardProcess.RunAsync(env, null, "register", "remind");
        first.ExitCode.ShouldBe(0, first.Stderr);
        first.Stdout.ShouldContain("1 activity in the reminder; 1 message(s) sent.");
        var message = smtp.Messages.ShouldHaveSingleItem();
        message.To.Mailboxes.Single().Address.ShouldBe("dpo@example.org");
        message.Subject.ShouldBe("Register review: 1 overdue, 0 due soon");
        message.TextBody!.ShouldContain("Customer accounts: OVERDUE since");
        message.TextBody!.ShouldNotContain("Staff directory", customMessage: "drafts are not reviewed");

        var stored = await App.WithDbAsync(db => Microsoft.EntityFrameworkCore.EntityFrameworkQueryableExtensions.SingleAsync(
            db.Set<Dataward.Platform.Email.OutboxMessage>()));
        stored.SentAt.ShouldNotBeNull();
        stored.To.ShouldNotContain("example.org", customMessage: "the address waits in the outbox encrypted");
        stored.Body.ShouldNotContain("Customer accounts", customMessage: "so does the text, which the delivered message above reads in clear");

        var second = await DatawardProcess.RunAsync(env, null, "register", "remind");
        second.Stdout.ShouldContain("0 activities in the reminder; 0 message(s) sent.");
        smtp.Messages.Count.ShouldBe(1);
    }

    [Fact]
    public async Task Without_smtp_settings_reminders_are_written_as_eml_files()
    {
        await App.CreateUserAsync("dpo@example.org", StaffRoles.DataProtectionOfficer);
        var dpo = await App.ClientWithRoleAsync(StaffRoles.DataProtectionOfficer);
        (await dpo.PostAsync("/api/register/activities", new StringContent(RegisterApiTests.CustomerAccounts, Encoding.UTF8, "application/json")))
            .EnsureSuccessStatusCode();
        var folder = Directory.CreateTempSubdirectory("dataward-files-").FullName;
        var result = await DatawardProcess.RunInAsync(App.Database.Environment, folder, null, "register", "remind");
        result.ExitCode.ShouldBe(0, result.Stderr);
        var file = Directory.GetFiles(Path.Combine(folder, "data", "outbox"), "*.eml").ShouldHaveSingleItem();
        (await File.ReadAllTextAsync(file)).ShouldContain("To: dpo@example.org");
    }
}
