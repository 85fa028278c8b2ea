using System.ComponentModel.DataAnnotations;
using System.Security.Claims;
using Dataward.Audit;
using Dataward.Platform.Web;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Dataward.Platform.Security;

public sealed record CreateTokenRequest(
    [property: Required, StringLength(ApiTokens.MaxNameLength, MinimumLength = 1)] string Name,
    [property: Required] string Role,
    [property: Range(1, 3650)] int? ExpiresInDays = null);

/// <summary>The new token's details and its secret, returned once.</summary>
public sealed record CreatedTokenResponse(ApiTokenSummary Token, string Secret);

/// <summary>/api/tokens: Administrator only.</summary>
public static class TokenEndpoints
{
    public static void MapTokenEndpoints(this RouteGroupBuilder api)
    {
        var tokens = api.MapGroup("/tokens").WithTags("Tokens").RequireAuthorization(Policies.ManageAccess);
        tokens.MapGet("/", ListTokens).WithSummary("List API tokens (never their secrets)");
        tokens.MapPost("/", CreateToken).WithSummary("Create an API token; the secret is returned once");
        tokens.MapDelete("/{id:guid}", RevokeToken).WithSummary("Revoke an API token");
    }

    public static async Task<Ok<IReadOnlyList<ApiTokenSummary>>> ListTokens(ApiTokens tokens, CancellationToken cancellationToken) =>
        TypedResults.Ok(await tokens.ListAsync(cancellationToken));

    public static async Task<Results<Created<CreatedTokenResponse>, ProblemHttpResult>> CreateToken(CreateTokenRequest request,
        ApiTokens tokens, ClaimsPrincipal user, CancellationToken cancellationToken)
    {
        var lifetime = TimeSpan.FromDays(request.ExpiresInDays ?? 90);
        var outcome = await tokens.CreateAsync(request.Name, request.Role, lifetime, AuditActor.From(user), cancellationToken);
        return outcome.Succeeded
            ? TypedResults.Created($"/api/tokens/{outcome.Value!.Token.Id}", new CreatedTokenResponse(outcome.Value.Token, outcome.Value.Secret))
            : Problems.From(outcome);
    }

    public static async Task<Results<NoContent, ProblemHttpResult>> RevokeToken(Guid id, ApiTokens tokens,
        ClaimsPrincipal user, CancellationToken cancellationToken)
    {
        var outcome = await tokens.RevokeAsync(id, AuditActor.From(user), cancellationToken);
        return outcome.Succeeded ? TypedResults.NoContent() : Problems.From(outcome);
    }
}
