using System.Net;
using Dataward.Platform.Security;
using Dataward.Platform.Storage;

namespace Dataward.Tests.Platform;

/// <summary>Every page, with odd ids and query values, answers with something a person can read: never a 500.</summary>
public sealed class PageSmokeTests() : AppTest(StorageProvider.Sqlite)
{
    private static readonly string Missing = Guid.NewGuid().ToString();

    public static TheoryData<string> Pages() =>
    [
        "/", "/account", "/account/two-factor", "/audit", "/audit?page=-1&from=notadate&to=%00&action=" + new string('x', 3000), "/audit?page=abc", "/audit?page=99999999999",
        $"/register/{Missing}?saved=abc",
        "/users", "/tokens", "/register", "/register?status=nonsense&lawfulBasis=whim&special=maybe&overdue=yes", "/register/new",
        $"/register/{Missing}", $"/register/{Missing}/edit", $"/register/{Missing}/diff/1/2", "/register/print",
        "/register/organisation", "/register/taxonomy?kind=colours", "/datasets", "/datasets/..%2F..%2Fetc", "/datasets/" + new string('k', 500),
        "/consent", "/consent/record", "/consent/subjects", "/consent/trends", "/consent/trends?from=notadate&to=%00",
        "/consent/trends?from=2026-12-01&to=2026-01-01", "/consent/trends?from=0001-01-01&to=9999-12-31", "/notices", "/status/999", "/no/such/page", "/privacy/withdraw", "/privacy/withdraw?t=" + new string('a', 3000),
        "/privacy", "/privacy/notice", "/privacy/notice/1", "/privacy/notice/-1", "/privacy/notice/" + new string('9', 400), "/privacy/preferences",
        "/privacy/parental-consent", "/privacy/parental-consent?t=" + new string('a', 3000), "/privacy/parental-consent?t=0.x.1.y",
        "/.well-known/gpc.json", "/requests", "/requests?due=overdue&state=nonsense", "/requests/new", $"/requests/{Missing}",
        $"/requests/{Missing}/plan", "/connections", "/privacy/requests", $"/privacy/requests/{Missing}", $"/privacy/requests/{Missing}/download",
        $"/privacy/requests/{Missing}/package?t=" + new string('a', 3000),
        "/breaches", "/breaches/new", $"/breaches/{Missing}", $"/breaches/{Missing}?reported=1",
        "/recipients", $"/recipients/{Missing}", "/sharing", "/sharing/exports", "/sharing/DSA-2026-0001", "/sharing/" + new string('d', 500),
        "/sharing/..%2F..%2Fetc", "/pseudonymisation",
        "/retention", "/retention/new", $"/retention/{Missing}", $"/retention/{Missing}?saved=1", $"/retention/{Missing}/edit", "/retention/print",
        "/retention/sweeps", "/retention/sweeps?from=notadate&to=%00", "/retention/sweeps?from=2026-12-01&to=2026-01-01",
        "/retention/sweeps?from=0001-01-01&to=9999-12-31", $"/retention/sweeps/{Missing}", "/retention/holds", "/retention/erasures",
        "/dpias", $"/dpias/{Missing}", $"/dpias/{Missing}?created=1", $"/dpias/screening/{Missing}", "/dpias/screening/not-a-guid",
        "/training", "/training?status=nonsense", "/training?status=overdue", "/training/courses", "/training/record", "/training/record?staff=" + Missing,
        "/training/record?staff=not-a-guid", "/training/import", $"/training/staff/{Missing}", $"/training/staff/{Missing}?recorded=1",
        "/complaints", "/complaints?due=never&status=" + new string('x', 500), "/complaints/new", $"/complaints/{Missing}", $"/complaints/{Missing}?logged=1",
        "/privacy/complaints",
        "/dashboard", "/dashboard?months=abc&quarters=" + new string('9', 400), "/dashboard?months=36&quarters=12", "/reports/management",
        "/reports/management?from=2026-12-01&to=2026-01-01", "/reports/management?from=notadate&to=%00",
        "/reports/management?from=0001-01-01&to=9999-12-31", "/reports/management?recommendations=" + new string('r', 5000),
    ];

    [Theory]
    [MemberData(nameof(Pages))]
    public async Task A_signed_in_administrator_never_gets_a_server_error(string path)
    {
        await App.CreateUserAsync("admin@example.org", StaffRoles.Administrator);
        var ui = App.Ui();
        await ui.SignInAsync("admin@example.org");
        var response = await ui.GetAsync(path);
        ((int)response.StatusCode).ShouldBeLessThan(500, await response.Content.ReadAsStringAsync());
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            (await response.Content.ReadAsStringAsync()).ShouldContain("<h1");
        }
    }
}
