using System.ComponentModel.DataAnnotations;

namespace Dataward.Complaints;

/// <summary>The <c>Complaints</c> section.</summary>
public sealed class ComplaintOptions
{
    public const string Section = "Complaints";

    /// <summary>The organisation's target for telling the person the outcome, in days with the day of receipt as day 1.
    /// The law says "without undue delay" (DPA 2018 s. 164A(4)); the ICO expects people to follow up after 30 days.</summary>
    [Range(1, 365)]
    public int ReplyTargetDays { get; set; } = 30;

    /// <summary>How many days before a deadline a complaint shows as due soon.</summary>
    [Range(1, 60)]
    public int DueSoonDays { get; set; } = 7;
}
