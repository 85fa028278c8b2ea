using System.Security.Claims;
using Dataward.Audit;
using Dataward.Domain;
using Dataward.Platform.Security;
using Dataward.Platform.Web;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Dataward.Sharing;

/// <summary>/api/recipients: the register of recipients and processors.</summary>
public static class RecipientEndpoints
{
    public static void MapRecipientEndpoints(this RouteGroupBuilder api)
    {
        var group = api.MapGroup("/recipients").WithTags("Recipients").RequireAuthorization(Policies.Staff);
        group.MapGet("/", List).WithSummary("Recipients and processors, with the register activities that name them and what is missing");
        group.MapGet("/unregistered", Unregistered).WithSummary("Names register activities disclose to that the recipient register does not hold");
        group.MapPost("/", Create).WithSummary("Register a recipient: role, Art. 28 contract, countries, transfer safeguard, review date")
            .RequireAuthorization(Policies.EditRegister);
        group.MapGet("/{id:guid}", Get).WithSummary("One recipient");
        group.MapPut("/{id:guid}", Update).WithSummary("Replace a recipient's entry").RequireAuthorization(Policies.EditRegister);
        group.MapDelete("/{id:guid}", Delete).WithSummary("Remove a recipient no agreement names").RequireAuthorization(Policies.EditRegister);
    }

    public static async Task<Ok<IReadOnlyList<RecipientView>>> List(RecipientService recipients, CancellationToken cancellationToken) =>
        TypedResults.Ok(await recipients.ListAsync(cancellationToken));

    public static async Task<Ok<IReadOnlyList<UnregisteredRecipient>>> Unregistered(RecipientService recipients, CancellationToken cancellationToken) =>
        TypedResults.Ok(await recipients.UnregisteredAsync(cancellationToken));

    public static async Task<Results<Created<RecipientView>, ProblemHttpResult>> Create(RecipientRequest body, RecipientService recipients, ClaimsPrincipal user,
        CancellationToken cancellationToken)
    {
        var outcome = await recipients.CreateAsync(body, AuditActor.From(user), cancellationToken);
        return outcome.Succeeded ? TypedResults.Created($"/api/recipients/{outcome.Value!.Id}", outcome.Value) : Problems.From(outcome);
    }

    public static async Task<Results<Ok<RecipientView>, ProblemHttpResult>> Get(Guid id, RecipientService recipients, CancellationToken cancellationToken) =>
        await recipients.GetAsync(id, cancellationToken) is { } view ? TypedResults.Ok(view) : Problems.From(Outcome<bool>.NotFound("id", "No recipient has this id."));

    public static async Task<Results<Ok<RecipientView>, ProblemHttpResult>> Update(Guid id, RecipientRequest body, RecipientService recipients, ClaimsPrincipal user,
        CancellationToken cancellationToken)
    {
        var outcome = await recipients.UpdateAsync(id, body, AuditActor.From(user), cancellationToken);
        return outcome.Succeeded ? TypedResults.Ok(outcome.Value!) : Problems.From(outcome);
    }

    public static async Task<Results<NoContent, ProblemHttpResult>> Delete(Guid id, RecipientService recipients, ClaimsPrincipal user, CancellationToken cancellationToken)
    {
        var outcome = await recipients.DeleteAsync(id, AuditActor.From(user), cancellationToken);
        return outcome.Succeeded ? TypedResults.NoContent() : Problems.From(outcome);
    }
}
