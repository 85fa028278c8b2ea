namespace Dataward.Domain.Audit;

/// <summary>The outcome of walking the chain: intact with its length, or the first entry that does not hold.</summary>
public sealed record AuditVerification(bool Intact, long Count, long? FirstBrokenSequence, string? Reason)
{
    public static AuditVerification Verify(IEnumerable<AuditEntry> entriesInSequenceOrder)
    {
        var verifier = new AuditChainVerifier();
        foreach (var entry in entriesInSequenceOrder)
        {
            if (!verifier.Accept(entry))
            {
                break;
            }
        }
        return verifier.Result;
    }
}

/// <summary>Checks entries one at a time in sequence order, so a long trail can be streamed from the database.
/// An edit changes the entry's hash; a deletion leaves a sequence gap and a broken link; a reordering breaks the
/// links of the entries moved.</summary>
public sealed class AuditChainVerifier
{
    private long expectedSequence = 1;
    private string previousHash = AuditEntry.GenesisHash;
    private long count;
    private long? brokenAt;
    private string? reason;

    public AuditVerification Result => new(brokenAt is null, count, brokenAt, reason);

    /// <summary>Takes the next entry; false once the chain is broken (later entries are not looked at).</summary>
    public bool Accept(AuditEntry entry)
    {
        if (brokenAt is not null)
        {
            return false;
        }
        if (entry.Sequence != expectedSequence)
        {
            return Break(expectedSequence, entry.Sequence < expectedSequence
                ? $"entry {entry.Sequence} appears out of order after entry {expectedSequence - 1}"
                : $"entries {expectedSequence} to {entry.Sequence - 1} are missing");
        }
        if (!string.Equals(entry.PreviousHash, previousHash, StringComparison.Ordinal))
        {
            return Break(entry.Sequence, "its previous hash does not match the hash of the entry before it");
        }
        if (!string.Equals(entry.RecomputeHash(), entry.Hash, StringComparison.Ordinal))
        {
            return Break(entry.Sequence, "its content does not match its hash (the entry was edited)");
        }
        count++;
        expectedSequence++;
        previousHash = entry.Hash;
        return true;
    }

    private bool Break(long sequence, string why)
    {
        brokenAt = sequence;
        reason = why;
        return false;
    }
}
