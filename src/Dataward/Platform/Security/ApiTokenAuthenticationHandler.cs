using System.Security.Claims;
using System.Text.Encodings.Web;
using Dataward.Audit;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace Dataward.Platform.Security;

/// <summary>Authenticates <c>Authorization: Bearer dw_...</c> against the stored token hashes.</summary>
public sealed class ApiTokenAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder, ApiTokenCache tokens)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "Bearer";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        string? header = Request.Headers.Authorization;
        if (header is null || !header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return AuthenticateResult.NoResult();
        }
        var (token, problem) = await tokens.CheckAsync(header["Bearer ".Length..].Trim(), Context.RequestAborted);
        if (token is null)
        {
            Context.Items[nameof(ApiTokenAuthenticationHandler)] = problem;
            return AuthenticateResult.Fail(problem!);
        }
        var identity = new ClaimsIdentity(
        [
            new Claim(ClaimTypes.NameIdentifier, token.Id.ToString()),
            new Claim(ClaimTypes.Name, token.Name),
            new Claim(ClaimTypes.Role, token.Role),
            new Claim(DatawardClaims.ActorReference, AuditActor.Token(token.Id)),
        ], SchemeName, ClaimTypes.Name, ClaimTypes.Role);
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName));
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        var problem = Context.Items[nameof(ApiTokenAuthenticationHandler)] as string;
        Response.StatusCode = StatusCodes.Status401Unauthorized;
        Response.Headers.WWWAuthenticate = problem is null
            ? "Bearer"
            : $"Bearer error=\"invalid_token\", error_description=\"{problem}\"";
        await Context.RequestServices.GetRequiredService<IProblemDetailsService>().WriteAsync(new ProblemDetailsContext
        {
            HttpContext = Context,
            ProblemDetails = { Status = StatusCodes.Status401Unauthorized, Title = "Unauthorized",
                Detail = problem ?? "Send Authorization: Bearer <token> or sign in." },
        });
    }
}
