using Dataward.Domain.Sharing;

namespace Dataward.Sharing.Pages;

/// <summary>The agreement form as posted: fields one per line as <c>field=treatment</c>.</summary>
public sealed class AgreementInput
{
    public string? Recipient { get; set; }
    public string? Activity { get; set; }
    public string? Collection { get; set; }
    public string? Fields { get; set; }
    public string? QuasiIdentifiers { get; set; }
    public int? K { get; set; }
    public string? Status { get; set; } = AgreementStatuses.Draft;
    public DateOnly? ReviewDue { get; set; }
    public bool InvolvesSale { get; set; }
    public string? LawfulBasis { get; set; }
    public string? RetentionByRecipient { get; set; }
    public string? SecurityMeasures { get; set; }
    public string? RightsHandling { get; set; }
    public string? Transparency { get; set; }
    public string? InternationalTransfer { get; set; }

    public AgreementRequest ToRequest()
    {
        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in (Fields ?? "").Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var parts = line.Split('=', 2, StringSplitOptions.TrimEntries);
            fields[parts[0]] = parts.Length == 2 ? parts[1] : "";
        }
        return new AgreementRequest(Recipient, Activity, Collection, fields,
            (QuasiIdentifiers ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries), K, Status, ReviewDue, InvolvesSale,
            string.IsNullOrWhiteSpace(LawfulBasis) ? null : LawfulBasis, RetentionByRecipient, SecurityMeasures, RightsHandling, Transparency, InternationalTransfer);
    }

    public static AgreementInput From(AgreementView view) => new()
    {
        Recipient = view.Recipient.Id.ToString(),
        Activity = view.Activity.Id.ToString(),
        Collection = view.Collection,
        Fields = string.Join('\n', view.Fields.Select(f => $"{f.Key}={f.Value}")),
        QuasiIdentifiers = string.Join(", ", view.QuasiIdentifiers),
        K = view.K,
        Status = view.Status,
        ReviewDue = view.ReviewDue,
        InvolvesSale = view.InvolvesSale,
        LawfulBasis = view.Terms.LawfulBasis,
        RetentionByRecipient = view.Terms.RetentionByRecipient,
        SecurityMeasures = view.Terms.SecurityMeasures,
        RightsHandling = view.Terms.RightsHandling,
        Transparency = view.Terms.Transparency,
        InternationalTransfer = view.Terms.InternationalTransfer,
    };
}
