using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Dataward.Platform.Security;
using Dataward.Platform.Storage;

namespace Dataward.Tests.Platform;

/// <summary>Sends bad input to every operation the OpenAPI document lists and expects a 4xx, never a 500: malformed
/// bodies, wrong types, huge and deeply nested documents, odd ids and odd query values. New operations are covered
/// as soon as they appear in the document.</summary>
public sealed class ApiFuzzTests() : AppTest(StorageProvider.Sqlite)
{
    // A real socket, so Kestrel's own limits (request size, path rules) are part of what is tested.
    protected override bool UseKestrel => true;

    private static readonly string[] OddIds =
        ["0", "-1", "999999999999999999999", "not-a-guid", "%00", "..%2F..%2Fetc%2Fpasswd", "00000000-0000-0000-0000-000000000000",
         new string('a', 2000), "%F0%9F%92%A3", "1e309", "null", "'%20OR%201=1--"];

    private static IEnumerable<(string Name, HttpContent Content)> BadBodies()
    {
        yield return ("malformed", Json("{\"a\": "));
        yield return ("not json", Json("<xml/>"));
        yield return ("empty", Json(""));
        yield return ("array", Json("[1,2,3]"));
        yield return ("string", Json("\"text\""));
        yield return ("null", Json("null"));
        yield return ("wrong types", Json("{\"name\": 1, \"role\": [], \"email\": {}, \"password\": false, \"expiresInDays\": \"x\"}"));
        yield return ("nulls", Json("{\"name\": null, \"role\": null, \"email\": null, \"password\": null}"));
        yield return ("deeply nested", Json(new string('[', 100_000) + new string(']', 100_000)));
        yield return ("deeply nested object", Json(string.Concat(Enumerable.Repeat("{\"a\":", 5000)) + "1" + new string('}', 5000)));
        yield return (Huge, Json("{\"name\": \"" + new string('x', 3 * 1024 * 1024) + "\", \"role\": \"Staff\"}"));
        yield return (OverLimit, Json("{\"name\": \"" + new string('x', 5 * 1024 * 1024) + "\", \"role\": \"Staff\"}"));
        yield return ("huge number", Json("{\"expiresInDays\": 1" + new string('0', 400) + "}"));
        yield return ("bad utf-8", new ByteArrayContent([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d]) { Headers = { ContentType = new MediaTypeHeaderValue("application/json") } });
        yield return ("wrong content type", new StringContent("name=x", Encoding.UTF8, "application/x-www-form-urlencoded"));
        yield return ("text", new StringContent("{}", Encoding.UTF8, "text/plain"));
    }

    private const string Huge = "huge";
    private const string OverLimit = "over the body limit";

    private static StringContent Json(string text) => new(text, Encoding.UTF8, "application/json");

    [Fact]
    public async Task No_operation_answers_bad_input_with_a_server_error()
    {
        var secret = await App.CreateTokenAsync(StaffRoles.Administrator);
        var admin = App.ClientWithToken(secret);
        var document = JsonDocument.Parse(await App.Client().GetStringAsync("/openapi/v1.json")).RootElement;
        var operations = new List<(string Method, string Path)>();
        foreach (var path in document.GetProperty("paths").EnumerateObject())
        {
            foreach (var method in path.Value.EnumerateObject().Where(m => m.Name is "get" or "post" or "put" or "delete" or "patch"))
            {
                operations.Add((method.Name.ToUpperInvariant(), path.Name));
            }
        }
        operations.Count.ShouldBeGreaterThan(5);

        var failures = new List<string>();
        var requests = 0;
        foreach (var (method, template) in operations)
        {
            foreach (var id in OddIds)
            {
                var path = System.Text.RegularExpressions.Regex.Replace(template, "\\{[^}]+\\}", id);
                var query = "?page=abc&pageSize=-5&from=notadate&to=%00&action=" + Uri.EscapeDataString(new string('x', 5000));
                foreach (var (name, body) in method is "POST" or "PUT" or "PATCH" ? BadBodies() : [("none", null!)])
                {
                    using var request = new HttpRequestMessage(new HttpMethod(method), path + query) { Content = body };
                    // One connection per request: a connection the server closed early is never reused.
                    request.Headers.ConnectionClose = true;
                    HttpResponseMessage response;
                    try
                    {
                        response = await admin.SendAsync(request);
                    }
                    catch (HttpRequestException) when (name is Huge or OverLimit)
                    {
                        // A server that answers before reading a large body (413, or 404 for an odd id) closes the
                        // connection while the client is still sending; it must still be there for the next client.
                        admin.Dispose();
                        admin = App.ClientWithToken(secret);
                        (await admin.GetAsync("/health/live")).IsSuccessStatusCode.ShouldBeTrue();
                        continue;
                    }
                    using var _ = response;
                    requests++;
                    if ((int)response.StatusCode >= 500)
                    {
                        failures.Add($"{method} {template} id={id[..Math.Min(id.Length, 20)]} body={name}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
                    }
                    else if ((int)response.StatusCode >= 400 && response.Content.Headers.ContentLength != 0)
                    {
                        response.Content.Headers.ContentType?.MediaType.ShouldBe("application/problem+json", $"{method} {template} body={name}");
                    }
                }
            }
        }
        requests.ShouldBeGreaterThan(operations.Count * OddIds.Length);
        failures.ShouldBeEmpty($"{failures.Count} of {requests} requests failed with 5xx");
        (await admin.GetStringAsync("/api/audit/verify")).ShouldContain("\"intact\":true");
    }
}
