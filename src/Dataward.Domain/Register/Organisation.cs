namespace Dataward.Domain.Register;

/// <summary>The controller behind the register (Art. 30(1)(a)) and the jurisdictions whose rules apply.</summary>
public sealed record Organisation
{
    public string Name { get; init; } = "";
    public string? Address { get; init; }
    public string? Email { get; init; }
    public string? Phone { get; init; }
    public ContactDetails? Dpo { get; init; }
    public ContactDetails? Representative { get; init; }

    /// <summary><c>UK</c> and/or <c>EU</c>: which transfers are restricted and whether Schedule 1 applies.</summary>
    public IReadOnlyList<string> Jurisdictions { get; init; } = ["UK"];

    /// <summary>Shown for information only: Dataward keeps the full record whatever the size (register.md §1.3).</summary>
    public int? EmployeeCount { get; init; }

    public bool IsUk => Jurisdictions.Contains("UK", StringComparer.OrdinalIgnoreCase);
}

public sealed record ContactDetails(string? Name = null, string? Email = null, string? Phone = null, string? Address = null);
