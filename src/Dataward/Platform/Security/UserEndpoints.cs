using System.ComponentModel.DataAnnotations;
using System.Security.Claims;
using Dataward.Audit;
using Dataward.Platform.Web;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Dataward.Platform.Security;

public sealed record CreateUserRequest(
    [property: Required, EmailAddress, StringLength(256)] string Email,
    [property: Required] string Role,
    [property: Required, StringLength(256)] string Password);

public sealed record ChangeRoleRequest([property: Required] string Role);

/// <summary>Who the caller is: a staff member or a token, with the role that decides what they may do.</summary>
public sealed record MeResponse(string Actor, string Name, string Role, string AuthenticatedBy);

/// <summary>/api/users (Administrator) and /api/me (anyone signed in).</summary>
public static class UserEndpoints
{
    public static void MapUserEndpoints(this RouteGroupBuilder api)
    {
        var users = api.MapGroup("/users").WithTags("Users").RequireAuthorization(Policies.ManageAccess);
        users.MapGet("/", ListUsers).WithSummary("List staff accounts");
        users.MapPost("/", CreateUser).WithSummary("Create a staff account");
        users.MapPut("/{id:guid}/role", ChangeRole).WithSummary("Change an account's role");
        users.MapPost("/{id:guid}/unlock", Unlock).WithSummary("Lift a lockout");
    }

    public static void MapMeEndpoints(this RouteGroupBuilder api) =>
        api.MapGet("/me", Me).WithTags("Users").WithSummary("The caller's identity and role").RequireAuthorization(Policies.Staff);

    public static async Task<Ok<IReadOnlyList<StaffSummary>>> ListUsers(StaffAccounts accounts, CancellationToken cancellationToken) =>
        TypedResults.Ok(await accounts.ListAsync(cancellationToken));

    public static async Task<Results<Created<StaffSummary>, ProblemHttpResult>> CreateUser(CreateUserRequest request,
        StaffAccounts accounts, ClaimsPrincipal user, CancellationToken cancellationToken)
    {
        var outcome = await accounts.CreateAsync(request.Email, request.Role, request.Password, AuditActor.From(user), cancellationToken);
        return outcome.Succeeded
            ? TypedResults.Created($"/api/users/{outcome.Value!.Id}", outcome.Value)
            : Problems.From(outcome);
    }

    public static async Task<Results<Ok<StaffSummary>, ProblemHttpResult>> ChangeRole(Guid id, ChangeRoleRequest request,
        StaffAccounts accounts, ClaimsPrincipal user, CancellationToken cancellationToken)
    {
        var outcome = await accounts.ChangeRoleAsync(id, request.Role, AuditActor.From(user), cancellationToken);
        return outcome.Succeeded ? TypedResults.Ok(outcome.Value!) : Problems.From(outcome);
    }

    public static async Task<Results<Ok<StaffSummary>, ProblemHttpResult>> Unlock(Guid id, StaffAccounts accounts,
        ClaimsPrincipal user, CancellationToken cancellationToken)
    {
        var outcome = await accounts.UnlockAsync(id, AuditActor.From(user), cancellationToken);
        return outcome.Succeeded ? TypedResults.Ok(outcome.Value!) : Problems.From(outcome);
    }

    public static Ok<MeResponse> Me(ClaimsPrincipal user) => TypedResults.Ok(new MeResponse(
        AuditActor.From(user),
        user.Identity?.Name ?? "",
        user.FindFirstValue(ClaimTypes.Role) ?? "",
        user.Identity?.AuthenticationType ?? ""));
}
