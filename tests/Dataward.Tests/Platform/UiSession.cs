using System.Net;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Net.Http.Headers;

namespace Dataward.Tests.Platform;

/// <summary>Drives the server-rendered UI the way a browser without JavaScript would.</summary>
public sealed partial class UiSession
{
    private readonly HttpClient client;
    private readonly CookieContainer cookies = new();

    public UiSession(TestServer server)
    {
        var handler = new CookieHandler(cookies) { InnerHandler = server.CreateHandler() };
        client = new HttpClient(handler) { BaseAddress = server.BaseAddress };
    }

    public HttpClient Client => client;

    public Task<HttpResponseMessage> GetAsync(string path) => client.GetAsync(path);

    public async Task<string> GetPageAsync(string path)
    {
        var response = await client.GetAsync(path);
        response.StatusCode.ShouldBe(HttpStatusCode.OK, $"GET {path}");
        return await response.Content.ReadAsStringAsync();
    }

    /// <summary>Loads <paramref name="path"/>, then posts the named form with its antiforgery token and the given fields.</summary>
    public async Task<HttpResponseMessage> SubmitAsync(string path, string formName, IDictionary<string, string> fields)
    {
        var page = await client.GetAsync(path);
        var html = await page.Content.ReadAsStringAsync();
        var token = AntiforgeryField().Match(html);
        token.Success.ShouldBeTrue($"{path} has no antiforgery token (status {(int)page.StatusCode})");
        var form = new Dictionary<string, string>(fields)
        {
            ["_handler"] = formName,
            ["__RequestVerificationToken"] = WebUtility.HtmlDecode(token.Groups[1].Value),
        };
        return await client.PostAsync(path, new FormUrlEncodedContent(form));
    }

    public async Task<HttpResponseMessage> SignInAsync(string email, string password = TestApp.Password) =>
        await SubmitAsync("/account/login", "login", new Dictionary<string, string>
        {
            ["Input.Email"] = email,
            ["Input.Password"] = password,
        });

    [GeneratedRegex("name=\"__RequestVerificationToken\" value=\"([^\"]+)\"")]
    private static partial Regex AntiforgeryField();

    private sealed class CookieHandler(CookieContainer cookies) : DelegatingHandler
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var uri = request.RequestUri!;
            var header = cookies.GetCookieHeader(uri);
            if (header.Length > 0)
            {
                request.Headers.Add(HeaderNames.Cookie, header);
            }
            var response = await base.SendAsync(request, cancellationToken);
            if (response.Headers.TryGetValues(HeaderNames.SetCookie, out var values))
            {
                foreach (var value in values)
                {
                    cookies.SetCookies(uri, value);
                }
            }
            return response;
        }
    }
}
