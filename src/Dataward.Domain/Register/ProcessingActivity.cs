namespace Dataward.Domain.Register;

/// <summary>One row of the Art. 30 record: a processing activity as the DPO writes it (and as the register API,
/// the YAML export and the import read it). Keys are the spec's (register.md); derived facts are not stored here.</summary>
public record ProcessingActivity
{
    public string Name { get; init; } = "";

    /// <summary><c>draft</c>, <c>active</c> or <c>retired</c>.</summary>
    public string Status { get; init; } = ActivityStatus.Draft;

    public string? BusinessFunction { get; init; }

    public string? Description { get; init; }

    /// <summary>Data-use keys (Art. 30(1)(b)).</summary>
    public IReadOnlyList<string> Purposes { get; init; } = [];

    /// <summary>Data-subject keys (Art. 30(1)(c)).</summary>
    public IReadOnlyList<string> DataSubjects { get; init; } = [];

    /// <summary>Data-category keys (Art. 30(1)(c)); special categories and criminal-offence data follow from them.</summary>
    public IReadOnlyList<string> DataCategories { get; init; } = [];

    /// <summary>One of <see cref="LawfulBases.All"/> (Art. 6(1)(a)-(f)).</summary>
    public string? LawfulBasis { get; init; }

    /// <summary>The contract, legal obligation, task or vital interest named (REG002).</summary>
    public string? LawfulBasisDetail { get; init; }

    /// <summary>The consent purpose key in the consent ledger, for consent or explicit consent (REG003, REG006).</summary>
    public string? ConsentPurpose { get; init; }

    public LegitimateInterestsAssessment? LegitimateInterestsAssessment { get; init; }

    /// <summary>One of <see cref="Article9Conditions.All"/> when special categories are processed (REG005).</summary>
    public string? Article9Condition { get; init; }

    /// <summary>A DPA 2018 Schedule 1 key such as <c>sch1.pt1.para1</c> (REG007).</summary>
    public string? Schedule1Condition { get; init; }

    public DocumentLink? AppropriatePolicyDocument { get; init; }

    /// <summary><c>officialAuthority</c> or <c>authorisedByLaw</c> for criminal-offence data (REG009).</summary>
    public string? Article10Condition { get; init; }

    /// <summary>Where the data comes from, e.g. <c>account-application-form</c>.</summary>
    public IReadOnlyList<string> Sources { get; init; } = [];

    public IReadOnlyList<Recipient> Recipients { get; init; } = [];

    public IReadOnlyList<string> JointControllers { get; init; } = [];

    public IReadOnlyList<Transfer> Transfers { get; init; } = [];

    public Retention? Retention { get; init; }

    public string? SecurityMeasures { get; init; }

    public AutomatedDecisionMaking? AutomatedDecisionMaking { get; init; }

    /// <summary>The applications that hold the data.</summary>
    public IReadOnlyList<string> Systems { get; init; } = [];

    /// <summary>Keys of registered datasets where the data is held.</summary>
    public IReadOnlyList<string> Datasets { get; init; } = [];

    public Dpia? Dpia { get; init; }

    /// <summary>Who answers for the activity (a name or team).</summary>
    public string? Owner { get; init; }
}

public sealed record LegitimateInterestsAssessment(string? Purpose = null, string? Necessity = null, string? Balancing = null,
    string? Link = null, DateOnly? AssessedAt = null);

public sealed record DocumentLink(string? Link = null);

/// <summary>Who receives the data; <c>kind</c> is <c>processor</c>, <c>controller</c>, <c>publicAuthority</c> or <c>other</c>.</summary>
public sealed record Recipient(string Name, string Kind = "other", string? Country = null, string? ContractLink = null);

/// <summary>A transfer to a third country (ISO 3166-1 alpha-2) or an international organisation (Art. 30(1)(e)).</summary>
public sealed record Transfer(string? Country = null, string? InternationalOrganisation = null, string? Recipient = null,
    string? Mechanism = null, string? Derogation = null, string? DocumentLink = null);

/// <summary>How long the data is kept: an ISO 8601 <c>period</c> (P6Y) or <c>criteria</c>, counted from <c>trigger</c>.</summary>
public sealed record Retention(string? Period = null, string? Criteria = null, string? Trigger = null, string? PolicyLink = null,
    bool? AdheresToPolicy = null, string? NonAdherenceReason = null);

public sealed record AutomatedDecisionMaking(bool Exists = false, string? Logic = null, string? Article22Ground = null);

public sealed record Dpia(bool Required = false, string? Status = null, string? Link = null);

public static class ActivityStatus
{
    public const string Draft = "draft";
    public const string Active = "active";
    public const string Retired = "retired";
    public static readonly IReadOnlyList<string> All = [Draft, Active, Retired];
}

/// <summary>The six Art. 6(1) bases.</summary>
public static class LawfulBases
{
    public const string Consent = "consent";
    public const string Contract = "contract";
    public const string LegalObligation = "legalObligation";
    public const string VitalInterests = "vitalInterests";
    public const string PublicTask = "publicTask";
    public const string LegitimateInterests = "legitimateInterests";
    public static readonly IReadOnlyList<string> All = [Consent, Contract, LegalObligation, VitalInterests, PublicTask, LegitimateInterests];
}

/// <summary>The ten Art. 9(2) conditions, (a) to (j).</summary>
public static class Article9Conditions
{
    public const string ExplicitConsent = "explicitConsent";
    public static readonly IReadOnlyList<string> All =
    [
        ExplicitConsent, "employmentSocialSecurity", "vitalInterests", "notForProfitBody", "madePublicByDataSubject",
        "legalClaims", "substantialPublicInterest", "healthOrSocialCare", "publicHealth", "archivingResearchStatistics",
    ];
}
