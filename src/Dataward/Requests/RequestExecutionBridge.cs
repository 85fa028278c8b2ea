using Dataward.Domain;
using Dataward.Domain.Requests;

namespace Dataward.Requests;

/// <summary>What carrying out a request (<see cref="RequestExecutionService"/>, <see cref="RequestAccessService"/>) borrows from the intake side: the
/// one way a request changes (a transaction with its audit entry), its timeline, the person's identities and the
/// wording of the right to complain.</summary>
public sealed partial class RequestService
{
    internal Task<Outcome<RequestView>> ChangeRequestAsync(Guid id, string actor, Func<SubjectRequest, DateTimeOffset, Task<Outcome<bool>>> change,
        string auditAction, CancellationToken cancellationToken) => ChangeAsync(id, actor, change, auditAction, cancellationToken);

    internal IReadOnlyDictionary<string, string> IdentitiesOf(SubjectRequest record) => Identities(record);

    internal string? EmailOf(SubjectRequest record) => Email(record);

    internal void Note(SubjectRequest record, string actor, string kind, string summary, DateTimeOffset at) => Log(record, actor, kind, summary, at);

    internal Task<string> ComplaintRightsTextAsync(CancellationToken cancellationToken) => ComplaintRightsAsync(cancellationToken);

    internal Task<RequestView> ViewOfAsync(SubjectRequest record, CancellationToken cancellationToken) => ViewAsync(record, cancellationToken);

    internal static string Describes(string type) => Describe(type);

    /// <summary>DSR014: a verified erasure waits for the DPO, who sees the plan first.</summary>
    private void AfterVerified(SubjectRequest record, string actor, DateTimeOffset now)
    {
        if (record.Type == RequestTypes.Erasure && record.State == RequestStates.Verified)
        {
            record.State = RequestStates.AwaitingApproval;
            Log(record, actor, "awaiting_approval", "The erasure plan is ready: the DPO reviews it and approves before anything is erased.", now);
        }
    }
}
