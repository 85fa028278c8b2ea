namespace Dataward.Domain.Retention;

/// <summary>What a sweep does to an expired row (§2.1).</summary>
public static class RetentionActions
{
    /// <summary>Delete the row, or mask it with the erasure policy's strategy for each category.</summary>
    public const string Erase = "erase";
    /// <summary>Generalise dates to the month and clear the other identifying fields.</summary>
    public const string Anonymise = "anonymise";
    /// <summary>Change nothing: count the rows for a person to decide (the default, MIN023).</summary>
    public const string Review = "review";
    public static readonly IReadOnlyList<string> All = [Erase, Anonymise, Review];
}

/// <summary>What the period counts from, for people reading the schedule (§2.1 <c>triggerEvent</c>).</summary>
public static class TriggerEvents
{
    public static readonly IReadOnlyList<string> All = ["created", "lastActivity", "accountClosed", "contractEnd", "financialYearEnd", "other"];
}

public static class RetentionRuleStatus
{
    public const string Active = "active";
    public const string Retired = "retired";
}

/// <summary>A rule as written, before the service checks it against the datasets, the register and the connected
/// database (those checks need I/O). Null means "not given".</summary>
public sealed record RetentionRuleDraft(string? Name, string? Category, string? Activity, string? Dataset, string? Collection, string? TriggerField,
    string? TriggerEvent, string? Period, string? Action, string? Reason, string? LegalReference, string? Owner, string? Schedule);

/// <summary>The rules of the retention schedule that need no I/O: MIN001 (trigger field, period, action, reason) and
/// MIN023 (the most restrictive action, <c>review</c>, until one is chosen).</summary>
public static class RetentionRules
{
    public const int MaxName = 200;
    public const int MaxReason = 2000;

    /// <summary>Policy §4: the schedule is reviewed every year with the DPO's sign-off (MIN006).</summary>
    public static DateTimeOffset NextReviewDue(DateTimeOffset createdAt, DateTimeOffset? lastReviewedAt) => (lastReviewedAt ?? createdAt).AddYears(1);

    public static bool Overdue(DateTimeOffset nextReviewDue, DateTimeOffset now) => now > nextReviewDue;

    /// <summary>The action a rule gets when none is given: flag for review, which changes nothing (MIN023).</summary>
    public static string ActionOrDefault(string? action) => string.IsNullOrWhiteSpace(action) ? RetentionActions.Review : action.Trim();

    public static List<Violation> Validate(RetentionRuleDraft draft)
    {
        var violations = new List<Violation>();
        if (string.IsNullOrWhiteSpace(draft.Name) || draft.Name.Trim().Length > MaxName)
        {
            violations.Add(new Violation("name", $"Name the rule (up to {MaxName} characters), e.g. \"Closed customer accounts\"."));
        }
        if (string.IsNullOrWhiteSpace(draft.Dataset))
        {
            violations.Add(new Violation("dataset", "Name the dataset the sweep reads (its fides_key, e.g. crm)."));
        }
        if (string.IsNullOrWhiteSpace(draft.Collection))
        {
            violations.Add(new Violation("collection", "Name the collection (table) the sweep reads, e.g. users."));
        }
        if (string.IsNullOrWhiteSpace(draft.TriggerField))
        {
            violations.Add(new Violation("triggerField", "Name the date field the period counts from, e.g. created, closed_at or last_login.", "MIN001"));
        }
        if (RetentionPeriod.Parse(draft.Period).Error is { } periodError)
        {
            violations.Add(new Violation("period", periodError, "MIN001"));
        }
        if (!RetentionActions.All.Contains(ActionOrDefault(draft.Action)))
        {
            violations.Add(new Violation("action", $"Use one of {string.Join(", ", RetentionActions.All)} (review changes nothing and is the default).", "MIN001"));
        }
        if (string.IsNullOrWhiteSpace(draft.Reason) || draft.Reason.Trim().Length > MaxReason)
        {
            violations.Add(new Violation("reason",
                "Say why the data is kept this long: the legal obligation named (e.g. HMRC: 6 years from the end of the financial year) or the business need.", "MIN001"));
        }
        if (draft.TriggerEvent is { } triggerEvent && !TriggerEvents.All.Contains(triggerEvent))
        {
            violations.Add(new Violation("triggerEvent", $"Use one of {string.Join(", ", TriggerEvents.All)}."));
        }
        if (draft.LegalReference?.Length > 500)
        {
            violations.Add(new Violation("legalReference", "At most 500 characters."));
        }
        if (draft.Owner?.Length > 200)
        {
            violations.Add(new Violation("owner", "At most 200 characters."));
        }
        if (draft.Category?.Length > 200)
        {
            violations.Add(new Violation("category", "At most 200 characters."));
        }
        return violations;
    }
}
