using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Dataward.Audit;
using Dataward.Domain;
using Dataward.Domain.Register;
using Dataward.Domain.Sharing;
using Dataward.Platform.Security;
using Dataward.Platform.Storage;
using Dataward.Register;
using Microsoft.EntityFrameworkCore;

namespace Dataward.Sharing;

/// <summary>A recipient as the API takes it (minimisation.md §6.1). Omitted: no contract, no countries, transfer
/// safeguard <c>none</c>, review due a year from today.</summary>
public sealed record RecipientRequest(string? Name = null, string? Role = null, string? Contact = null, bool? ContractInPlace = null,
    DateOnly? ContractDate = null, Art28Clauses? Art28Clauses = null, IReadOnlyList<string>? SubProcessors = null, IReadOnlyList<string>? Countries = null,
    string? TransferSafeguard = null, string? TraReference = null, DateOnly? TraDate = null, DateOnly? ReviewDue = null);

/// <summary>A register activity that discloses to the recipient, and how the activity names it (its recipient
/// <c>kind</c>, or <c>jointController</c>).</summary>
public sealed record LinkedActivity(Guid Id, string Name, string Status, string NamedAs);

/// <summary>A recipient with its linked activities, its agreements and what is missing (<c>gaps</c>, readable sentences).</summary>
public sealed record RecipientView(Guid Id, string Name, string Role, string? Contact, bool ContractInPlace, DateOnly? ContractDate, Art28Clauses Art28Clauses,
    IReadOnlyList<string> SubProcessors, IReadOnlyList<string> Countries, string TransferSafeguard, string? TraReference, DateOnly? TraDate,
    DateOnly ReviewDue, bool ReviewOverdue, IReadOnlyList<LinkedActivity> Activities, IReadOnlyList<string> Agreements, IReadOnlyList<string> Gaps,
    DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt, int Version);

/// <summary>A name that register activities disclose to but the recipient register does not hold yet.</summary>
public sealed record UnregisteredRecipient(string Name, string NamedAs, IReadOnlyList<string> Activities);

/// <summary>The register of recipients and processors. Its link to the Art. 30 register is by name: an activity's
/// <c>recipients[].name</c> (or <c>jointControllers</c>) equal to the recipient's name, ignoring case and surrounding
/// spaces. The activity stays the one place that says who it discloses to; this register adds what the contract and
/// the transfer need, and shows the activities that name each recipient and the names no recipient answers to.</summary>
public sealed partial class RecipientService(DatawardDbContext db, KeyRing keys, AuditTrail audit, RegisterService register, TimeProvider time)
{
    private const string ContactPurpose = "recipients.contact";
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public async Task<IReadOnlyList<RecipientView>> ListAsync(CancellationToken cancellationToken = default)
    {
        var records = await db.Set<RecipientRecord>().AsNoTracking().OrderBy(r => r.Name).ToListAsync(cancellationToken);
        var context = await ContextAsync(cancellationToken);
        return [.. records.Select(r => View(r, context))];
    }

    public async Task<RecipientView?> GetAsync(Guid id, CancellationToken cancellationToken = default) =>
        await db.Set<RecipientRecord>().AsNoTracking().FirstOrDefaultAsync(r => r.Id == id, cancellationToken) is { } record
            ? View(record, await ContextAsync(cancellationToken))
            : null;

    /// <summary>The recipient with this id or name (any case).</summary>
    public async Task<RecipientRecord?> FindAsync(string? idOrName, CancellationToken cancellationToken = default)
    {
        if (string.IsNullOrWhiteSpace(idOrName))
        {
            return null;
        }
        if (Guid.TryParse(idOrName, out var id))
        {
            return await db.Set<RecipientRecord>().AsNoTracking().FirstOrDefaultAsync(r => r.Id == id, cancellationToken);
        }
        var key = NameKey(idOrName);
        return await db.Set<RecipientRecord>().AsNoTracking().FirstOrDefaultAsync(r => r.NameKey == key, cancellationToken);
    }

    public async Task<Outcome<RecipientView>> CreateAsync(RecipientRequest request, string actor, CancellationToken cancellationToken = default)
    {
        var violations = Validate(request);
        if (violations.Count > 0)
        {
            return Outcome<RecipientView>.Fail(FailureKind.Invalid, [.. violations]);
        }
        var now = time.GetUtcNow();
        var record = new RecipientRecord { Name = "", NameKey = "", Role = "", TransferSafeguard = "", CreatedAt = now };
        Apply(record, request, now);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        if (await db.Set<RecipientRecord>().AnyAsync(r => r.NameKey == record.NameKey, cancellationToken))
        {
            return Outcome<RecipientView>.Conflict("name", $"A recipient named '{record.Name}' is registered already.");
        }
        db.Add(record);
        try
        {
            await audit.RecordAsync(actor, "recipients.created", $"recipient:{record.Id}", Details(record), cancellationToken);
            await transaction.CommitAsync(cancellationToken);
        }
        catch (DbUpdateException e) when (DatabaseErrors.IsUniqueViolation(e))
        {
            return Outcome<RecipientView>.Conflict("name", $"A recipient named '{record.Name}' is registered already.");
        }
        return Outcome<RecipientView>.Success(View(record, await ContextAsync(cancellationToken)));
    }

    public async Task<Outcome<RecipientView>> UpdateAsync(Guid id, RecipientRequest request, string actor, CancellationToken cancellationToken = default)
    {
        var violations = Validate(request);
        if (violations.Count > 0)
        {
            return Outcome<RecipientView>.Fail(FailureKind.Invalid, [.. violations]);
        }
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var record = await db.Set<RecipientRecord>().FirstOrDefaultAsync(r => r.Id == id, cancellationToken);
        if (record is null)
        {
            return Outcome<RecipientView>.NotFound("id", "No recipient has this id.");
        }
        var key = NameKey(request.Name!);
        if (key != record.NameKey && await db.Set<RecipientRecord>().AnyAsync(r => r.NameKey == key, cancellationToken))
        {
            return Outcome<RecipientView>.Conflict("name", $"A recipient named '{request.Name!.Trim()}' is registered already.");
        }
        Apply(record, request, time.GetUtcNow());
        record.Version++;
        try
        {
            await audit.RecordAsync(actor, "recipients.updated", $"recipient:{record.Id}", Details(record), cancellationToken);
            await transaction.CommitAsync(cancellationToken);
        }
        catch (DbUpdateException e) when (DatabaseErrors.IsUniqueViolation(e))
        {
            return Outcome<RecipientView>.Conflict("name", $"A recipient named '{record.Name}' is registered already.");
        }
        return Outcome<RecipientView>.Success(View(record, await ContextAsync(cancellationToken)));
    }

    /// <summary>Removes a recipient no agreement names; one with agreements stays, as the record of what was shared.</summary>
    public async Task<Outcome<Guid>> DeleteAsync(Guid id, string actor, CancellationToken cancellationToken = default)
    {
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var record = await db.Set<RecipientRecord>().FirstOrDefaultAsync(r => r.Id == id, cancellationToken);
        if (record is null)
        {
            return Outcome<Guid>.NotFound("id", "No recipient has this id.");
        }
        if (await db.Set<AgreementRecord>().AnyAsync(a => a.RecipientId == id, cancellationToken))
        {
            return Outcome<Guid>.Conflict("id", $"{record.Name} has sharing agreements, which keep it in the register; end them instead.");
        }
        db.Remove(record);
        await audit.RecordAsync(actor, "recipients.deleted", $"recipient:{id}", null, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return Outcome<Guid>.Success(id);
    }

    /// <summary>Names that register activities disclose to (recipients and joint controllers) with no entry here.</summary>
    public async Task<IReadOnlyList<UnregisteredRecipient>> UnregisteredAsync(CancellationToken cancellationToken = default)
    {
        var known = (await db.Set<RecipientRecord>().AsNoTracking().Select(r => r.NameKey).ToListAsync(cancellationToken)).ToHashSet(StringComparer.Ordinal);
        var activities = await register.ListAsync(new ActivityFilter(), cancellationToken);
        return [.. Named(activities).Where(n => !known.Contains(NameKey(n.Name)))
            .GroupBy(n => NameKey(n.Name))
            .Select(g => new UnregisteredRecipient(g.First().Name, g.First().NamedAs, [.. g.Select(n => n.Activity.Name).Distinct().Order(StringComparer.Ordinal)]))
            .OrderBy(u => u.Name, StringComparer.OrdinalIgnoreCase)];
    }

    /// <summary>The activities of the register that name a recipient (by its name key).</summary>
    public static IReadOnlyList<LinkedActivity> LinkedActivities(string nameKey, IEnumerable<ActivityView> activities) =>
        [.. Named(activities).Where(n => NameKey(n.Name) == nameKey)
            .Select(n => new LinkedActivity(n.Activity.Id, n.Activity.Name, n.Activity.Status, n.NamedAs))
            .DistinctBy(l => l.Id)];

    public RecipientFacts Facts(RecipientRecord record) => new(record.Name, record.Role, record.ContractInPlace,
        JsonSerializer.Deserialize<List<string>>(record.Countries) ?? [], record.TransferSafeguard, record.TraReference);

    public static string NameKey(string name) => name.Trim().ToUpperInvariant();

    private static IEnumerable<(string Name, string NamedAs, ActivityView Activity)> Named(IEnumerable<ActivityView> activities) =>
        activities.SelectMany(a => a.Recipients.Where(r => !string.IsNullOrWhiteSpace(r.Name)).Select(r => (r.Name.Trim(), r.Kind, a))
            .Concat(a.JointControllers.Where(j => !string.IsNullOrWhiteSpace(j)).Select(j => (j.Trim(), "jointController", a))));

    private sealed record ViewContext(IReadOnlyList<ActivityView> Activities, ILookup<Guid, string> Agreements, Organisation Organisation, DateOnly Today);

    private async Task<ViewContext> ContextAsync(CancellationToken cancellationToken)
    {
        var agreements = await db.Set<AgreementRecord>().AsNoTracking().Select(a => new { a.RecipientId, a.Reference }).ToListAsync(cancellationToken);
        return new ViewContext(await register.ListAsync(new ActivityFilter(), cancellationToken),
            agreements.OrderBy(a => a.Reference, StringComparer.Ordinal).ToLookup(a => a.RecipientId, a => a.Reference),
            await register.OrganisationAsync(cancellationToken), DateOnly.FromDateTime(time.GetUtcNow().UtcDateTime));
    }

    private RecipientView View(RecipientRecord r, ViewContext context)
    {
        var clauses = JsonSerializer.Deserialize<Art28Clauses>(r.Art28Clauses, Json) ?? new Art28Clauses();
        var linked = LinkedActivities(r.NameKey, context.Activities);
        var facts = Facts(r);
        var gaps = new List<string>();
        if (r.Role == RecipientRoles.Processor)
        {
            if (!r.ContractInPlace)
            {
                gaps.Add("No Art. 28 contract in place: exports to this processor are refused (MIN019).");
            }
            else if (clauses.Missing() is { Count: > 0 } missing)
            {
                gaps.Add($"The contract is not confirmed to contain every Art. 28(3) clause: {string.Join(", ", missing)}.");
            }
        }
        gaps.AddRange(SharingRules.TransferBlockers(facts, context.Organisation).Select(v => $"{v.Message} ({v.RuleId})"));
        if (r.ReviewDue < context.Today)
        {
            gaps.Add($"Review overdue since {r.ReviewDue:yyyy-MM-dd}.");
        }
        foreach (var activity in linked.Where(l => !Consistent(r.Role, l.NamedAs)))
        {
            gaps.Add($"Activity '{activity.Name}' names it as {activity.NamedAs}, but it is registered as {r.Role}.");
        }
        if (linked.Count == 0)
        {
            gaps.Add("No register activity names it among its recipients.");
        }
        return new RecipientView(r.Id, r.Name, r.Role, r.ContactEncrypted is null ? null : keys.Decrypt(r.ContactEncrypted, ContactPurpose), r.ContractInPlace,
            r.ContractDate, clauses, JsonSerializer.Deserialize<List<string>>(r.SubProcessors) ?? [], facts.Countries, r.TransferSafeguard, r.TraReference, r.TraDate,
            r.ReviewDue, r.ReviewDue < context.Today, linked, [.. context.Agreements[r.Id]], gaps, r.CreatedAt, r.UpdatedAt, r.Version);
    }

    // Activities name recipients by kind (processor, controller, publicAuthority, other) or as joint controllers.
    private static bool Consistent(string role, string namedAs) => (role, namedAs) switch
    {
        (RecipientRoles.Processor, "controller" or "publicAuthority" or "jointController") => false,
        (RecipientRoles.Controller or RecipientRoles.Joint, "processor") => false,
        (RecipientRoles.Controller, "jointController") => false,
        _ => true,
    };

    private List<Violation> Validate(RecipientRequest request)
    {
        var violations = new List<Violation>();
        if (string.IsNullOrWhiteSpace(request.Name) || request.Name.Trim().Length > 200)
        {
            violations.Add(new Violation("name", "Give the recipient's name, up to 200 characters, as register activities name it."));
        }
        if (!RecipientRoles.All.Contains(request.Role))
        {
            violations.Add(new Violation("role", $"Use one of {string.Join(", ", RecipientRoles.All)}."));
        }
        if (request.Contact is { Length: > 500 })
        {
            violations.Add(new Violation("contact", "At most 500 characters."));
        }
        var today = DateOnly.FromDateTime(time.GetUtcNow().UtcDateTime);
        if (request.ContractInPlace == true && request.ContractDate is null)
        {
            violations.Add(new Violation("contractDate", "Give the date the contract was signed."));
        }
        if (request.ContractDate > today)
        {
            violations.Add(new Violation("contractDate", "A contract in place was signed today or earlier."));
        }
        if (request.SubProcessors is { } subs && (subs.Count > 50 || subs.Any(s => string.IsNullOrWhiteSpace(s) || s.Length > 200)))
        {
            violations.Add(new Violation("subProcessors", "Up to 50 names, each up to 200 characters."));
        }
        if (request.Countries is { } countries)
        {
            if (countries.Count > 50)
            {
                violations.Add(new Violation("countries", "Up to 50 countries."));
            }
            foreach (var (country, i) in countries.Select((c, i) => (c, i)))
            {
                if (country is null || !CountryCode().IsMatch(country.Trim().ToUpperInvariant()))
                {
                    violations.Add(new Violation($"countries[{i}]", "Use ISO 3166-1 alpha-2 codes such as GB, IE, US."));
                }
            }
        }
        if (request.TransferSafeguard is { } safeguard && !TransferSafeguards.All.Contains(safeguard))
        {
            violations.Add(new Violation("transferSafeguard", $"Use one of {string.Join(", ", TransferSafeguards.All)}."));
        }
        if (request.TraReference is { Length: > 500 })
        {
            violations.Add(new Violation("traReference", "At most 500 characters."));
        }
        if (request.TraDate > today)
        {
            violations.Add(new Violation("traDate", "A transfer risk assessment done today or earlier."));
        }
        return violations;
    }

    private void Apply(RecipientRecord record, RecipientRequest request, DateTimeOffset now)
    {
        record.Name = request.Name!.Trim();
        record.NameKey = NameKey(request.Name);
        record.Role = request.Role!;
        record.ContactEncrypted = string.IsNullOrWhiteSpace(request.Contact) ? null : keys.Encrypt(request.Contact.Trim(), ContactPurpose);
        record.ContractInPlace = request.ContractInPlace ?? false;
        record.ContractDate = request.ContractDate;
        record.Art28Clauses = JsonSerializer.Serialize(request.Art28Clauses ?? new Art28Clauses(), Json);
        record.SubProcessors = JsonSerializer.Serialize((request.SubProcessors ?? []).Select(s => s.Trim()).Distinct(StringComparer.Ordinal));
        record.Countries = JsonSerializer.Serialize((request.Countries ?? []).Select(c => c.Trim().ToUpperInvariant()).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal));
        record.TransferSafeguard = request.TransferSafeguard ?? TransferSafeguards.None;
        record.TraReference = string.IsNullOrWhiteSpace(request.TraReference) ? null : request.TraReference.Trim();
        record.TraDate = request.TraDate;
        record.ReviewDue = request.ReviewDue ?? DateOnly.FromDateTime(now.UtcDateTime).AddYears(1);
        record.UpdatedAt = now;
    }

    // References and facts only: the contact (personal data) never reaches the trail.
    private static JsonObject Details(RecipientRecord r) => new()
    {
        ["role"] = r.Role,
        ["contractInPlace"] = r.ContractInPlace,
        ["transferSafeguard"] = r.TransferSafeguard,
        ["version"] = r.Version,
    };

    [GeneratedRegex("^[A-Z]{2}$")]
    private static partial Regex CountryCode();
}
