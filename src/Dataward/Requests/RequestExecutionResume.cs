using System.Text.Json.Nodes;
using Dataward.Domain;
using Microsoft.EntityFrameworkCore;

namespace Dataward.Requests;

public sealed partial class RequestExecutionService
{
    /// <summary>DSR016: staff resume a paused erasure now (the connection is back, say) instead of waiting for the job's
    /// next try. It continues from its last checkpoint, exactly as the job would: nothing missed, nothing applied twice.
    /// If it stops again, it pauses again with the new error.</summary>
    public async Task<Outcome<RequestExecutionView>> ResumeAsync(Guid id, string actor, CancellationToken cancellationToken = default)
    {
        var record = await db.Set<SubjectRequest>().FirstOrDefaultAsync(r => r.Id == id, cancellationToken);
        if (record is null)
        {
            return Outcome<RequestExecutionView>.NotFound("id", "No request has this id.");
        }
        var execution = await db.Set<RequestExecution>().FirstOrDefaultAsync(e => e.RequestId == id, cancellationToken);
        var now = time.GetUtcNow();
        if (execution is null)
        {
            return Outcome<RequestExecutionView>.Conflict("state", "No erasure has been approved for this request: there is nothing to resume.", "DSR016");
        }
        if (execution.Status == ExecutionStatus.Completed)
        {
            return Outcome<RequestExecutionView>.Conflict("state", "This erasure is complete.", "DSR016");
        }
        if (execution.Status == ExecutionStatus.Running && execution.LeaseUntil > now)
        {
            return Outcome<RequestExecutionView>.Conflict("state", "This erasure is running right now.", "DSR016");
        }
        execution.NextAttemptAt = now;
        requests.Note(record, actor, "execution_resumed", execution.LastError is null
            ? "Erasure started by staff."
            : "Erasure resumed by staff from its last checkpoint.", now);
        await audit.RecordAsync(actor, "requests.execution_resumed", $"request:{id}",
            new JsonObject { ["reference"] = record.Reference, ["attempts"] = execution.Attempts }, cancellationToken);
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateConcurrencyException)
        {
            return Outcome<RequestExecutionView>.Conflict("state", "The erasure was picked up at the same moment: reload to see where it stands.", "DSR016");
        }
        db.ChangeTracker.Clear();
        if (await ClaimAsync(id, cancellationToken) is { } claimed)
        {
            await RunAsync(claimed, cancellationToken);
        }
        db.ChangeTracker.Clear();
        return Outcome<RequestExecutionView>.Success((await ExecutionAsync(id, cancellationToken))!);
    }
}
