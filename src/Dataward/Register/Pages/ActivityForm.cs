using Dataward.Domain.Register;

namespace Dataward.Register.Pages;

/// <summary>The activity form as the browser posts it: text boxes, one key or item per line. Translates to and
/// from <see cref="ProcessingActivity"/>; the rules themselves stay in the domain.</summary>
public sealed class ActivityForm
{
    public string? Name { get; set; }
    public string? Status { get; set; } = ActivityStatus.Draft;
    public string? Owner { get; set; }
    public string? BusinessFunction { get; set; }
    public string? Description { get; set; }
    public string? Purposes { get; set; }
    public string? DataSubjects { get; set; }
    public string? DataCategories { get; set; }
    public string? LawfulBasis { get; set; }
    public string? LawfulBasisDetail { get; set; }
    public string? ConsentPurpose { get; set; }
    public string? LiaPurpose { get; set; }
    public string? LiaNecessity { get; set; }
    public string? LiaBalancing { get; set; }
    public string? LiaLink { get; set; }
    public string? Article9Condition { get; set; }
    public string? Schedule1Condition { get; set; }
    public string? AppropriatePolicyDocument { get; set; }
    public string? Article10Condition { get; set; }
    public string? Sources { get; set; }
    /// <summary>One per line: name | kind | country | contract link.</summary>
    public string? Recipients { get; set; }
    public string? JointControllers { get; set; }
    /// <summary>One per line: country | mechanism | derogation | document link | recipient.</summary>
    public string? Transfers { get; set; }
    public string? RetentionPeriod { get; set; }
    public string? RetentionCriteria { get; set; }
    public string? RetentionTrigger { get; set; }
    public string? RetentionPolicyLink { get; set; }
    public string? SecurityMeasures { get; set; }
    public bool AutomatedDecisions { get; set; }
    public string? AutomatedLogic { get; set; }
    public string? AutomatedGround { get; set; }
    public string? Systems { get; set; }
    public string? Datasets { get; set; }
    public bool DpiaRequired { get; set; }
    public string? DpiaStatus { get; set; }
    public string? DpiaLink { get; set; }
    public int? Version { get; set; }

    public ProcessingActivity ToActivity() => new()
    {
        Name = (Name ?? "").Trim(),
        Status = Status ?? ActivityStatus.Draft,
        Owner = Text(Owner),
        BusinessFunction = Text(BusinessFunction),
        Description = Text(Description),
        Purposes = Keys(Purposes),
        DataSubjects = Keys(DataSubjects),
        DataCategories = Keys(DataCategories),
        LawfulBasis = Text(LawfulBasis),
        LawfulBasisDetail = Text(LawfulBasisDetail),
        ConsentPurpose = Text(ConsentPurpose),
        LegitimateInterestsAssessment = Text(LiaPurpose) is null && Text(LiaNecessity) is null && Text(LiaBalancing) is null && Text(LiaLink) is null
            ? null
            : new LegitimateInterestsAssessment(Text(LiaPurpose), Text(LiaNecessity), Text(LiaBalancing), Text(LiaLink)),
        Article9Condition = Text(Article9Condition),
        Schedule1Condition = Text(Schedule1Condition),
        AppropriatePolicyDocument = Text(AppropriatePolicyDocument) is { } apd ? new DocumentLink(apd) : null,
        Article10Condition = Text(Article10Condition),
        Sources = Lines(Sources),
        Recipients = Lines(Recipients).Select(line => Parts(line, 4) is var p ? new Recipient(p[0] ?? "", p[1] ?? "other", p[2], p[3]) : null!).ToList(),
        JointControllers = Lines(JointControllers),
        Transfers = Lines(Transfers).Select(line => Parts(line, 5) is var p ? new Transfer(Country: p[0], Mechanism: p[1], Derogation: p[2], DocumentLink: p[3], Recipient: p[4]) : null!).ToList(),
        Retention = Text(RetentionPeriod) is null && Text(RetentionCriteria) is null && Text(RetentionTrigger) is null && Text(RetentionPolicyLink) is null
            ? null
            : new Domain.Register.Retention(Text(RetentionPeriod), Text(RetentionCriteria), Text(RetentionTrigger), Text(RetentionPolicyLink)),
        SecurityMeasures = Text(SecurityMeasures),
        AutomatedDecisionMaking = AutomatedDecisions ? new AutomatedDecisionMaking(true, Text(AutomatedLogic), Text(AutomatedGround)) : null,
        Systems = Keys(Systems),
        Datasets = Keys(Datasets),
        Dpia = DpiaRequired || Text(DpiaStatus) is not null || Text(DpiaLink) is not null ? new Dpia(DpiaRequired, Text(DpiaStatus), Text(DpiaLink)) : null,
    };

    public static ActivityForm From(ActivityView a) => new()
    {
        Name = a.Name,
        Status = a.Status,
        Owner = a.Owner,
        BusinessFunction = a.BusinessFunction,
        Description = a.Description,
        Purposes = Join(a.Purposes),
        DataSubjects = Join(a.DataSubjects),
        DataCategories = Join(a.DataCategories),
        LawfulBasis = a.LawfulBasis,
        LawfulBasisDetail = a.LawfulBasisDetail,
        ConsentPurpose = a.ConsentPurpose,
        LiaPurpose = a.LegitimateInterestsAssessment?.Purpose,
        LiaNecessity = a.LegitimateInterestsAssessment?.Necessity,
        LiaBalancing = a.LegitimateInterestsAssessment?.Balancing,
        LiaLink = a.LegitimateInterestsAssessment?.Link,
        Article9Condition = a.Article9Condition,
        Schedule1Condition = a.Schedule1Condition,
        AppropriatePolicyDocument = a.AppropriatePolicyDocument?.Link,
        Article10Condition = a.Article10Condition,
        Sources = Join(a.Sources),
        Recipients = Join(a.Recipients.Select(r => string.Join(" | ", r.Name, r.Kind, r.Country ?? "", r.ContractLink ?? "").TrimEnd(' ', '|'))),
        JointControllers = Join(a.JointControllers),
        Transfers = Join(a.Transfers.Select(t => string.Join(" | ", t.Country ?? t.InternationalOrganisation ?? "", t.Mechanism ?? "", t.Derogation ?? "", t.DocumentLink ?? "", t.Recipient ?? "").TrimEnd(' ', '|'))),
        RetentionPeriod = a.Retention?.Period,
        RetentionCriteria = a.Retention?.Criteria,
        RetentionTrigger = a.Retention?.Trigger,
        RetentionPolicyLink = a.Retention?.PolicyLink,
        SecurityMeasures = a.SecurityMeasures,
        AutomatedDecisions = a.AutomatedDecisionMaking?.Exists ?? false,
        AutomatedLogic = a.AutomatedDecisionMaking?.Logic,
        AutomatedGround = a.AutomatedDecisionMaking?.Article22Ground,
        Systems = Join(a.Systems),
        Datasets = Join(a.Datasets),
        DpiaRequired = a.Dpia?.Required ?? false,
        DpiaStatus = a.Dpia?.Status,
        DpiaLink = a.Dpia?.Link,
        Version = a.Version,
    };

    private static string? Text(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();

    private static List<string> Lines(string? value) =>
        (value ?? "").Split(['\n', '\r'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList();

    // Keys have no commas or spaces, so either separates them.
    private static List<string> Keys(string? value) =>
        (value ?? "").Split(['\n', '\r', ',', ' '], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList();

    private static string?[] Parts(string line, int count)
    {
        var parts = line.Split('|', StringSplitOptions.TrimEntries).Select(p => p.Length == 0 ? null : p).ToList();
        while (parts.Count < count)
        {
            parts.Add(null);
        }
        return [.. parts.Take(count)];
    }

    private static string Join(IEnumerable<string> values) => string.Join("\n", values);
}
