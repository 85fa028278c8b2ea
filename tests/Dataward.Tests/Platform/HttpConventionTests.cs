using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Dataward.Platform.Security;
using Dataward.Platform.Storage;

namespace Dataward.Tests.Platform;

/// <summary>OpenAPI, problem details, security headers and rate limits: what every capability inherits.</summary>
public sealed class HttpConventionTests() : AppTest(StorageProvider.Sqlite)
{
    protected override IDictionary<string, string?> Settings => new Dictionary<string, string?> { ["Security:SignInAttemptsPerMinute"] = "3" };

    [Fact]
    public async Task The_openapi_document_and_the_reference_page_are_served()
    {
        var document = await App.Client().GetFromJsonAsync<JsonElement>("/openapi/v1.json");
        var paths = document.GetProperty("paths");
        paths.TryGetProperty("/api/audit/verify", out _).ShouldBeTrue();
        paths.TryGetProperty("/api/tokens", out _).ShouldBeTrue();
        document.GetProperty("components").GetProperty("securitySchemes").TryGetProperty("bearer", out _).ShouldBeTrue();
        var reference = await App.Client().GetAsync("/scalar/v1");
        reference.StatusCode.ShouldBe(HttpStatusCode.OK);
        (await reference.Content.ReadAsStringAsync()).ShouldContain("Dataward API");
    }

    [Fact]
    public async Task Malformed_json_is_a_400_problem_naming_the_body()
    {
        var admin = await App.ClientWithRoleAsync(StaffRoles.Administrator);
        var response = await admin.PostAsync("/api/tokens", new StringContent("this is not json", Encoding.UTF8, "application/json"));
        await ShouldBeProblemAsync(response, HttpStatusCode.BadRequest, "body");
    }

    [Fact]
    public async Task A_wrong_type_is_a_400_problem_naming_the_field()
    {
        var admin = await App.ClientWithRoleAsync(StaffRoles.Administrator);
        var response = await admin.PostAsync("/api/tokens",
            new StringContent("{\"name\": 12, \"role\": \"Staff\"}", Encoding.UTF8, "application/json"));
        await ShouldBeProblemAsync(response, HttpStatusCode.BadRequest, "name");
        var days = await admin.PostAsync("/api/tokens",
            new StringContent("{\"name\": \"n\", \"role\": \"Staff\", \"expiresInDays\": \"soon\"}", Encoding.UTF8, "application/json"));
        await ShouldBeProblemAsync(days, HttpStatusCode.BadRequest, "expiresInDays");
    }

    [Fact]
    public async Task A_missing_field_is_a_400_problem_naming_it()
    {
        var admin = await App.ClientWithRoleAsync(StaffRoles.Administrator);
        var response = await admin.PostAsync("/api/tokens", new StringContent("{\"name\": \"n\"}", Encoding.UTF8, "application/json"));
        await ShouldBeProblemAsync(response, HttpStatusCode.BadRequest, "role");
    }

    [Fact]
    public async Task An_out_of_range_value_is_a_400_problem_naming_it()
    {
        var admin = await App.ClientWithRoleAsync(StaffRoles.Administrator);
        var response = await admin.PostAsJsonAsync("/api/tokens", new { name = "n", role = "Staff", expiresInDays = 99999 });
        await ShouldBeProblemAsync(response, HttpStatusCode.BadRequest, "expiresInDays");
    }

    [Fact]
    public async Task An_unknown_field_is_refused_rather_than_ignored()
    {
        var admin = await App.ClientWithRoleAsync(StaffRoles.Administrator);
        var response = await admin.PostAsync("/api/tokens",
            new StringContent("{\"name\": \"n\", \"role\": \"Staff\", \"isAdmin\": true}", Encoding.UTF8, "application/json"));
        await ShouldBeProblemAsync(response, HttpStatusCode.BadRequest, "isAdmin");
    }

    [Fact]
    public async Task An_unknown_api_route_is_a_404_problem()
    {
        var admin = await App.ClientWithRoleAsync(StaffRoles.Administrator);
        var response = await admin.GetAsync("/api/nothing/here");
        response.StatusCode.ShouldBe(HttpStatusCode.NotFound);
        response.Content.Headers.ContentType!.MediaType.ShouldBe("application/problem+json");
        var wrongMethod = await admin.PatchAsync("/api/audit/verify", null);
        ((int)wrongMethod.StatusCode).ShouldBeInRange(400, 499);
    }

    [Fact]
    public async Task Responses_carry_security_headers()
    {
        var response = await App.Client().GetAsync("/account/login");
        response.Headers.GetValues("X-Content-Type-Options").ShouldContain("nosniff");
        response.Headers.GetValues("X-Frame-Options").ShouldContain("DENY");
        response.Headers.GetValues("Content-Security-Policy").Single().ShouldContain("frame-ancestors 'none'");
        response.Headers.GetValues("Referrer-Policy").ShouldContain("no-referrer");
    }

    [Fact]
    public async Task Sign_in_attempts_are_rate_limited_per_client()
    {
        await App.CreateUserAsync("staff@example.org", StaffRoles.Staff);
        var ui = App.Ui();
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 4; i++)
        {
            statuses.Add((await ui.SignInAsync("staff@example.org", $"wrong {i} password")).StatusCode);
        }
        statuses.Take(3).ShouldAllBe(s => s == HttpStatusCode.OK);
        statuses[3].ShouldBe(HttpStatusCode.TooManyRequests);
        (await ui.GetAsync("/account/login")).StatusCode.ShouldBe(HttpStatusCode.OK, "viewing the form is not limited");
    }

    [Fact]
    public async Task Unknown_pages_get_a_readable_404_page()
    {
        await App.CreateUserAsync("staff@example.org", StaffRoles.Staff);
        var ui = App.Ui();
        await ui.SignInAsync("staff@example.org");
        var response = await ui.GetAsync("/no/such/page");
        response.StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await response.Content.ReadAsStringAsync()).ShouldContain("Page not found");
        var anonymous = await App.Client().GetAsync("/no/such/page");
        anonymous.StatusCode.ShouldBe(HttpStatusCode.Redirect, "anonymous visitors learn nothing about which pages exist");
    }

    private static async Task ShouldBeProblemAsync(HttpResponseMessage response, HttpStatusCode status, string field)
    {
        var body = await response.Content.ReadAsStringAsync();
        response.StatusCode.ShouldBe(status, body);
        response.Content.Headers.ContentType!.MediaType.ShouldBe("application/problem+json");
        var problem = JsonDocument.Parse(body).RootElement;
        problem.GetProperty("status").GetInt32().ShouldBe((int)status);
        var errors = problem.GetProperty("errors");
        errors.EnumerateObject().Select(p => p.Name).ShouldContain(n => n.Equals(field, StringComparison.OrdinalIgnoreCase), body);
    }
}
