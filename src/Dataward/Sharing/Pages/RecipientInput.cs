using Dataward.Domain.Sharing;

namespace Dataward.Sharing.Pages;

/// <summary>The recipient form as posted; translates to and from <see cref="RecipientRequest"/>.</summary>
public sealed class RecipientInput
{
    public string? Name { get; set; }
    public string? Role { get; set; } = RecipientRoles.Processor;
    public string? Contact { get; set; }
    public bool ContractInPlace { get; set; }
    public DateOnly? ContractDate { get; set; }
    public List<string>? Clauses { get; set; } = [];
    public string? SubProcessors { get; set; }
    public string? Countries { get; set; }
    public string? TransferSafeguard { get; set; } = TransferSafeguards.None;
    public string? TraReference { get; set; }
    public DateOnly? TraDate { get; set; }
    public DateOnly? ReviewDue { get; set; }

    public RecipientRequest ToRequest() => ToRequest(Clauses ?? []);

    private RecipientRequest ToRequest(List<string> clauses) => new(Name, Role, Contact, ContractInPlace, ContractDate, new Art28Clauses(
            clauses.Contains("a_documentedInstructions"), clauses.Contains("b_confidentiality"), clauses.Contains("c_security"), clauses.Contains("d_subProcessors"),
            clauses.Contains("e_assistRights"), clauses.Contains("f_assistCompliance"), clauses.Contains("g_deleteOrReturn"), clauses.Contains("h_auditInfo")),
        Lines(SubProcessors, '\n'), Lines(Countries, ','), TransferSafeguard, TraReference, TraDate, ReviewDue);

    public static RecipientInput From(RecipientView view)
    {
        var missing = view.Art28Clauses.Missing();
        return new RecipientInput
        {
            Name = view.Name,
            Role = view.Role,
            Contact = view.Contact,
            ContractInPlace = view.ContractInPlace,
            ContractDate = view.ContractDate,
            Clauses = [.. Pages.RecipientFields.Clauses.Select(c => c.Key).Where(k => !missing.Contains(k))],
            SubProcessors = string.Join('\n', view.SubProcessors),
            Countries = string.Join(", ", view.Countries),
            TransferSafeguard = view.TransferSafeguard,
            TraReference = view.TraReference,
            TraDate = view.TraDate,
            ReviewDue = view.ReviewDue,
        };
    }

    private static IReadOnlyList<string> Lines(string? text, char separator) =>
        (text ?? "").Split(separator, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}
