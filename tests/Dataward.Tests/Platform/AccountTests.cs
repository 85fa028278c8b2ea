using System.Net;
using System.Net.Http.Json;
using Dataward.Platform.Security;
using Dataward.Platform.Storage;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using OtpNet;

namespace Dataward.Tests.Platform;

public sealed class AccountTests_Sqlite() : AccountTests(StorageProvider.Sqlite);

public sealed class AccountTests_Postgres() : AccountTests(StorageProvider.Postgres);

/// <summary>First administrator, sign-in, lockout, second factor and role-based pages, through the UI.</summary>
public abstract class AccountTests(StorageProvider provider) : AppTest(provider)
{
    private async Task<int> AccountCountAsync() => await App.WithDbAsync(db => db.Users.CountAsync());

    [Fact]
    public async Task The_first_visit_offers_to_create_the_first_administrator_who_is_then_signed_in()
    {
        var ui = App.Ui();
        var home = await ui.GetAsync("/");
        home.StatusCode.ShouldBe(HttpStatusCode.Redirect);
        var login = await ui.GetAsync(home.Headers.Location!.ToString());
        login.StatusCode.ShouldBe(HttpStatusCode.Redirect);
        login.Headers.Location!.AbsolutePath.ShouldBe("/setup");
        (await ui.GetPageAsync("/setup")).ShouldContain("Create the first administrator");

        var created = await ui.SubmitAsync("/setup", "setup", new Dictionary<string, string>
        {
            ["Input.Email"] = "dpo-admin@example.org",
            ["Input.Password"] = TestApp.Password,
        });
        created.StatusCode.ShouldBe(HttpStatusCode.Redirect, await created.Content.ReadAsStringAsync());
        (await ui.GetPageAsync("/")).ShouldContain("dpo-admin@example.org");
        var users = await App.WithDbAsync(db => db.Users.Select(u => u.Email).ToListAsync());
        users.ShouldBe(["dpo-admin@example.org"]);
    }

    [Fact]
    public async Task A_second_first_administrator_is_refused_and_nothing_changes()
    {
        await App.CreateUserAsync("admin@example.org", StaffRoles.Administrator);
        var ui = App.Ui();
        var page = await ui.GetPageAsync("/setup");
        page.ShouldContain("An administrator already exists");
        page.ShouldNotContain("Input.Password");

        // A forged post (token taken from another form) is still refused.
        var login = await ui.GetPageAsync("/account/login");
        var token = System.Text.RegularExpressions.Regex.Match(login, "name=\"__RequestVerificationToken\" value=\"([^\"]+)\"").Groups[1].Value;
        var forged = await ui.Client.PostAsync("/setup", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["_handler"] = "setup",
            ["__RequestVerificationToken"] = WebUtility.HtmlDecode(token),
            ["Input.Email"] = "intruder@example.org",
            ["Input.Password"] = TestApp.Password,
        }));
        // No setup form is offered any more, so the post names a form that does not exist.
        forged.StatusCode.ShouldBeOneOf(HttpStatusCode.BadRequest, HttpStatusCode.Conflict);
        (await AccountCountAsync()).ShouldBe(1);
    }

    [Fact]
    public async Task The_first_administrator_can_only_be_created_from_loopback()
    {
        var context = await App.Server.SendAsync(c =>
        {
            c.Request.Method = "GET";
            c.Request.Path = "/setup";
            c.Connection.RemoteIpAddress = IPAddress.Parse("203.0.113.7");
        });
        context.Response.StatusCode.ShouldBe(403);
        var proxied = App.Client();
        proxied.DefaultRequestHeaders.Add("X-Forwarded-For", "203.0.113.7");
        var response = await proxied.GetAsync("/setup");
        response.StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await response.Content.ReadAsStringAsync()).ShouldContain("only be created from the server itself");
        (await AccountCountAsync()).ShouldBe(0);
    }

    [Fact]
    public async Task A_weak_password_is_refused_with_the_rule_and_no_account_is_created()
    {
        var ui = App.Ui();
        var response = await ui.SubmitAsync("/setup", "setup", new Dictionary<string, string>
        {
            ["Input.Email"] = "admin@example.org",
            ["Input.Password"] = "short",
        });
        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await response.Content.ReadAsStringAsync()).ShouldContain("at least 12 characters");
        (await AccountCountAsync()).ShouldBe(0);
    }

    [Fact]
    public async Task Staff_sign_in_with_e_mail_and_password_and_each_attempt_is_audited()
    {
        var user = await App.CreateUserAsync("staff@example.org", StaffRoles.Staff);
        var ui = App.Ui();
        var wrong = await ui.SignInAsync("staff@example.org", "not the password at all");
        wrong.StatusCode.ShouldBe(HttpStatusCode.OK);
        (await wrong.Content.ReadAsStringAsync()).ShouldContain("not right");

        var right = await ui.SignInAsync("staff@example.org");
        right.StatusCode.ShouldBe(HttpStatusCode.Redirect);
        right.Headers.Location!.AbsolutePath.ShouldBe("/");
        (await ui.GetPageAsync("/")).ShouldContain("staff@example.org");

        var actions = await App.WithDbAsync(db => db.AuditEntries.Where(e => e.Target == $"user:{user.Id}")
            .OrderBy(e => e.Sequence).Select(e => e.Action).ToListAsync());
        actions.ShouldBe(["users.created", "auth.sign_in_failed", "auth.sign_in"]);
        App.Logs.Lines.ShouldNotBeEmpty();
        App.Logs.Lines.ShouldNotContain(l => l.Contains("staff@example.org", StringComparison.OrdinalIgnoreCase));
        App.Logs.Lines.ShouldNotContain(l => l.Contains(TestApp.Password, StringComparison.Ordinal));
        App.Logs.Lines.ShouldNotContain(l => l.Contains("not the password at all", StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_account_locks_after_five_failed_passwords_even_for_the_right_one()
    {
        var user = await App.CreateUserAsync("staff@example.org", StaffRoles.Staff);
        var ui = App.Ui();
        for (var i = 0; i < 5; i++)
        {
            await ui.SignInAsync("staff@example.org", $"wrong password {i}");
        }
        var locked = await ui.SignInAsync("staff@example.org");
        locked.StatusCode.ShouldBe(HttpStatusCode.OK);
        (await locked.Content.ReadAsStringAsync()).ShouldContain("locked");
        var reasons = await App.WithDbAsync(db => db.AuditEntries.Where(e => e.Action == "auth.sign_in_failed" && e.Target == $"user:{user.Id}")
            .Select(e => e.Details).ToListAsync());
        reasons.Last().ShouldContain("locked_out");

        var admin = await App.ClientWithRoleAsync(StaffRoles.Administrator);
        (await admin.PostAsync($"/api/users/{user.Id}/unlock", null)).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await ui.SignInAsync("staff@example.org")).StatusCode.ShouldBe(HttpStatusCode.Redirect);
    }

    [Fact]
    public async Task An_unknown_e_mail_address_fails_without_being_written_anywhere()
    {
        await App.CreateUserAsync("admin@example.org", StaffRoles.Administrator);
        var response = await App.Ui().SignInAsync("nobody.secret@example.org", "whatever password 123");
        (await response.Content.ReadAsStringAsync()).ShouldContain("not right");
        var details = await App.WithDbAsync(db => db.AuditEntries.Select(e => e.Details + e.Target + e.Actor).ToListAsync());
        details.ShouldNotContain(d => d.Contains("nobody.secret", StringComparison.Ordinal));
        App.Logs.Lines.ShouldNotContain(l => l.Contains("nobody.secret", StringComparison.Ordinal));
        App.Logs.Lines.ShouldNotContain(l => l.Contains("whatever password", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Staff_can_enrol_an_authenticator_and_sign_in_with_its_code()
    {
        await App.CreateUserAsync("dpo@example.org", StaffRoles.DataProtectionOfficer);
        var ui = App.Ui();
        await ui.SignInAsync("dpo@example.org");
        var setup = await ui.GetPageAsync("/account/two-factor");
        var key = System.Text.RegularExpressions.Regex.Match(setup, "data-testid=\"authenticator-key\">([A-Z2-7]+)<").Groups[1].Value;
        key.ShouldNotBeNullOrEmpty();
        var totp = new Totp(Base32Encoding.ToBytes(key));

        var wrongCode = await ui.SubmitAsync("/account/two-factor", "enable", new Dictionary<string, string> { ["Input.Code"] = "000000" == totp.ComputeTotp() ? "111111" : "000000" });
        wrongCode.StatusCode.ShouldBe(HttpStatusCode.BadRequest);

        var enabled = await ui.SubmitAsync("/account/two-factor", "enable", new Dictionary<string, string> { ["Input.Code"] = totp.ComputeTotp() });
        var enabledPage = await enabled.Content.ReadAsStringAsync();
        enabledPage.ShouldContain("recovery codes");

        var fresh = App.Ui();
        var password = await fresh.SignInAsync("dpo@example.org");
        password.StatusCode.ShouldBe(HttpStatusCode.Redirect);
        password.Headers.Location!.AbsolutePath.ShouldBe("/account/login-2fa");
        (await fresh.GetAsync("/")).StatusCode.ShouldBe(HttpStatusCode.Redirect, "not signed in before the second factor");

        var code = await fresh.SubmitAsync(password.Headers.Location!.PathAndQuery, "code", new Dictionary<string, string> { ["Code.Value"] = totp.ComputeTotp() });
        code.StatusCode.ShouldBe(HttpStatusCode.Redirect, await code.Content.ReadAsStringAsync());
        (await fresh.GetPageAsync("/")).ShouldContain("dpo@example.org");
        var actions = await App.WithDbAsync(db => db.AuditEntries.Select(e => e.Action).ToListAsync());
        actions.ShouldContain("auth.two_factor_enabled");
        actions.ShouldContain("auth.password_verified");
    }

    [Theory]
    [InlineData(StaffRoles.Staff, "/audit", false)]
    [InlineData(StaffRoles.Staff, "/users", false)]
    [InlineData(StaffRoles.Auditor, "/audit", true)]
    [InlineData(StaffRoles.Auditor, "/users", false)]
    [InlineData(StaffRoles.Auditor, "/tokens", false)]
    [InlineData(StaffRoles.DataProtectionOfficer, "/audit", true)]
    [InlineData(StaffRoles.DataProtectionOfficer, "/tokens", false)]
    [InlineData(StaffRoles.Administrator, "/users", true)]
    [InlineData(StaffRoles.Administrator, "/tokens", true)]
    public async Task Each_role_sees_only_the_pages_it_allows(string role, string path, bool allowed)
    {
        await App.CreateUserAsync("person@example.org", role);
        var ui = App.Ui();
        await ui.SignInAsync("person@example.org");
        var response = await ui.GetAsync(path);
        if (allowed)
        {
            response.StatusCode.ShouldBe(HttpStatusCode.OK);
        }
        else
        {
            response.StatusCode.ShouldBe(HttpStatusCode.Redirect);
            response.Headers.Location!.AbsolutePath.ShouldBe("/account/access-denied");
        }
        var home = await ui.GetPageAsync("/");
        home.Contains("href=\"/users\"", StringComparison.Ordinal).ShouldBe(role == StaffRoles.Administrator);
        home.Contains("href=\"/audit\"", StringComparison.Ordinal).ShouldBe(role is StaffRoles.Administrator or StaffRoles.DataProtectionOfficer or StaffRoles.Auditor);
    }

    [Fact]
    public async Task An_administrator_changes_a_role_in_the_ui_and_the_change_is_audited()
    {
        await App.CreateUserAsync("admin@example.org", StaffRoles.Administrator);
        var staff = await App.CreateUserAsync("staff@example.org", StaffRoles.Staff);
        var ui = App.Ui();
        await ui.SignInAsync("admin@example.org");
        var changed = await ui.SubmitAsync("/users", $"role-{staff.Id}", new Dictionary<string, string>
        {
            ["Change.UserId"] = staff.Id.ToString(),
            ["Change.Role"] = StaffRoles.Auditor,
        });
        (await changed.Content.ReadAsStringAsync()).ShouldContain("staff@example.org is now Auditor");
        var entry = await App.WithDbAsync(db => db.AuditEntries.SingleAsync(e => e.Action == "users.role_changed"));
        entry.Target.ShouldBe($"user:{staff.Id}");
        entry.Details.ShouldBe("{\"from\":\"Staff\",\"to\":\"Auditor\"}");
        entry.Actor.ShouldStartWith("user:");
    }

    [Fact]
    public async Task An_administrator_creates_a_token_in_the_ui_sees_it_once_and_revokes_it()
    {
        await App.CreateUserAsync("admin@example.org", StaffRoles.Administrator);
        var ui = App.Ui();
        await ui.SignInAsync("admin@example.org");
        var created = await ui.SubmitAsync("/tokens", "create-token", new Dictionary<string, string>
        {
            ["NewToken.Name"] = "warehouse",
            ["NewToken.Role"] = StaffRoles.Auditor,
            ["NewToken.Days"] = "30",
        });
        var page = await created.Content.ReadAsStringAsync();
        var secret = System.Text.RegularExpressions.Regex.Match(page, "data-testid=\"new-token\">(dw_[A-Za-z0-9_-]+)<").Groups[1].Value;
        secret.ShouldStartWith("dw_");
        (await App.ClientWithToken(secret).GetAsync("/api/audit/verify")).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await ui.GetPageAsync("/tokens")).ShouldNotContain(secret);

        var token = await App.WithDbAsync(db => db.ApiTokens.SingleAsync(t => t.Name == "warehouse"));
        token.ExpiresAt.ShouldBe(App.Time.GetUtcNow().AddDays(30));
        var revoked = await ui.SubmitAsync("/tokens", $"revoke-{token.Id}", new Dictionary<string, string> { ["Revoke.Id"] = token.Id.ToString() });
        (await revoked.Content.ReadAsStringAsync()).ShouldContain("Revoked warehouse");
        (await App.ClientWithToken(secret).GetAsync("/api/audit/verify")).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task The_last_administrator_cannot_be_demoted()
    {
        var admin = await App.CreateUserAsync("admin@example.org", StaffRoles.Administrator);
        var api = await App.ClientWithRoleAsync(StaffRoles.Administrator);
        var response = await api.PutAsJsonAsync($"/api/users/{admin.Id}/role", new { role = "Staff" });
        response.StatusCode.ShouldBe(HttpStatusCode.Conflict);
        await using var scope = App.Services.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<StaffUser>>();
        (await users.IsInRoleAsync((await users.FindByIdAsync(admin.Id.ToString()))!, StaffRoles.Administrator)).ShouldBeTrue();
    }

    [Fact]
    public async Task Session_keys_are_stored_encrypted_with_the_key_ring()
    {
        await App.CreateUserAsync("staff@example.org", StaffRoles.Staff);
        (await App.Ui().SignInAsync("staff@example.org")).StatusCode.ShouldBe(HttpStatusCode.Redirect);
        var stored = await App.WithDbAsync(db => db.DataProtectionKeys.Select(k => k.Xml).ToListAsync());
        stored.ShouldNotBeEmpty();
        stored.ShouldAllBe(xml => xml!.Contains("encryptedKey") && !xml.Contains("<masterKey"));
    }

    [Fact]
    public async Task Forms_without_an_antiforgery_token_are_refused()
    {
        await App.CreateUserAsync("staff@example.org", StaffRoles.Staff);
        var ui = App.Ui();
        var response = await ui.Client.PostAsync("/account/login", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["_handler"] = "login",
            ["Input.Email"] = "staff@example.org",
            ["Input.Password"] = TestApp.Password,
        }));
        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (response.Headers.TryGetValues("Set-Cookie", out var cookies) ? cookies : []).ShouldNotContain(c => c.StartsWith("dataward.session", StringComparison.Ordinal));
    }
}
