using System.Text.Json;
using System.Text.Json.Nodes;
using Dataward.Audit;
using Dataward.Domain;
using Dataward.Domain.Requests;
using Dataward.Domain.Training;
using Dataward.Platform.Security;
using Dataward.Platform.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Dataward.Training;

/// <summary>A course as the DPO defines it. <c>validityMonths</c> null: completions never expire. <c>requiredFor</c>
/// (departments or Dataward roles) narrows a mandatory course; empty means all staff.</summary>
public sealed record NewCourse(string? Title = null, string? Kind = null, int? ValidityMonths = null, bool? Mandatory = null,
    IReadOnlyList<string>? RequiredFor = null);

public sealed record CourseView(Guid Id, string Title, string Kind, int? ValidityMonths, bool Mandatory, IReadOnlyList<string> RequiredFor,
    DateTimeOffset CreatedAt);

/// <summary>A member of staff entered by hand (someone without an account, say).</summary>
public sealed record NewStaffMember(string? Name = null, string? Email = null, DateOnly? StartDate = null, string? Department = null);

/// <summary>Where a person stands with one course. <c>dueAt</c>: when it expires, or (never completed) since when it has been due.</summary>
public sealed record CourseStanding(Guid CourseId, string Title, bool Required, string State, DateTimeOffset? CompletedAt, DateTimeOffset? ExpiresAt,
    DateTimeOffset? DueAt);

/// <summary>The DPO's induction meeting with the person: <c>state</c> done, due, overdue or notRequired.</summary>
public sealed record InductionMeetingView(string State, DateOnly DueBy, DateTimeOffset? MetAt, string? Dpo, string? Notes);

/// <summary>One person's training: every course they must hold or have taken, and the induction meeting.</summary>
public sealed record StaffTraining(Guid Id, string Name, string Email, string? Department, DateOnly StartDate, DateOnly? LeftOn, bool HasAccount,
    string Source, bool Overdue, bool DueSoon, IReadOnlyList<CourseStanding> Courses, InductionMeetingView InductionMeeting);

public sealed record NewCompletion(Guid? StaffId = null, Guid? CourseId = null, DateTimeOffset? CompletedAt = null, string? Evidence = null);

public sealed record CompletionView(Guid Id, Guid StaffId, string StaffName, Guid CourseId, string CourseTitle, DateTimeOffset CompletedAt,
    DateTimeOffset? ExpiresAt, bool Expired, string Evidence, string RecordedBy, DateTimeOffset RecordedAt);

public sealed record InductionMeetingRequest(DateTimeOffset? MetAt = null, string? Notes = null);

public sealed record LeaverRequest(DateOnly? LeftOn = null);

public sealed record StaffImportSummary(int Rows, int Created, int Updated, int Unchanged);

public sealed record AccountSyncSummary(int Added, int Linked);

/// <summary>Training records (accountability.md §3.4, ACC015): courses, the staff whose training is tracked (from
/// accounts, a CSV file or by hand), completions with their expiry, the DPO's induction meetings, and who is overdue.</summary>
public sealed class TrainingService(DatawardDbContext db, KeyRing keys, AuditTrail audit, Deadlines deadlines, IOptions<TrainingOptions> options,
    TimeProvider time)
{
    private const string StaffPurpose = "training.staff";
    private const string EmailHashPurpose = "training.staff_email";
    private const string NotesPurpose = "training.induction_notes";
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>The values <c>status</c> filters the staff list by.</summary>
    public static readonly IReadOnlyList<string> StatusFilters = ["overdue", "dueSoon", "left"];

    public TimeZoneInfo Zone => deadlines.Zone;

    public TrainingOptions Settings => options.Value;

    public async Task<Outcome<CourseView>> CreateCourseAsync(NewCourse request, string actor, CancellationToken cancellationToken = default)
    {
        var requiredFor = (request.RequiredFor ?? []).Where(r => !string.IsNullOrWhiteSpace(r)).Select(r => r.Trim())
            .Distinct(StringComparer.OrdinalIgnoreCase).ToList();
        var mandatory = request.Mandatory ?? false;
        var violations = TrainingRules.Course(request.Title, request.Kind, request.ValidityMonths, mandatory, requiredFor).ToList();
        if (violations.Count > 0)
        {
            return Outcome<CourseView>.Fail(FailureKind.Invalid, [.. violations]);
        }
        var title = request.Title!.Trim();
        if (await db.Set<TrainingCourse>().AnyAsync(c => c.Title == title, cancellationToken))
        {
            return Outcome<CourseView>.Conflict("title", "A course with this title already exists.");
        }
        var course = new TrainingCourse
        {
            Title = title,
            Kind = request.Kind!,
            ValidityMonths = request.ValidityMonths,
            Mandatory = mandatory,
            RequiredFor = JsonSerializer.Serialize(requiredFor, Json),
            CreatedAt = time.GetUtcNow(),
            CreatedBy = actor,
        };
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        db.Add(course);
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException e) when (DatabaseErrors.IsUniqueViolation(e))
        {
            db.ChangeTracker.Clear();
            return Outcome<CourseView>.Conflict("title", "A course with this title already exists.");
        }
        await audit.RecordAsync(actor, "training.course_created", $"training-course:{course.Id}",
            new JsonObject { ["kind"] = course.Kind, ["validityMonths"] = course.ValidityMonths, ["mandatory"] = course.Mandatory }, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return Outcome<CourseView>.Success(View(course));
    }

    public async Task<IReadOnlyList<CourseView>> ListCoursesAsync(CancellationToken cancellationToken = default) =>
        (await db.Set<TrainingCourse>().AsNoTracking().ToListAsync(cancellationToken)).OrderBy(c => c.Title, StringComparer.OrdinalIgnoreCase).Select(View).ToList();

    public async Task<Outcome<StaffTraining>> CreateStaffAsync(NewStaffMember request, string actor, CancellationToken cancellationToken = default)
    {
        var violations = StaffViolations(request.Name, request.Email, request.StartDate, request.Department, "").ToList();
        if (violations.Count > 0)
        {
            return Outcome<StaffTraining>.Fail(FailureKind.Invalid, [.. violations]);
        }
        var hash = HashEmail(request.Email!);
        if (await db.Set<StaffMember>().AnyAsync(s => s.EmailHash == hash, cancellationToken))
        {
            return Outcome<StaffTraining>.Conflict("email", "A member of staff with this e-mail address is already recorded.");
        }
        var now = time.GetUtcNow();
        var person = NewPerson(request.Name!, request.Email!, hash, request.StartDate!.Value, request.Department, "manual", now);
        person.UserId = await db.Users.Where(u => u.NormalizedEmail == request.Email!.Trim().ToUpperInvariant()).Select(u => (Guid?)u.Id)
            .FirstOrDefaultAsync(cancellationToken);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        db.Add(person);
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException e) when (DatabaseErrors.IsUniqueViolation(e))
        {
            db.ChangeTracker.Clear();
            return Outcome<StaffTraining>.Conflict("email", "A member of staff with this e-mail address is already recorded.");
        }
        await audit.RecordAsync(actor, "training.staff_added", $"training-staff:{person.Id}", new JsonObject { ["source"] = person.Source }, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return Outcome<StaffTraining>.Success((await StandingsAsync(person.Id, cancellationToken)).Single());
    }

    /// <summary>Creates or updates staff from a CSV file (columns name, email, start date, department; any order, a
    /// header line first). Every line is checked before anything is written: one bad line and nothing is imported,
    /// with an error naming each bad line. A person already recorded (same e-mail address) is updated.</summary>
    public async Task<Outcome<StaffImportSummary>> ImportStaffAsync(string csv, string actor, CancellationToken cancellationToken = default)
    {
        var parsed = StaffCsv.Parse(csv);
        if (!parsed.Succeeded)
        {
            return Outcome<StaffImportSummary>.Fail(parsed.Failure!.Value, [.. parsed.Violations]);
        }
        var rows = parsed.Value!;
        var violations = new List<Violation>();
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var row in rows)
        {
            var prefix = $"lines[{row.Line}].";
            violations.AddRange(StaffViolations(row.Name, row.Email, row.StartDate, row.Department, prefix, row.StartDateText)
                .Select(v => v with { Message = $"Line {row.Line}: {v.Message}" }));
            if (!string.IsNullOrWhiteSpace(row.Email) && seen.TryGetValue(HashEmail(row.Email), out var first))
            {
                violations.Add(new Violation($"{prefix}email", $"Line {row.Line}: the same e-mail address as line {first}."));
            }
            else if (!string.IsNullOrWhiteSpace(row.Email))
            {
                seen[HashEmail(row.Email)] = row.Line;
            }
        }
        if (violations.Count > 0)
        {
            return Outcome<StaffImportSummary>.Fail(FailureKind.Invalid, [.. violations]);
        }
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return Outcome<StaffImportSummary>.Success(await WriteImportAsync(rows, actor, cancellationToken));
            }
            catch (DbUpdateException e) when (attempt < 3 && DatabaseErrors.IsUniqueViolation(e))
            {
                // Someone added one of these people at the same moment: read again and update them instead.
                db.ChangeTracker.Clear();
            }
        }
    }

    private async Task<StaffImportSummary> WriteImportAsync(IReadOnlyList<StaffCsvRow> rows, string actor, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var existing = await db.Set<StaffMember>().ToDictionaryAsync(s => s.EmailHash, StringComparer.Ordinal, cancellationToken);
        var accounts = await AccountsByEmailAsync(cancellationToken);
        int created = 0, updated = 0, unchanged = 0;
        foreach (var row in rows)
        {
            var hash = HashEmail(row.Email!);
            var department = Blank(row.Department);
            if (existing.TryGetValue(hash, out var person))
            {
                var name = row.Name!.Trim();
                if (keys.Decrypt(person.NameEncrypted, StaffPurpose) == name && person.Department == department && person.StartDate == row.StartDate)
                {
                    unchanged++;
                    continue;
                }
                person.NameEncrypted = keys.Encrypt(name, StaffPurpose);
                person.Department = department;
                person.StartDate = row.StartDate!.Value;
                person.UpdatedAt = now;
                person.Version++;
                updated++;
                continue;
            }
            var added = NewPerson(row.Name!, row.Email!, hash, row.StartDate!.Value, department, "import", now);
            added.UserId = accounts.GetValueOrDefault(hash);
            db.Add(added);
            existing[hash] = added;
            created++;
        }
        await db.SaveChangesAsync(cancellationToken);
        await audit.RecordAsync(actor, "training.staff_imported", "training-staff",
            new JsonObject { ["rows"] = rows.Count, ["created"] = created, ["updated"] = updated }, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return new StaffImportSummary(rows.Count, created, updated, unchanged);
    }

    /// <summary>Every staff account becomes a tracked member of staff (name: the address, start date: the day the
    /// account was created); a person imported earlier with the same address is linked to their account.</summary>
    public async Task<AccountSyncSummary> SyncAccountsAsync(string actor, CancellationToken cancellationToken = default)
    {
        var now = time.GetUtcNow();
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var users = await db.Users.AsNoTracking().Where(u => u.Email != null).Select(u => new { u.Id, u.Email, u.CreatedAt }).ToListAsync(cancellationToken);
        var existing = await db.Set<StaffMember>().ToDictionaryAsync(s => s.EmailHash, StringComparer.Ordinal, cancellationToken);
        int added = 0, linked = 0;
        foreach (var user in users)
        {
            var hash = HashEmail(user.Email!);
            if (existing.TryGetValue(hash, out var person))
            {
                if (person.UserId != user.Id)
                {
                    person.UserId = user.Id;
                    person.UpdatedAt = now;
                    person.Version++;
                    linked++;
                }
                continue;
            }
            var fresh = NewPerson(user.Email!, user.Email!, hash, TrainingClock.LocalDate(user.CreatedAt, Zone), null, "account", now);
            fresh.UserId = user.Id;
            db.Add(fresh);
            existing[hash] = fresh;
            added++;
        }
        if (added + linked == 0)
        {
            return new AccountSyncSummary(0, 0);
        }
        await db.SaveChangesAsync(cancellationToken);
        await audit.RecordAsync(actor, "training.staff_synced", "training-staff", new JsonObject { ["added"] = added, ["linked"] = linked }, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return new AccountSyncSummary(added, linked);
    }

    /// <summary>Current staff (not left), overdue first; <c>overdue</c>, <c>dueSoon</c> or <c>left</c> narrow the list.</summary>
    public async Task<Outcome<IReadOnlyList<StaffTraining>>> ListStaffAsync(string? status, CancellationToken cancellationToken = default)
    {
        if (status is { Length: > 0 } && !StatusFilters.Contains(status))
        {
            return Outcome<IReadOnlyList<StaffTraining>>.Invalid("status", $"Use one of {string.Join(", ", StatusFilters)}, or leave it out.");
        }
        var all = await StandingsAsync(null, cancellationToken);
        var today = TrainingClock.LocalDate(time.GetUtcNow(), Zone);
        IEnumerable<StaffTraining> rows = status switch
        {
            "left" => all.Where(s => HasLeft(s.LeftOn, today)),
            "overdue" => all.Where(s => !HasLeft(s.LeftOn, today) && s.Overdue),
            "dueSoon" => all.Where(s => !HasLeft(s.LeftOn, today) && s.DueSoon),
            _ => all.Where(s => !HasLeft(s.LeftOn, today)),
        };
        return Outcome<IReadOnlyList<StaffTraining>>.Success(rows.OrderByDescending(s => s.Overdue).ThenByDescending(s => s.DueSoon)
            .ThenBy(s => s.Name, StringComparer.OrdinalIgnoreCase).ToList());
    }

    public async Task<StaffTraining?> GetStaffAsync(Guid id, CancellationToken cancellationToken = default) =>
        (await StandingsAsync(id, cancellationToken)).SingleOrDefault();

    /// <summary>ACC015: a completion's expiry is fixed when it is recorded, from the course's validity then.</summary>
    public async Task<Outcome<CompletionView>> RecordCompletionAsync(NewCompletion request, string actor, CancellationToken cancellationToken = default)
    {
        var now = time.GetUtcNow();
        var violations = TrainingRules.Completion(request.CompletedAt, request.Evidence, now).ToList();
        var person = request.StaffId is { } staffId ? await db.Set<StaffMember>().AsNoTracking().FirstOrDefaultAsync(s => s.Id == staffId, cancellationToken) : null;
        if (person is null)
        {
            violations.Add(new Violation("staffId", request.StaffId is null ? "Say who completed the course." : "No member of staff has this id."));
        }
        var course = request.CourseId is { } courseId ? await db.Set<TrainingCourse>().AsNoTracking().FirstOrDefaultAsync(c => c.Id == courseId, cancellationToken) : null;
        if (course is null)
        {
            violations.Add(new Violation("courseId", request.CourseId is null ? "Say which course was completed." : "No course has this id."));
        }
        if (violations.Count > 0)
        {
            return Outcome<CompletionView>.Fail(FailureKind.Invalid, [.. violations]);
        }
        var completedAt = request.CompletedAt!.Value.ToUniversalTime();
        if (await db.Set<TrainingCompletion>().AnyAsync(c => c.StaffId == person!.Id && c.CourseId == course!.Id && c.CompletedAt == completedAt, cancellationToken))
        {
            return Outcome<CompletionView>.Conflict("completedAt", "This completion is already recorded.");
        }
        var completion = new TrainingCompletion
        {
            StaffId = person!.Id,
            CourseId = course!.Id,
            CompletedAt = completedAt,
            ExpiresAt = course.ValidityMonths is { } months ? TrainingClock.ExpiresAt(completedAt, months, Zone) : null,
            Evidence = request.Evidence!.Trim(),
            RecordedBy = actor,
            RecordedAt = now,
        };
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        db.Add(completion);
        await db.SaveChangesAsync(cancellationToken);
        await audit.RecordAsync(actor, "training.completion_recorded", $"training-staff:{person.Id}",
            new JsonObject { ["course"] = course.Id.ToString(), ["completionId"] = completion.Id.ToString() }, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return Outcome<CompletionView>.Success(View(completion, keys.Decrypt(person.NameEncrypted, StaffPurpose), course.Title, now));
    }

    public async Task<CompletionView?> GetCompletionAsync(Guid id, CancellationToken cancellationToken = default) =>
        (await CompletionsAsync(db.Set<TrainingCompletion>().AsNoTracking().Where(c => c.Id == id), cancellationToken)).SingleOrDefault();

    /// <summary>Completions, newest first, for one person, one course or all.</summary>
    public Task<IReadOnlyList<CompletionView>> ListCompletionsAsync(Guid? staffId, Guid? courseId, CancellationToken cancellationToken = default)
    {
        var query = db.Set<TrainingCompletion>().AsNoTracking();
        if (staffId is { } person)
        {
            query = query.Where(c => c.StaffId == person);
        }
        if (courseId is { } course)
        {
            query = query.Where(c => c.CourseId == course);
        }
        return CompletionsAsync(query, cancellationToken);
    }

    private async Task<IReadOnlyList<CompletionView>> CompletionsAsync(IQueryable<TrainingCompletion> query, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var rows = await query.ToListAsync(cancellationToken);
        var staffIds = rows.Select(r => r.StaffId).Distinct().ToList();
        var names = (await db.Set<StaffMember>().AsNoTracking().Where(s => staffIds.Contains(s.Id)).Select(s => new { s.Id, s.NameEncrypted }).ToListAsync(cancellationToken))
            .ToDictionary(s => s.Id, s => keys.Decrypt(s.NameEncrypted, StaffPurpose));
        var titles = await db.Set<TrainingCourse>().AsNoTracking().ToDictionaryAsync(c => c.Id, c => c.Title, cancellationToken);
        return rows.OrderByDescending(r => r.CompletedAt).ThenByDescending(r => r.Id)
            .Select(r => View(r, names.GetValueOrDefault(r.StaffId, ""), titles.GetValueOrDefault(r.CourseId, ""), now)).ToList();
    }

    /// <summary>Policy §6.5: the DPO met the new starter. Recording it again replaces the earlier record.</summary>
    public async Task<Outcome<StaffTraining>> RecordInductionMeetingAsync(Guid id, InductionMeetingRequest request, string actor,
        CancellationToken cancellationToken = default)
    {
        var now = time.GetUtcNow();
        if (request.MetAt is not { } metAt)
        {
            return Outcome<StaffTraining>.Invalid("metAt", "Say when the meeting took place (ISO 8601 with offset).");
        }
        if (metAt > now + TrainingRules.Skew)
        {
            return Outcome<StaffTraining>.Invalid("metAt", "The meeting time is in the future.");
        }
        if (request.Notes?.Length > 4000)
        {
            return Outcome<StaffTraining>.Invalid("notes", "At most 4,000 characters.");
        }
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        if (!await db.Set<StaffMember>().AnyAsync(s => s.Id == id, cancellationToken))
        {
            return Outcome<StaffTraining>.NotFound("id", "No member of staff has this id.");
        }
        var meeting = await db.Set<InductionMeeting>().FirstOrDefaultAsync(m => m.StaffId == id, cancellationToken);
        if (meeting is null)
        {
            meeting = new InductionMeeting { StaffId = id, Dpo = actor };
            db.Add(meeting);
        }
        meeting.MetAt = metAt.ToUniversalTime();
        meeting.Dpo = actor;
        meeting.NotesEncrypted = string.IsNullOrWhiteSpace(request.Notes) ? null : keys.Encrypt(request.Notes.Trim(), NotesPurpose);
        meeting.RecordedAt = now;
        await db.SaveChangesAsync(cancellationToken);
        await audit.RecordAsync(actor, "training.induction_meeting_recorded", $"training-staff:{id}", null, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return Outcome<StaffTraining>.Success((await StandingsAsync(id, cancellationToken)).Single());
    }

    /// <summary>A leaver is kept with their record but no longer listed as current nor reminded.</summary>
    public async Task<Outcome<StaffTraining>> RecordLeaverAsync(Guid id, LeaverRequest request, string actor, CancellationToken cancellationToken = default)
    {
        if (request.LeftOn is not { } leftOn)
        {
            return Outcome<StaffTraining>.Invalid("leftOn", "Give the last working day (yyyy-MM-dd).");
        }
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var person = await db.Set<StaffMember>().FirstOrDefaultAsync(s => s.Id == id, cancellationToken);
        if (person is null)
        {
            return Outcome<StaffTraining>.NotFound("id", "No member of staff has this id.");
        }
        if (leftOn < person.StartDate)
        {
            return Outcome<StaffTraining>.Invalid("leftOn", $"This is before the start date ({person.StartDate:yyyy-MM-dd}).");
        }
        person.LeftOn = leftOn;
        person.UpdatedAt = time.GetUtcNow();
        person.Version++;
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateConcurrencyException)
        {
            return Outcome<StaffTraining>.Conflict("id", "Someone else changed this record at the same moment: reload and try again.");
        }
        await audit.RecordAsync(actor, "training.staff_left", $"training-staff:{id}", new JsonObject { ["leftOn"] = leftOn.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture) }, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return Outcome<StaffTraining>.Success((await StandingsAsync(id, cancellationToken)).Single());
    }

    /// <summary>Where each person (or one) stands with every course they must hold or have taken, and with the
    /// induction meeting (§3.4).</summary>
    internal async Task<IReadOnlyList<StaffTraining>> StandingsAsync(Guid? only, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var today = TrainingClock.LocalDate(now, Zone);
        var settings = options.Value;
        var dueSoon = TimeSpan.FromDays(settings.DueSoonDays);
        var staffQuery = db.Set<StaffMember>().AsNoTracking();
        var completionQuery = db.Set<TrainingCompletion>().AsNoTracking();
        var meetingQuery = db.Set<InductionMeeting>().AsNoTracking();
        if (only is { } id)
        {
            staffQuery = staffQuery.Where(s => s.Id == id);
            completionQuery = completionQuery.Where(c => c.StaffId == id);
            meetingQuery = meetingQuery.Where(m => m.StaffId == id);
        }
        var staff = await staffQuery.ToListAsync(cancellationToken);
        if (staff.Count == 0)
        {
            return [];
        }
        var courses = (await db.Set<TrainingCourse>().AsNoTracking().ToListAsync(cancellationToken)).OrderBy(c => c.Title, StringComparer.OrdinalIgnoreCase).ToList();
        var requiredFor = courses.ToDictionary(c => c.Id, c => (IReadOnlyCollection<string>)List(c.RequiredFor));
        var completions = (await completionQuery.ToListAsync(cancellationToken)).ToLookup(c => (c.StaffId, c.CourseId));
        var meetings = (await meetingQuery.ToListAsync(cancellationToken)).ToDictionary(m => m.StaffId);
        var roles = await RolesAsync(cancellationToken);
        var result = new List<StaffTraining>(staff.Count);
        foreach (var person in staff)
        {
            var role = person.UserId is { } userId ? roles.GetValueOrDefault(userId) : null;
            var standings = new List<CourseStanding>();
            foreach (var course in courses)
            {
                var required = TrainingRules.Requires(course.Mandatory, requiredFor[course.Id], person.Department, role);
                var done = completions[(person.Id, course.Id)].ToList();
                if (!required && done.Count == 0)
                {
                    continue;
                }
                DateTimeOffset? expiry = done.Count == 0 || done.Any(c => c.ExpiresAt is null) ? null : done.Max(c => c.ExpiresAt);
                var state = TrainingRules.State(required, done.Count > 0, expiry, now, dueSoon);
                var dueAt = expiry ?? (done.Count == 0 ? BecameDue(person, course) : null);
                standings.Add(new CourseStanding(course.Id, course.Title, required, state, done.Count == 0 ? null : done.Max(c => c.CompletedAt), expiry, dueAt));
            }
            var meeting = meetings.GetValueOrDefault(person.Id);
            var induction = new InductionMeetingView(
                TrainingRules.InductionState(person.StartDate, meeting is not null, settings.InductionGraceDays, today, settings.InductionMeetingsSince),
                TrainingRules.InductionDueBy(person.StartDate, settings.InductionGraceDays), meeting?.MetAt, meeting?.Dpo,
                meeting?.NotesEncrypted is { } notes ? keys.Decrypt(notes, NotesPurpose) : null);
            var ordered = standings.OrderByDescending(s => s.Required).ThenBy(s => s.Title, StringComparer.OrdinalIgnoreCase).ToList();
            result.Add(new StaffTraining(person.Id, keys.Decrypt(person.NameEncrypted, StaffPurpose), keys.Decrypt(person.EmailEncrypted, StaffPurpose),
                person.Department, person.StartDate, person.LeftOn, person.UserId is not null, person.Source,
                ordered.Any(s => s.Required && s.State == TrainingStates.Overdue) || induction.State == InductionStates.Overdue,
                ordered.Any(s => s.Required && s.State == TrainingStates.DueSoon), ordered, induction));
        }
        return result;
    }

    /// <summary>A required course never completed has been due since the person started or the course was created,
    /// whichever came later.</summary>
    private DateTimeOffset BecameDue(StaffMember person, TrainingCourse course)
    {
        var started = person.StartDate.ToDateTime(TimeOnly.MinValue);
        var startedAt = new DateTimeOffset(started, Zone.GetUtcOffset(started)).ToUniversalTime();
        return startedAt > course.CreatedAt ? startedAt : course.CreatedAt;
    }

    public static bool HasLeft(DateOnly? leftOn, DateOnly today) => leftOn is { } left && left < today;

    private async Task<Dictionary<Guid, string>> RolesAsync(CancellationToken cancellationToken) =>
        (await (from link in db.UserRoles.AsNoTracking()
                join role in db.Roles.AsNoTracking() on link.RoleId equals role.Id
                select new { link.UserId, role.Name }).ToListAsync(cancellationToken))
        .GroupBy(r => r.UserId).ToDictionary(g => g.Key, g => g.First().Name ?? "");

    private async Task<Dictionary<string, Guid?>> AccountsByEmailAsync(CancellationToken cancellationToken) =>
        (await db.Users.AsNoTracking().Where(u => u.Email != null).Select(u => new { u.Id, u.Email }).ToListAsync(cancellationToken))
        .GroupBy(u => HashEmail(u.Email!)).ToDictionary(g => g.Key, g => (Guid?)g.First().Id, StringComparer.Ordinal);

    private StaffMember NewPerson(string name, string email, string hash, DateOnly startDate, string? department, string source, DateTimeOffset now) => new()
    {
        NameEncrypted = keys.Encrypt(name.Trim(), StaffPurpose),
        EmailEncrypted = keys.Encrypt(email.Trim(), StaffPurpose),
        EmailHash = hash,
        StartDate = startDate,
        Department = Blank(department),
        Source = source,
        CreatedAt = now,
        UpdatedAt = now,
    };

    /// <summary>The keyed hash an address is found by: case and surrounding spaces do not matter.</summary>
    public string HashEmail(string email) => keys.Hash(email.Trim().ToLowerInvariant(), EmailHashPurpose);

    private IEnumerable<Violation> StaffViolations(string? name, string? email, DateOnly? startDate, string? department, string prefix,
        string? startDateText = null)
    {
        var today = TrainingClock.LocalDate(time.GetUtcNow(), Zone);
        if (string.IsNullOrWhiteSpace(name))
        {
            yield return new Violation($"{prefix}name", "The name is missing.");
        }
        else if (name.Trim().Length > 200)
        {
            yield return new Violation($"{prefix}name", "The name is longer than 200 characters.");
        }
        if (string.IsNullOrWhiteSpace(email))
        {
            yield return new Violation($"{prefix}email", "The e-mail address is missing.");
        }
        else if (email.Trim().Length > 320 || !System.Net.Mail.MailAddress.TryCreate(email.Trim(), out var parsed) || parsed.Address != email.Trim())
        {
            yield return new Violation($"{prefix}email", "This is not an e-mail address.");
        }
        if (startDate is null)
        {
            yield return new Violation($"{prefix}startDate", string.IsNullOrWhiteSpace(startDateText)
                ? "The start date is missing."
                : "The start date is not a date: write it as yyyy-MM-dd, e.g. 2026-09-01.");
        }
        else if (startDate > today.AddYears(1))
        {
            yield return new Violation($"{prefix}startDate", "The start date is more than a year ahead.");
        }
        if (department?.Trim().Length > 100)
        {
            yield return new Violation($"{prefix}department", "The department is longer than 100 characters.");
        }
    }

    private static CourseView View(TrainingCourse c) => new(c.Id, c.Title, c.Kind, c.ValidityMonths, c.Mandatory, List(c.RequiredFor), c.CreatedAt);

    private static CompletionView View(TrainingCompletion c, string staffName, string courseTitle, DateTimeOffset now) =>
        new(c.Id, c.StaffId, staffName, c.CourseId, courseTitle, c.CompletedAt, c.ExpiresAt, c.ExpiresAt <= now, c.Evidence, c.RecordedBy, c.RecordedAt);

    private static List<string> List(string json) => JsonSerializer.Deserialize<List<string>>(json, Json) ?? [];

    private static string? Blank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();
}
