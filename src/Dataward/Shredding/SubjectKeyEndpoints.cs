using System.Security.Claims;
using Dataward.Audit;
using Dataward.Platform.Security;
using Dataward.Platform.Web;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Dataward.Shredding;

/// <summary>/api/subject-keys: crypto-shredding a person's data on a DPO's or administrator's word (MIN017). The person
/// is named in the body, never the URL, so the identifier stays out of access logs.</summary>
public static class SubjectKeyEndpoints
{
    public static void MapSubjectKeyEndpoints(this RouteGroupBuilder api)
    {
        var group = api.MapGroup("/subject-keys").WithTags("Subject keys").RequireAuthorization(Policies.EraseConsentSubjects);
        group.MapPost("/destroy", Destroy)
            .WithSummary("Destroy a person's data keys: their request packages, consent evidence and breach-list entries stay as ciphertext nobody can read (MIN017); audited");
    }

    public static async Task<Results<Ok<SubjectKeysDestroyed>, ProblemHttpResult>> Destroy(SubjectKeyDestroyRequest body, SubjectKeys keys, ClaimsPrincipal user,
        CancellationToken cancellationToken)
    {
        var outcome = await keys.DestroyAsync(body, AuditActor.From(user), cancellationToken);
        return outcome.Succeeded ? TypedResults.Ok(outcome.Value!) : Problems.From(outcome);
    }
}
