namespace Dataward.Register;

/// <summary>A processing activity as stored: the document (JSON) plus the columns the register filters and sorts on.</summary>
public sealed class ActivityRecord
{
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public required string Name { get; set; }
    public required string Status { get; set; }
    public string? LawfulBasis { get; set; }
    public bool HasSpecialCategories { get; set; }
    public string? Owner { get; set; }
    /// <summary>The <see cref="Domain.Register.ProcessingActivity"/> as canonical JSON.</summary>
    public required string Document { get; set; }
    /// <summary>Starts at 1, +1 on every change: the ETag, and the key of <see cref="ActivityVersion"/>.</summary>
    public int Version { get; set; } = 1;
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
    public DateTimeOffset? LastReviewedAt { get; set; }
}

/// <summary>Every version an activity has had, kept for the history view and its differences.</summary>
public sealed class ActivityVersion
{
    public Guid ActivityId { get; set; }
    public int Version { get; set; }
    public DateTimeOffset ChangedAt { get; set; }
    /// <summary>An audit actor reference (<c>user:{id}</c>, <c>token:{id}</c>, <c>cli</c>).</summary>
    public required string ChangedBy { get; set; }
    /// <summary><c>created</c>, <c>updated</c>, <c>imported</c> or <c>deleted</c>.</summary>
    public required string Change { get; set; }
    public required string Document { get; set; }
}

/// <summary>The DPO's sign-off of an activity's periodic review (policy P1).</summary>
public sealed class ActivityReview
{
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid ActivityId { get; set; }
    public required string ReviewedBy { get; set; }
    public DateTimeOffset ReviewedAt { get; set; }
    public string? Notes { get; set; }
    /// <summary>The activity version that was reviewed.</summary>
    public int Version { get; set; }
}

/// <summary>The one organisation record (Art. 30(1)(a)), as JSON.</summary>
public sealed class OrganisationRecord
{
    public int Id { get; set; } = 1;
    public required string Document { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
}

/// <summary>A taxonomy key the organisation added under an existing parent.</summary>
public sealed class TaxonomyTermRecord
{
    public required string Kind { get; set; }
    public required string Key { get; set; }
    public required string Name { get; set; }
    public required string Parent { get; set; }
    public string? Description { get; set; }
}

/// <summary>An organisation-defined prohibition (data category × use × source × subject), as JSON criteria.</summary>
public sealed class PolicyRuleRecord
{
    public required string Key { get; set; }
    public required string Name { get; set; }
    public required string Criteria { get; set; }
}
