using System.Security.Claims;
using Dataward.Audit;
using Dataward.Domain;
using Dataward.Platform.Security;
using Dataward.Platform.Web;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Dataward.Pseudonymisation;

/// <summary>/api/pseudonymisation: key domains and rotation, pseudonyms, the tokenisation vault, k-anonymity reports.</summary>
public static class PseudonymisationEndpoints
{
    public static void MapPseudonymisationEndpoints(this RouteGroupBuilder api)
    {
        var group = api.MapGroup("/pseudonymisation").WithTags("Pseudonymisation").RequireAuthorization(Policies.Staff);
        group.MapGet("/keys", List).WithSummary("Key domains and their versions (active, retained, destroyed); never key material");
        group.MapGet("/keys/{domain}", Get).WithSummary("One key domain and its versions");
        group.MapPost("/keys", Create).WithSummary("A new key domain for one purpose, with its first key (MIN010)").RequireAuthorization(Policies.ManageKeys);
        group.MapPost("/keys/{domain}/rotate", Rotate).WithSummary("A new key version for new pseudonyms; older versions stay verifiable (MIN011)")
            .RequireAuthorization(Policies.ManageKeys);
        group.MapPost("/keys/{domain}/versions/{version:int}/destroy", Destroy)
            .WithSummary("Destroy a retained key version; its pseudonyms then fail with an explicit error (MIN011)").RequireAuthorization(Policies.ManageKeys);
        group.MapPost("/pseudonyms", Pseudonymise).WithSummary("Keyed HMAC-SHA256 pseudonyms of values under a domain's active or named key version (MIN009-MIN011)")
            .RequireAuthorization(Policies.ManageKeys);
        group.MapPost("/pseudonyms/match", Match).WithSummary("Whether a pseudonym is a value's, under the key version it names (MIN011)")
            .RequireAuthorization(Policies.ManageKeys);
        group.MapPost("/tokens", Tokenise).WithSummary("Random tokens for values, kept encrypted in the vault").RequireAuthorization(Policies.Tokenise);
        group.MapPost("/tokens/detokenise", Detokenise).WithSummary("The value behind a token, with a reason; audited every time (MIN013)")
            .RequireAuthorization(Policies.Detokenise);
        group.MapPost("/k-anonymity", KAnonymity).WithSummary("k, the groups below k and the records in them, over a connected table; counts only (MIN015)");
    }

    public static async Task<Ok<IReadOnlyList<KeyDomainView>>> List(PseudonymisationService service, CancellationToken cancellationToken) =>
        TypedResults.Ok(await service.ListAsync(cancellationToken));

    public static async Task<Results<Ok<KeyDomainView>, ProblemHttpResult>> Get(string domain, PseudonymisationService service, CancellationToken cancellationToken) =>
        await service.GetAsync(domain, cancellationToken) is { } view ? TypedResults.Ok(view) : Problems.From(Outcome<bool>.NotFound("domain", "No key domain has this name."));

    public static async Task<Results<Created<KeyDomainView>, ProblemHttpResult>> Create(KeyDomainRequest body, PseudonymisationService service, ClaimsPrincipal user,
        CancellationToken cancellationToken)
    {
        var outcome = await service.CreateDomainAsync(body, AuditActor.From(user), cancellationToken);
        return outcome.Succeeded ? TypedResults.Created($"/api/pseudonymisation/keys/{outcome.Value!.Domain}", outcome.Value) : Problems.From(outcome);
    }

    public static async Task<Results<Ok<KeyDomainView>, ProblemHttpResult>> Rotate(string domain, PseudonymisationService service, ClaimsPrincipal user,
        CancellationToken cancellationToken) => Answer(await service.RotateAsync(domain, AuditActor.From(user), cancellationToken));

    public static async Task<Results<Ok<KeyDomainView>, ProblemHttpResult>> Destroy(string domain, int version, DestroyKeyRequest body, PseudonymisationService service,
        ClaimsPrincipal user, CancellationToken cancellationToken) => Answer(await service.DestroyAsync(domain, version, body, AuditActor.From(user), cancellationToken));

    public static async Task<Results<Ok<PseudonymsResult>, ProblemHttpResult>> Pseudonymise(PseudonymsRequest body, PseudonymisationService service, ClaimsPrincipal user,
        CancellationToken cancellationToken) => Answer(await service.PseudonymiseAsync(body, AuditActor.From(user), cancellationToken));

    public static async Task<Results<Ok<MatchResult>, ProblemHttpResult>> Match(MatchRequest body, PseudonymisationService service, ClaimsPrincipal user,
        CancellationToken cancellationToken) => Answer(await service.MatchAsync(body, AuditActor.From(user), cancellationToken));

    public static async Task<Results<Ok<TokeniseResult>, ProblemHttpResult>> Tokenise(TokeniseRequest body, PseudonymisationService service, ClaimsPrincipal user,
        CancellationToken cancellationToken) => Answer(await service.TokeniseAsync(body, AuditActor.From(user), cancellationToken));

    public static async Task<Results<Ok<DetokeniseResult>, ProblemHttpResult>> Detokenise(DetokeniseRequest body, PseudonymisationService service, ClaimsPrincipal user,
        CancellationToken cancellationToken) => Answer(await service.DetokeniseAsync(body, AuditActor.From(user), cancellationToken));

    public static async Task<Results<Ok<KAnonymityView>, ProblemHttpResult>> KAnonymity(KAnonymityRequest body, PseudonymisationService service, ClaimsPrincipal user,
        CancellationToken cancellationToken) => Answer(await service.KAnonymityAsync(body, AuditActor.From(user), cancellationToken));

    private static Results<Ok<T>, ProblemHttpResult> Answer<T>(Outcome<T> outcome) =>
        outcome.Succeeded ? TypedResults.Ok(outcome.Value!) : Problems.From(outcome);
}
