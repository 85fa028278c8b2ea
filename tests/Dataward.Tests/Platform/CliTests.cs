using System.Net;
using System.Net.Http.Json;
using Dataward.Platform.Security;
using Dataward.Platform.Storage;
using Microsoft.EntityFrameworkCore;

namespace Dataward.Tests.Platform;

public sealed class CliTests_Sqlite() : CliTests(StorageProvider.Sqlite);

public sealed class CliTests_Postgres() : CliTests(StorageProvider.Postgres);

/// <summary>The operator's verbs, run as the real executable against the same database the server uses.</summary>
public abstract class CliTests(StorageProvider provider) : AppTest(provider)
{
    [Fact]
    public async Task Users_add_creates_the_first_administrator_from_a_password_on_stdin()
    {
        var result = await DatawardProcess.RunAsync(App.Database.Environment, TestApp.Password + "\n",
            "users", "add", "--email", "root@example.org", "--role", "administrator", "--password-stdin");
        result.ExitCode.ShouldBe(0, result.Stderr);
        result.Stdout.ShouldContain("Created Administrator root@example.org");
        result.Stdout.ShouldNotContain(TestApp.Password);
        (await App.Ui().SignInAsync("root@example.org")).StatusCode.ShouldBe(HttpStatusCode.Redirect);
        var entry = await App.WithDbAsync(db => db.AuditEntries.SingleAsync(e => e.Action == "users.created"));
        entry.Actor.ShouldBe("cli");
    }

    [Fact]
    public async Task Users_add_without_stdin_prints_a_generated_password_once()
    {
        var result = await DatawardProcess.RunAsync(App.Database.Environment, null,
            "users", "add", "--email", "staff@example.org", "--role", "Staff");
        result.ExitCode.ShouldBe(0, result.Stderr);
        (await App.Ui().SignInAsync("staff@example.org", result.LastLine)).StatusCode.ShouldBe(HttpStatusCode.Redirect);
    }

    [Theory]
    [InlineData("short", "Staff", "password")]
    [InlineData(TestApp.Password, "Overlord", "role")]
    public async Task Users_add_refuses_bad_input_with_exit_2_and_creates_nothing(string password, string role, string named)
    {
        var result = await DatawardProcess.RunAsync(App.Database.Environment, password + "\n",
            "users", "add", "--email", "x@example.org", "--role", role, "--password-stdin");
        result.ExitCode.ShouldBe(2);
        result.Stderr.ShouldContain(named);
        (await App.WithDbAsync(db => db.Users.CountAsync())).ShouldBe(0);
    }

    [Fact]
    public async Task Tokens_create_prints_the_secret_once_and_it_works_until_the_cli_revokes_it()
    {
        var result = await DatawardProcess.RunAsync(App.Database.Environment, null,
            "tokens", "create", "--name", "reporting", "--role", "Auditor", "--expires", "90d");
        result.ExitCode.ShouldBe(0, result.Stderr);
        var secret = result.LastLine;
        secret.ShouldStartWith("dw_");
        var client = App.ClientWithToken(secret);
        (await client.GetAsync("/api/audit/verify")).StatusCode.ShouldBe(HttpStatusCode.OK);
        var stored = await App.WithDbAsync(db => db.ApiTokens.SingleAsync());
        stored.SecretHash.ShouldBe(ApiToken.HashSecret(secret));
        stored.ExpiresAt.ShouldNotBeNull();

        var list = await DatawardProcess.RunAsync(App.Database.Environment, null, "tokens", "list");
        list.Stdout.ShouldContain("reporting");
        list.Stdout.ShouldNotContain(secret);

        var revoke = await DatawardProcess.RunAsync(App.Database.Environment, null, "tokens", "revoke", "--id", stored.Id.ToString());
        revoke.ExitCode.ShouldBe(0, revoke.Stderr);
        // Another process revoked it: the server sees that within Security:TokenCacheSeconds (1 s).
        App.Time.Advance(TimeSpan.FromSeconds(1));
        var refused = await client.GetAsync("/api/audit/verify");
        refused.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        (await refused.Content.ReadAsStringAsync()).ShouldContain("revoked");
    }

    [Theory]
    [InlineData("--expires", "soon")]
    [InlineData("--role", "Root")]
    public async Task Tokens_create_refuses_bad_input_with_exit_2(string option, string value)
    {
        var args = new List<string> { "tokens", "create", "--name", "x", "--role", "Staff" };
        var at = args.IndexOf(option);
        if (at >= 0)
        {
            args[at + 1] = value;
        }
        else
        {
            args.AddRange([option, value]);
        }
        var result = await DatawardProcess.RunAsync(App.Database.Environment, null, [.. args]);
        result.ExitCode.ShouldBe(2);
        result.Stderr.ShouldNotBeEmpty();
        (await App.WithDbAsync(db => db.ApiTokens.CountAsync())).ShouldBe(0);
    }

    [Fact]
    public async Task Unknown_verbs_and_missing_options_exit_2()
    {
        (await DatawardProcess.RunAsync(App.Database.Environment, null, "frobnicate")).ExitCode.ShouldBe(2);
        (await DatawardProcess.RunAsync(App.Database.Environment, null, "tokens", "create")).ExitCode.ShouldBe(2);
    }

    [Fact]
    public async Task Users_set_role_changes_the_role_and_the_api_follows()
    {
        var staff = await App.CreateUserAsync("staff@example.org", StaffRoles.Staff);
        var result = await DatawardProcess.RunAsync(App.Database.Environment, null, "users", "set-role", "--id", staff.Id.ToString(), "--role", "Auditor");
        result.ExitCode.ShouldBe(0, result.Stderr);
        var admin = await App.ClientWithRoleAsync(StaffRoles.Administrator);
        var users = await admin.GetFromJsonAsync<List<StaffSummary>>("/api/users");
        users!.Single().Role.ShouldBe(StaffRoles.Auditor);
    }
}
