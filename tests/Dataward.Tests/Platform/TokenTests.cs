using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Dataward.Platform.Security;
using Dataward.Platform.Storage;
using Microsoft.EntityFrameworkCore;

namespace Dataward.Tests.Platform;

public sealed class TokenTests_Sqlite() : TokenTests(StorageProvider.Sqlite);

public sealed class TokenTests_Postgres() : TokenTests(StorageProvider.Postgres);

/// <summary>API tokens: shown once, stored as a hash, required on every /api call, scoped by role.</summary>
public abstract class TokenTests(StorageProvider provider) : AppTest(provider)
{
    [Fact]
    public async Task Every_api_call_without_credentials_is_401_with_a_problem()
    {
        var response = await App.Client().GetAsync("/api/audit/verify");
        response.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        response.Content.Headers.ContentType!.MediaType.ShouldBe("application/problem+json");
        (await App.Client().GetAsync("/api/no-such-thing")).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task A_token_of_the_right_role_is_let_in_and_the_wrong_role_gets_403()
    {
        var auditor = await App.ClientWithRoleAsync(StaffRoles.Auditor);
        (await auditor.GetAsync("/api/audit/verify")).StatusCode.ShouldBe(HttpStatusCode.OK);
        var forbidden = await auditor.GetAsync("/api/tokens");
        forbidden.StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        forbidden.Content.Headers.ContentType!.MediaType.ShouldBe("application/problem+json");
        var staff = await App.ClientWithRoleAsync(StaffRoles.Staff);
        (await staff.GetAsync("/api/audit")).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        var me = await staff.GetFromJsonAsync<JsonElement>("/api/me");
        me.GetProperty("role").GetString().ShouldBe(StaffRoles.Staff);
    }

    [Fact]
    public async Task A_created_token_is_returned_once_and_stored_only_as_its_hash()
    {
        var admin = await App.ClientWithRoleAsync(StaffRoles.Administrator);
        var created = await admin.PostAsJsonAsync("/api/tokens", new { name = "crm-sync", role = "Staff", expiresInDays = 30 });
        created.StatusCode.ShouldBe(HttpStatusCode.Created);
        var body = await created.Content.ReadFromJsonAsync<JsonElement>();
        var secret = body.GetProperty("secret").GetString()!;
        secret.ShouldStartWith("dw_");

        var stored = await App.WithDbAsync(db => db.ApiTokens.SingleAsync(t => t.Name == "crm-sync"));
        stored.SecretHash.ShouldBe(ApiToken.HashSecret(secret));
        stored.SecretHash.ShouldNotContain(secret[3..]);
        var listed = await admin.GetStringAsync("/api/tokens");
        listed.ShouldNotContain(secret);
        listed.ShouldNotContain(stored.SecretHash);
        (await App.ClientWithToken(secret).GetAsync("/api/me")).StatusCode.ShouldBe(HttpStatusCode.OK);
        App.Logs.Lines.ShouldNotContain(l => l.Contains(secret, StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_expired_token_is_refused_with_the_reason()
    {
        var secret = await App.CreateTokenAsync(StaffRoles.Auditor, TimeSpan.FromDays(1));
        var client = App.ClientWithToken(secret);
        (await client.GetAsync("/api/me")).StatusCode.ShouldBe(HttpStatusCode.OK);
        App.Time.Advance(TimeSpan.FromDays(1) + TimeSpan.FromSeconds(1));
        var refused = await client.GetAsync("/api/me");
        refused.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        (await refused.Content.ReadAsStringAsync()).ShouldContain("expired");
    }

    [Fact]
    public async Task A_revoked_token_is_refused_at_once_and_the_revocation_is_audited()
    {
        var admin = await App.ClientWithRoleAsync(StaffRoles.Administrator);
        var created = await (await admin.PostAsJsonAsync("/api/tokens", new { name = "short-lived", role = "Auditor" }))
            .Content.ReadFromJsonAsync<JsonElement>();
        var id = created.GetProperty("token").GetProperty("id").GetGuid();
        var victim = App.ClientWithToken(created.GetProperty("secret").GetString()!);
        (await victim.GetAsync("/api/audit/verify")).StatusCode.ShouldBe(HttpStatusCode.OK);

        (await admin.DeleteAsync($"/api/tokens/{id}")).StatusCode.ShouldBe(HttpStatusCode.NoContent);
        var refused = await victim.GetAsync("/api/audit/verify");
        refused.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        (await refused.Content.ReadAsStringAsync()).ShouldContain("revoked");
        (await admin.DeleteAsync($"/api/tokens/{id}")).StatusCode.ShouldBe(HttpStatusCode.Conflict);
        (await admin.DeleteAsync($"/api/tokens/{Guid.NewGuid()}")).StatusCode.ShouldBe(HttpStatusCode.NotFound);

        var actions = await App.WithDbAsync(db => db.AuditEntries.Where(e => e.Target == $"token:{id}").OrderBy(e => e.Sequence)
            .Select(e => e.Action).ToListAsync());
        actions.ShouldBe(["tokens.created", "tokens.revoked"]);
    }

    [Theory]
    [InlineData("dw_notarealtoken")]
    [InlineData("garbage")]
    [InlineData("")]
    public async Task Unknown_or_malformed_tokens_get_401(string secret)
    {
        var client = App.Client();
        client.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", $"Bearer {secret}");
        (await client.GetAsync("/api/me")).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task A_signed_in_session_also_reaches_the_api()
    {
        await App.CreateUserAsync("auditor@example.org", StaffRoles.Auditor);
        var ui = App.Ui();
        await ui.SignInAsync("auditor@example.org");
        (await ui.GetAsync("/api/audit/verify")).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await ui.GetAsync("/api/users")).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task A_token_with_an_unknown_role_is_refused_and_nothing_is_stored()
    {
        var admin = await App.ClientWithRoleAsync(StaffRoles.Administrator);
        var response = await admin.PostAsJsonAsync("/api/tokens", new { name = "x", role = "Superuser" });
        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        problem.GetProperty("errors").TryGetProperty("role", out _).ShouldBeTrue();
        (await App.WithDbAsync(db => db.ApiTokens.CountAsync(t => t.Name == "x"))).ShouldBe(0);
    }
}
