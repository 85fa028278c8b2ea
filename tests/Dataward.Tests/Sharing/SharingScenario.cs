using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Dataward.Platform.Security;
using Dataward.Tests.Platform;

namespace Dataward.Tests.Sharing;

/// <summary>The arrangement most sharing tests start from, made through the API as a DPO would: the CRM connected, a
/// register activity "Partner analytics" that names the processor "Acme Analytics" and holds the CRM, and that
/// processor registered with a contract, in the UK, due for review in mid-2027.</summary>
public sealed class SharingScenario(TestApp app, HttpClient dpo, CrmDatabase crm) : IAsyncDisposable
{
    public const string Recipient = "Acme Analytics";
    public const string Activity = "Partner analytics";

    public TestApp App => app;

    public HttpClient Dpo => dpo;

    public CrmDatabase Crm => crm;

    public Guid RecipientId { get; private set; }

    public Guid ActivityId { get; private set; }

    public static string ActivityJson(string name, IReadOnlyList<object> recipients, IReadOnlyList<string> sources, IReadOnlyList<string> categories) =>
        JsonSerializer.Serialize(new
        {
            name,
            status = "active",
            purposes = new[] { "analytics.reporting" },
            dataSubjects = new[] { "customer" },
            dataCategories = categories,
            lawfulBasis = "contract",
            lawfulBasisDetail = "Account terms",
            sources,
            retention = new { period = "P2Y", trigger = "created" },
            recipients,
            transfers = Array.Empty<object>(),
            datasets = new[] { "crm" },
        });

    public static object RecipientBody(string name = Recipient, string role = "processor", bool contract = true, string[]? countries = null,
        string safeguard = "none", string? tra = null, string reviewDue = "2027-06-30") => new
        {
            name,
            role,
            contact = "Jo Bloggs, privacy@acme.example",
            contractInPlace = contract,
            contractDate = contract ? "2026-01-15" : null,
            art28Clauses = new
            {
                a_documentedInstructions = true,
                b_confidentiality = true,
                c_security = true,
                d_subProcessors = true,
                e_assistRights = true,
                f_assistCompliance = true,
                g_deleteOrReturn = true,
                h_auditInfo = true,
            },
            countries = countries ?? ["GB"],
            transferSafeguard = safeguard,
            traReference = tra,
            reviewDue,
        };

    public static async Task<SharingScenario> StartAsync(TestApp app)
    {
        var dpo = await app.ClientWithRoleAsync(StaffRoles.DataProtectionOfficer);
        var crm = await CrmDatabase.CreateAsync(app.Database.Provider);
        await crm.ConnectAsync(dpo);
        var scenario = new SharingScenario(app, dpo, crm);
        scenario.ActivityId = (await scenario.PostAsync("/api/register/activities",
            ActivityJson(Activity, [new { name = Recipient, kind = "processor", country = "GB" }], ["crm"],
                ["user.contact.email", "user.contact.address.country", "user.demographic.date_of_birth", "user.contact.address.postal_code"])))
            .GetProperty("id").GetGuid();
        scenario.RecipientId = (await scenario.PostAsync("/api/recipients", JsonSerializer.Serialize(RecipientBody()))).GetProperty("id").GetGuid();
        return scenario;
    }

    /// <summary>The agreement, made active with a review date, plus any extra properties.</summary>
    public async Task<string> ActiveAgreementAsync(object fields, object? extra = null)
    {
        var body = JsonNode.Parse(JsonSerializer.Serialize(new
        {
            recipient = Recipient,
            activity = Activity,
            collection = "crm:users",
            fields,
            status = "active",
            reviewDue = "2027-03-31",
        }))!.AsObject();
        if (extra is not null)
        {
            foreach (var (key, value) in JsonNode.Parse(JsonSerializer.Serialize(extra))!.AsObject())
            {
                body[key] = value?.DeepClone();
            }
        }
        return (await PostAsync("/api/sharing/agreements", body.ToJsonString())).GetProperty("reference").GetString()!;
    }

    public async Task<JsonElement> PostAsync(string path, string json, HttpStatusCode expected = HttpStatusCode.Created)
    {
        var response = await dpo.PostAsync(path, new StringContent(json, Encoding.UTF8, "application/json"));
        var body = await response.Content.ReadAsStringAsync();
        response.StatusCode.ShouldBe(expected, body);
        return JsonDocument.Parse(body).RootElement;
    }

    public static StringContent Json(object body) => new(body as string ?? JsonSerializer.Serialize(body), Encoding.UTF8, "application/json");

    /// <summary>A problem response's status, rule id and detail.</summary>
    public static async Task<JsonElement> ProblemAsync(HttpResponseMessage response, HttpStatusCode status, string? ruleId = null)
    {
        var body = await response.Content.ReadAsStringAsync();
        response.StatusCode.ShouldBe(status, body);
        response.Content.Headers.ContentType!.MediaType.ShouldBe("application/problem+json");
        var problem = JsonDocument.Parse(body).RootElement;
        if (ruleId is not null)
        {
            problem.GetProperty("ruleId").GetString().ShouldBe(ruleId, body);
        }
        return problem;
    }

    /// <summary>Rows of a CSV extract (the test data holds no commas or quotes), header first.</summary>
    public static List<string[]> Csv(string text) =>
        [.. text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => line.TrimEnd('\r').Split(','))];

    public ValueTask DisposeAsync() => crm.DisposeAsync();
}
