namespace Dataward.Domain.Register;

/// <summary>One DPA 2018 Schedule 1 condition and whether it needs an appropriate policy document (Part 4).</summary>
public sealed record Schedule1Condition(string Key, int Part, int Paragraph, bool ApdRequired);

/// <summary>The Schedule 1 reference list (register.md §3.2). APD flags for Part 3 follow para 5 and Part 4 as read
/// here; the spec marks the list "verify".</summary>
public static class Schedule1
{
    public static readonly IReadOnlyList<Schedule1Condition> All = Build();

    public static Schedule1Condition? Find(string? key) => All.FirstOrDefault(c => c.Key == key);

    /// <summary>Whether <paramref name="condition"/> can serve the Art. 9(2) condition, or criminal-offence data.</summary>
    public static bool Supports(Schedule1Condition condition, string? article9Condition, bool criminalOffenceData)
    {
        if (criminalOffenceData && article9Condition is null)
        {
            return true; // Parts 1 to 3 all serve Art. 10 data in the UK (s.10(5)).
        }
        return article9Condition switch
        {
            "employmentSocialSecurity" => condition is { Part: 1, Paragraph: 1 },
            "healthOrSocialCare" => condition is { Part: 1, Paragraph: 2 },
            "publicHealth" => condition is { Part: 1, Paragraph: 3 },
            "archivingResearchStatistics" => condition is { Part: 1, Paragraph: 4 },
            "substantialPublicInterest" => condition.Part == 2,
            _ => criminalOffenceData,
        };
    }

    /// <summary>The Art. 9(2) conditions that need a Schedule 1 condition in the UK (DPA 2018 s.10): (b), (g), (h), (i), (j).</summary>
    public static readonly IReadOnlySet<string> NeededBy = new HashSet<string>
    {
        "employmentSocialSecurity", "substantialPublicInterest", "healthOrSocialCare", "publicHealth", "archivingResearchStatistics",
    };

    private static List<Schedule1Condition> Build()
    {
        var list = new List<Schedule1Condition>
        {
            new("sch1.pt1.para1", 1, 1, ApdRequired: true),
            new("sch1.pt1.para2", 1, 2, ApdRequired: false),
            new("sch1.pt1.para3", 1, 3, ApdRequired: false),
            new("sch1.pt1.para4", 1, 4, ApdRequired: false),
        };
        for (var para = 6; para <= 28; para++)
        {
            list.Add(new($"sch1.pt2.para{para}", 2, para, ApdRequired: true));
        }
        // Part 3: consent (29), vital interests (30), made public (32), legal claims (33) and judicial acts (34)
        // need no policy document.
        for (var para = 29; para <= 37; para++)
        {
            list.Add(new($"sch1.pt3.para{para}", 3, para, ApdRequired: para is not (29 or 30 or 32 or 33 or 34)));
        }
        return list;
    }
}
