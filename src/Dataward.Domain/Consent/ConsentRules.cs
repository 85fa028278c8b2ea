using System.Text.RegularExpressions;

namespace Dataward.Domain.Consent;

/// <summary>What a person can do with a consent purpose.</summary>
public static class ConsentActions
{
    public const string Given = "given";
    public const string Withdrawn = "withdrawn";
}

/// <summary>How a consent event reached Dataward (consent.md §3.1).</summary>
public static class ConsentMethods
{
    public static readonly IReadOnlyList<string> All = ["web", "preference-centre", "email-link", "api", "paper", "phone", "gpc", "import"];

    /// <summary>Channels whose events may carry an earlier <c>occurredAt</c> (CNS025).</summary>
    public static readonly IReadOnlyList<string> Backdatable = ["paper", "phone", "import"];

    /// <summary>Channels that can carry explicit consent (CNS015).</summary>
    public static readonly IReadOnlyList<string> Explicit = ["web", "preference-centre", "paper"];
}

/// <summary>The derived state of one subject's consent to one purpose (consent.md §4).</summary>
public static class ConsentStates
{
    public const string None = "none";
    public const string Given = "given";
    public const string Withdrawn = "withdrawn";
    public const string Refused = "refused";
    public const string Expired = "expired";
    public const string PendingParent = "pending-parent";
    public const string RenewalRequired = "renewal-required";
}

/// <summary>What the projection knows about one subject and purpose, from which the state is derived at check time.</summary>
public sealed record ConsentFacts(string? LatestAction, bool EverGiven, DateTimeOffset? GivenAt, bool PendingParent = false,
    bool RenewalRequired = false, DateTimeOffset? RenewBy = null, DateTimeOffset? RefreshDueAt = null);

/// <summary>The evidence of how consent was asked for (consent.md §3.1).</summary>
public sealed record ConsentEvidence(string? FormId = null, string? Wording = null, string? Language = null, bool PreChecked = false,
    string? DocumentRef = null);

/// <summary>The consent rules that need no database: purpose keys, event validity, state derivation, identifiers.</summary>
public static partial class ConsentRules
{
    /// <summary>How far ahead of the server's clock an <c>occurredAt</c> may be (CNS025).</summary>
    public static readonly TimeSpan ClockSkew = TimeSpan.FromMinutes(5);

    // CNS002: purpose keys are short, lower-case and immutable.
    public static bool IsPurposeKey(string? key) => key is not null && PurposeKey().IsMatch(key);

    /// <summary>The identifier as stored and compared: trimmed, and lower-cased when it is an e-mail address.</summary>
    public static string NormaliseSubject(string subject)
    {
        var trimmed = subject.Trim();
        return trimmed.Contains('@') ? trimmed.ToLowerInvariant() : trimmed;
    }

    /// <summary>CNS003, CNS004, CNS015 and CNS025 for one event; <paramref name="noticeCoversPurpose"/> is null when the
    /// named notice version is not published.</summary>
    public static IReadOnlyList<Violation> ValidateEvent(string action, string method, bool purposeRetired, bool purposeExplicit,
        string? noticeVersion, bool? noticeCoversPurpose, ConsentEvidence? evidence, DateTimeOffset? occurredAt, DateTimeOffset now)
    {
        var violations = new List<Violation>();
        if (action is not (ConsentActions.Given or ConsentActions.Withdrawn))
        {
            violations.Add(new Violation("action", "Use given or withdrawn."));
        }
        if (!ConsentMethods.All.Contains(method))
        {
            violations.Add(new Violation("method", $"Use one of {string.Join(", ", ConsentMethods.All)}."));
        }
        if (action == ConsentActions.Given)
        {
            if (purposeRetired)
            {
                violations.Add(new Violation("purpose", "This purpose is retired: consent can be withdrawn but no longer given.", "CNS003"));
            }
            if (string.IsNullOrWhiteSpace(noticeVersion))
            {
                violations.Add(new Violation("noticeVersion", "Name the published notice version the person saw.", "CNS003"));
            }
            else if (noticeCoversPurpose is null)
            {
                violations.Add(new Violation("noticeVersion", $"There is no published notice version '{noticeVersion}'.", "CNS003"));
            }
            else if (noticeCoversPurpose == false)
            {
                violations.Add(new Violation("noticeVersion", $"Notice version '{noticeVersion}' does not cover this purpose.", "CNS003"));
            }
            if (evidence?.PreChecked == true)
            {
                // CNS004: a pre-ticked box is not an affirmative act.
                violations.Add(new Violation("evidence.preChecked", "Consent from a pre-ticked box is not valid.", "CNS004"));
            }
            if (purposeExplicit && (!ConsentMethods.Explicit.Contains(method) || string.IsNullOrWhiteSpace(evidence?.Wording)
                                    || (method == "paper" && string.IsNullOrWhiteSpace(evidence?.DocumentRef))))
            {
                // CNS015: explicit consent needs the exact wording, through a channel that can carry an express statement.
                violations.Add(new Violation("evidence.wording", "Explicit consent needs the exact wording shown, given on the web, the preference centre or paper (with its document reference).", "CNS015"));
            }
        }
        if (occurredAt is { } at)
        {
            if (at > now + ClockSkew)
            {
                violations.Add(new Violation("occurredAt", "The event cannot have happened in the future.", "CNS025"));
            }
            else if (at < now - ClockSkew && !ConsentMethods.Backdatable.Contains(method))
            {
                violations.Add(new Violation("occurredAt", "Only paper, phone and import events may be backdated.", "CNS025"));
            }
        }
        return violations;
    }

    /// <summary>The state after the latest event, as of <paramref name="now"/>: whether processing is allowed
    /// (consent.md §4). Expiry is evaluated here, at check time, never by a batch job.</summary>
    public static (string State, bool Allowed) StateOf(ConsentFacts? facts, int? refreshAfterDays, DateTimeOffset now) => facts switch
    {
        null or { LatestAction: null } => (ConsentStates.None, false),
        // CNS011: a withdrawal with no consent before it is a refusal, and denies like any withdrawal.
        { LatestAction: ConsentActions.Withdrawn } => (facts.EverGiven ? ConsentStates.Withdrawn : ConsentStates.Refused, false),
        // CNS016: a child's consent counts only once a parent confirms it.
        { PendingParent: true } => (ConsentStates.PendingParent, false),
        { GivenAt: { } at } when refreshAfterDays is { } days && now > at.AddDays(days) => (ConsentStates.Expired, false),
        // CNS018: still allowed until the DPO's renew-by date, if any.
        { RenewalRequired: true, RenewBy: { } by } when now > by => (ConsentStates.Expired, false),
        { RenewalRequired: true } => (ConsentStates.RenewalRequired, true),
        // CNS016: the child has reached the threshold and should confirm what the parent agreed.
        { RefreshDueAt: { } due } when now >= due => (ConsentStates.RenewalRequired, true),
        _ => (ConsentStates.Given, true),
    };

    /// <summary>CNS016: the age of digital consent (Art. 8(1)) for the organisation's jurisdictions: the highest among
    /// them, since the stricter one binds; 16 where a member state has not lowered it. Re-check before release.</summary>
    public static int DigitalConsentAge(IEnumerable<string> jurisdictions)
    {
        var ages = jurisdictions.Select(j => j.Trim().ToUpperInvariant() switch
        {
            "UK" or "GB" or "BE" or "DK" or "SE" or "FI" or "PT" => 13,
            "IT" or "ES" or "AT" => 14,
            "FR" => 15,
            _ => 16,
        }).ToList();
        return ages.Count == 0 ? 16 : ages.Max();
    }

    [GeneratedRegex("^[a-z0-9-]{2,64}$")]
    private static partial Regex PurposeKey();
}
