using Microsoft.AspNetCore.Identity;

namespace Dataward.Platform.Security;

/// <summary>A member of staff who signs in to the UI. Each has exactly one <see cref="StaffRoles"/> role.</summary>
public sealed class StaffUser : IdentityUser<Guid>
{
    public DateTimeOffset CreatedAt { get; set; }
}

/// <summary>The roles staff and tokens can hold, in the words the policy uses.</summary>
public static class StaffRoles
{
    public const string Administrator = nameof(Administrator);
    public const string DataProtectionOfficer = nameof(DataProtectionOfficer);
    public const string Staff = nameof(Staff);
    /// <summary>Read-only: browses and exports, never changes anything.</summary>
    public const string Auditor = nameof(Auditor);

    public static readonly IReadOnlyList<string> All = [Administrator, DataProtectionOfficer, Staff, Auditor];

    /// <summary>The canonical spelling of <paramref name="text"/> if it names a role (any case), else null.</summary>
    public static string? Parse(string? text) =>
        All.FirstOrDefault(r => string.Equals(r, text?.Trim(), StringComparison.OrdinalIgnoreCase));
}

/// <summary>Authorization policy names; each says who may do what.</summary>
public static class Policies
{
    /// <summary>Administrator only: accounts and tokens.</summary>
    public const string ManageAccess = nameof(ManageAccess);

    /// <summary>Administrator, DPO and Auditor: read and export the audit trail.</summary>
    public const string ReadAudit = nameof(ReadAudit);

    /// <summary>Any staff role, any authentication scheme.</summary>
    public const string Staff = nameof(Staff);

    /// <summary>Administrator and DPO: change the register, the organisation record, taxonomy keys and policy rules.</summary>
    public const string EditRegister = nameof(EditRegister);
    /// <summary>Logging and handling data-subject requests: Administrator, DPO and Staff.</summary>
    public const string HandleRequests = nameof(HandleRequests);
    /// <summary>Approving erasures and releases of data-subject requests: Administrator and DPO.</summary>
    public const string ApproveRequests = nameof(ApproveRequests);

    /// <summary>The DPO alone signs off register reviews (policy P1).</summary>
    public const string ReviewRegister = nameof(ReviewRegister);

    /// <summary>Administrator, DPO and Auditor: open a person's consent record with the identifier decrypted, export
    /// proof of consent (CNS022, CNS023).</summary>
    public const string ReadConsentSubjects = nameof(ReadConsentSubjects);

    /// <summary>Administrator and DPO: erase a person's identifiers from the consent ledger (CNS024).</summary>
    public const string EraseConsentSubjects = nameof(EraseConsentSubjects);

    /// <summary>Reporting a suspected breach: Administrator, DPO and Staff (Auditors change nothing).</summary>
    public const string ReportBreaches = nameof(ReportBreaches);

    /// <summary>Triage, assessment, decisions, notifications and closure of breaches: Administrator and DPO.</summary>
    public const string HandleBreaches = nameof(HandleBreaches);

    /// <summary><c>keys.manage</c>: pseudonymisation key domains, rotation, destruction, and computing pseudonyms of
    /// given values (which links values to pseudonyms): Administrator and DPO.</summary>
    public const string ManageKeys = nameof(ManageKeys);

    /// <summary>Putting values in the tokenisation vault: Administrator, DPO and Staff.</summary>
    public const string Tokenise = nameof(Tokenise);

    /// <summary><c>vault.detokenise</c>: reading a value back out of the vault (MIN013): the DPO only.</summary>
    public const string Detokenise = nameof(Detokenise);

    /// <summary><c>share.export</c>: producing an extract for a recipient: Administrator and DPO.</summary>
    public const string ShareExport = nameof(ShareExport);

    /// <summary>Screening activities and writing DPIAs: Administrator, DPO and Staff (Auditors change nothing).</summary>
    public const string EditDpias = nameof(EditDpias);

    /// <summary>The DPO alone gives the DPO's advice on a DPIA (Art. 35(2)).</summary>
    public const string AdviseOnDpias = nameof(AdviseOnDpias);

    /// <summary>Signing off DPIAs, reviewing them and tracking prior consultations with the ICO: Administrator and DPO.</summary>
    public const string SignOffDpias = nameof(SignOffDpias);

    /// <summary>Reading staff training records: Administrator, DPO and Auditor.</summary>
    public const string ReadTraining = nameof(ReadTraining);

    /// <summary>Courses, staff, completions and induction meetings: Administrator and DPO.</summary>
    public const string ManageTraining = nameof(ManageTraining);

    /// <summary>Logging, acknowledging and answering complaints: Administrator, DPO and Staff (Auditors read).</summary>
    public const string HandleComplaints = nameof(HandleComplaints);

    /// <summary>The DPO's workspace and the management report (ACC016, accountability.md §5): DPO, Administrator and
    /// Auditor (read-only by nature). Staff are refused: the workspace summarises colleagues' overdue training and
    /// every open breach, which is for those who oversee compliance.</summary>
    public const string ReadDashboard = nameof(ReadDashboard);
}
