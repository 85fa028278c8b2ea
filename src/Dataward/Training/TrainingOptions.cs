using System.ComponentModel.DataAnnotations;

namespace Dataward.Training;

/// <summary>The <c>Training</c> section: the organisation's settings for training records (accountability.md §3.4).</summary>
public sealed class TrainingOptions
{
    public const string Section = "Training";

    /// <summary><c>inductionGraceDays</c>: days after the start date by which the DPO meets a new starter.</summary>
    [Range(0, 365)]
    public int InductionGraceDays { get; set; } = 30;

    /// <summary>How many days before a completion expires it shows as due soon and its holder is reminded (ACC015).</summary>
    [Range(1, 365)]
    public int DueSoonDays { get; set; } = 30;

    /// <summary>Staff who started before this date need no induction meeting recorded (the people already there when
    /// the organisation began keeping these records). None: everyone.</summary>
    public DateOnly? InductionMeetingsSince { get; set; }
}
