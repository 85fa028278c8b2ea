using Dataward.Domain.Register;

namespace Dataward.Domain.Sharing;

/// <summary>What a third party is to the organisation (Arts. 26, 28).</summary>
public static class RecipientRoles
{
    public const string Processor = "processor";
    public const string Controller = "controller";
    public const string Joint = "joint";
    public static readonly IReadOnlyList<string> All = [Processor, Controller, Joint];
}

/// <summary>The Chapter V ground a transfer rests on (minimisation.md §6.3).</summary>
public static class TransferSafeguards
{
    public const string Adequacy = "adequacy";
    public const string None = "none";
    public const string Derogation = "derogation";
    public static readonly IReadOnlyList<string> All = [Adequacy, "sccs", "idta", "ukAddendum", "bcr", Derogation, None];

    /// <summary>Art. 46 mechanisms: each needs a transfer risk assessment (MIN021).</summary>
    public static readonly IReadOnlySet<string> Article46 = new HashSet<string> { "sccs", "idta", "ukAddendum", "bcr" };
}

/// <summary>How an agreed field leaves: as it is, as a keyed pseudonym, or generalised per §4.1.</summary>
public static class Treatments
{
    public const string AsIs = "asIs";
    public const string Pseudonymise = "pseudonymise";
    public const string Generalise = "generalise";
    public static readonly IReadOnlyList<string> All = [AsIs, Pseudonymise, Generalise];
}

/// <summary>A sharing agreement's life: drafted, in force, suspended, or ended. Only <c>active</c> allows exports (MIN019).</summary>
public static class AgreementStatuses
{
    public const string Draft = "draft";
    public const string Active = "active";
    public const string Suspended = "suspended";
    public const string Ended = "ended";
    public static readonly IReadOnlyList<string> All = [Draft, Active, Suspended, Ended];
}

/// <summary>The eight Art. 28(3) clauses a processor contract must contain (minimisation.md §6.1).</summary>
public sealed record Art28Clauses(
    bool A_documentedInstructions = false,
    bool B_confidentiality = false,
    bool C_security = false,
    bool D_subProcessors = false,
    bool E_assistRights = false,
    bool F_assistCompliance = false,
    bool G_deleteOrReturn = false,
    bool H_auditInfo = false)
{
    /// <summary>The keys of the clauses not confirmed, in the spec's spelling.</summary>
    public IReadOnlyList<string> Missing() =>
    [
        .. new (bool Present, string Key)[]
        {
            (A_documentedInstructions, "a_documentedInstructions"), (B_confidentiality, "b_confidentiality"), (C_security, "c_security"),
            (D_subProcessors, "d_subProcessors"), (E_assistRights, "e_assistRights"), (F_assistCompliance, "f_assistCompliance"),
            (G_deleteOrReturn, "g_deleteOrReturn"), (H_auditInfo, "h_auditInfo"),
        }.Where(c => !c.Present).Select(c => c.Key),
    ];
}

/// <summary>The facts about a recipient that decide whether data may go to it.</summary>
public sealed record RecipientFacts(string Name, string Role, bool ContractInPlace, IReadOnlyList<string> Countries, string TransferSafeguard,
    string? TraReference);

/// <summary>The facts about an agreement that decide whether it may be exported now.</summary>
public sealed record AgreementFacts(string Reference, string Status, DateOnly? ReviewDue);

/// <summary>The export gate (MIN019, MIN021) and the field rule (MIN018), as plain functions of the facts.</summary>
public static class SharingRules
{
    /// <summary>MIN019 and MIN021: why an export under this agreement to this recipient may not run today; empty when it may.</summary>
    public static IReadOnlyList<Violation> ExportBlockers(AgreementFacts agreement, RecipientFacts recipient, Organisation organisation, DateOnly today)
    {
        var blockers = new List<Violation>();
        if (agreement.Status != AgreementStatuses.Active)
        {
            blockers.Add(new Violation("status", $"Agreement {agreement.Reference} is {agreement.Status}; only an active agreement allows exports.", "MIN019"));
        }
        if (agreement.ReviewDue is not { } due)
        {
            blockers.Add(new Violation("reviewDue", $"Agreement {agreement.Reference} has no review date; set one before exporting.", "MIN019"));
        }
        else if (due < today)
        {
            blockers.Add(new Violation("reviewDue", $"Agreement {agreement.Reference} was due for review on {due:yyyy-MM-dd}; review it before exporting.", "MIN019"));
        }
        if (recipient.Role == RecipientRoles.Processor && !recipient.ContractInPlace)
        {
            blockers.Add(new Violation("recipient", $"{recipient.Name} is a processor without an Art. 28 contract in place.", "MIN019"));
        }
        blockers.AddRange(TransferBlockers(recipient, organisation));
        return blockers;
    }

    /// <summary>MIN021: a country without adequacy needs a safeguard other than <c>none</c>; an Art. 46 mechanism also
    /// needs a transfer risk assessment. A recipient whose countries are unknown cannot be judged, so it is refused.</summary>
    public static IReadOnlyList<Violation> TransferBlockers(RecipientFacts recipient, Organisation organisation)
    {
        if (recipient.Countries.Count == 0)
        {
            return [new Violation("recipient", $"Record the countries where {recipient.Name} processes the data: without them the transfer cannot be assessed.", "MIN021")];
        }
        var restricted = recipient.Countries
            .Where(c => Transfers.IsRestricted(new Transfer(Country: c), organisation) && !Transfers.HasAdequacy(c, organisation)).ToList();
        if (restricted.Count == 0)
        {
            return [];
        }
        var where = string.Join(", ", restricted);
        if (recipient.TransferSafeguard is TransferSafeguards.None or TransferSafeguards.Adequacy)
        {
            return [new Violation("recipient", $"{recipient.Name} receives data in {where}, which has no adequacy decision: record a transfer safeguard (SCCs, IDTA, UK Addendum, BCRs or a derogation).", "MIN021")];
        }
        if (TransferSafeguards.Article46.Contains(recipient.TransferSafeguard) && string.IsNullOrWhiteSpace(recipient.TraReference))
        {
            return [new Violation("recipient", $"{recipient.Name} receives data in {where} under {recipient.TransferSafeguard}, an Art. 46 mechanism: record the transfer risk assessment.", "MIN021")];
        }
        return [];
    }

    /// <summary>MIN018: the fields an export may hold, in the order asked, or the violation naming the agreement.</summary>
    public static Outcome<IReadOnlyList<string>> SelectFields(string reference, IReadOnlyList<string> agreed, IReadOnlyList<string>? requested)
    {
        if (requested is null)
        {
            return agreed.Count == 0
                ? Outcome<IReadOnlyList<string>>.Conflict("fields", $"Agreement {reference} lists no fields yet, so nothing may be exported under it.", "MIN023")
                : Outcome<IReadOnlyList<string>>.Success(agreed);
        }
        if (requested.Count == 0)
        {
            return Outcome<IReadOnlyList<string>>.Invalid("fields", "Name the fields to export, or leave the list out for every agreed field.", "MIN018");
        }
        var outside = requested.Where(f => !agreed.Contains(f, StringComparer.Ordinal)).Distinct(StringComparer.Ordinal).ToList();
        if (outside.Count > 0)
        {
            return Outcome<IReadOnlyList<string>>.Invalid("fields",
                $"Agreement {reference} does not cover {string.Join(", ", outside.Select(f => $"'{Shorten(f)}'"))}; it allows {(agreed.Count == 0 ? "no fields" : string.Join(", ", agreed))}.", "MIN018");
        }
        return Outcome<IReadOnlyList<string>>.Success([.. requested.Distinct(StringComparer.Ordinal)]);
    }

    private static string Shorten(string field) => field.Length > 64 ? field[..64] + "…" : field;
}
