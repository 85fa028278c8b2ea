using System.Security.Claims;
using Dataward.Audit;
using Dataward.Platform.Security;
using Dataward.Platform.Web;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Dataward.Connections;

/// <summary>/api/connections: the organisation's databases (Administrator, DPO write; staff read, never the secret).</summary>
public static class ConnectionEndpoints
{
    public static void MapConnectionEndpoints(this RouteGroupBuilder api)
    {
        var connections = api.MapGroup("/connections").WithTags("Connections").RequireAuthorization(Policies.Staff);
        connections.MapGet("/", List).WithSummary("Connected databases (without their secrets)");
        connections.MapPost("/", Save).WithSummary("Connect a database (PostgreSQL or SQLite) and name the datasets describing it; the connection string is encrypted at rest")
            .RequireAuthorization(Policies.EditRegister);
        connections.MapGet("/{key}", Get).WithSummary("One connection (without its secret)");
        connections.MapDelete("/{key}", Delete).WithSummary("Forget a connection").RequireAuthorization(Policies.EditRegister);
        connections.MapPost("/{key}/test", Test).WithSummary("Connect, and check the database has every table and column its datasets describe")
            .RequireAuthorization(Policies.EditRegister);
    }

    public static async Task<Ok<IReadOnlyList<ConnectionView>>> List(ConnectionService connections, CancellationToken cancellationToken) =>
        TypedResults.Ok(await connections.ListAsync(cancellationToken));

    public static async Task<Results<Created<ConnectionView>, ProblemHttpResult>> Save(ConnectionRequest request, ConnectionService connections,
        ClaimsPrincipal user, CancellationToken cancellationToken)
    {
        var outcome = await connections.SaveAsync(request, AuditActor.From(user), cancellationToken);
        return outcome.Succeeded ? TypedResults.Created($"/api/connections/{outcome.Value!.Key}", outcome.Value) : Problems.From(outcome);
    }

    public static async Task<Results<Ok<ConnectionView>, ProblemHttpResult>> Get(string key, ConnectionService connections, CancellationToken cancellationToken) =>
        await connections.GetAsync(key, cancellationToken) is { } view
            ? TypedResults.Ok(view)
            : Problems.From(Domain.Outcome<bool>.NotFound("key", "No connection has this key."));

    public static async Task<Results<NoContent, ProblemHttpResult>> Delete(string key, ConnectionService connections, ClaimsPrincipal user,
        CancellationToken cancellationToken)
    {
        var outcome = await connections.DeleteAsync(key, AuditActor.From(user), cancellationToken);
        return outcome.Succeeded ? TypedResults.NoContent() : Problems.From(outcome);
    }

    public static async Task<Results<Ok<ConnectionTest>, ProblemHttpResult>> Test(string key, ConnectionService connections, ClaimsPrincipal user,
        CancellationToken cancellationToken)
    {
        var outcome = await connections.TestAsync(key, AuditActor.From(user), cancellationToken);
        return outcome.Succeeded ? TypedResults.Ok(outcome.Value!) : Problems.From(outcome);
    }
}
