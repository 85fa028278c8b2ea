using System.Security.Claims;
using Dataward.Audit;
using Dataward.Domain;
using Dataward.Platform.Security;
using Dataward.Platform.Web;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace Dataward.Training;

/// <summary>/api/training: courses, staff and their completions. The DPO and administrators record; auditors read.</summary>
public static class TrainingEndpoints
{
    public static void MapTrainingEndpoints(this RouteGroupBuilder api)
    {
        var training = api.MapGroup("/training").WithTags("Training").RequireAuthorization(Policies.ReadTraining);
        training.MapGet("/courses", ListCourses).WithSummary("Every course with its validity and who must hold it");
        training.MapPost("/courses", CreateCourse).WithSummary("A course: title, kind, validity in months, mandatory for all staff or some departments or roles (ACC015)")
            .RequireAuthorization(Policies.ManageTraining);
        training.MapGet("/courses/{id:guid}", GetCourse).WithSummary("One course");
        training.MapGet("/staff", ListStaff).WithSummary("Current staff with where each stands: status=overdue or dueSoon for the lists, left for leavers");
        training.MapPost("/staff", CreateStaff).WithSummary("A member of staff entered by hand (name, e-mail, start date, department)")
            .RequireAuthorization(Policies.ManageTraining);
        training.MapPost("/staff/import", ImportStaff).WithSummary("Staff from a CSV file (name, email, start date, department); all or nothing, errors per line")
            .Accepts<string>("text/csv")
            .WithMetadata(new RequestSizeLimitAttribute(StaffCsv.MaxBytes))
            .RequireAuthorization(Policies.ManageTraining);
        training.MapPost("/staff/accounts", SyncAccounts).WithSummary("Every staff account becomes a tracked member of staff").RequireAuthorization(Policies.ManageTraining);
        training.MapGet("/staff/{id:guid}", GetStaff).WithSummary("One person's courses, expiries and induction meeting");
        training.MapPost("/staff/{id:guid}/induction-meeting", InductionMeeting).WithSummary("The DPO met the new starter (policy §6.5)")
            .RequireAuthorization(Policies.ManageTraining);
        training.MapPost("/staff/{id:guid}/leaver", Leaver).WithSummary("The person left: kept, no longer listed or reminded").RequireAuthorization(Policies.ManageTraining);
        training.MapGet("/completions", ListCompletions).WithSummary("Completions, newest first, for a person (staffId) or course (courseId)");
        training.MapGet("/completions/{id:guid}", GetCompletion).WithSummary("One completion with its expiry");
        training.MapPost("/completions", RecordCompletion).WithSummary("A completed course with its evidence; expiresAt = completedAt + validityMonths (ACC015)")
            .RequireAuthorization(Policies.ManageTraining);
    }

    public static async Task<Ok<IReadOnlyList<CourseView>>> ListCourses(TrainingService training, CancellationToken cancellationToken) =>
        TypedResults.Ok(await training.ListCoursesAsync(cancellationToken));

    public static async Task<Results<Created<CourseView>, ProblemHttpResult>> CreateCourse(NewCourse body, TrainingService training, ClaimsPrincipal user,
        CancellationToken cancellationToken)
    {
        var outcome = await training.CreateCourseAsync(body, AuditActor.From(user), cancellationToken);
        return outcome.Succeeded ? TypedResults.Created($"/api/training/courses/{outcome.Value!.Id}", outcome.Value) : Problems.From(outcome);
    }

    public static async Task<Results<Ok<CourseView>, ProblemHttpResult>> GetCourse(Guid id, TrainingService training, CancellationToken cancellationToken) =>
        (await training.ListCoursesAsync(cancellationToken)).FirstOrDefault(c => c.Id == id) is { } course
            ? TypedResults.Ok(course)
            : Problems.From(Outcome<bool>.NotFound("id", "No course has this id."));

    public static async Task<Results<Ok<CompletionView>, ProblemHttpResult>> GetCompletion(Guid id, TrainingService training, CancellationToken cancellationToken) =>
        await training.GetCompletionAsync(id, cancellationToken) is { } completion
            ? TypedResults.Ok(completion)
            : Problems.From(Outcome<bool>.NotFound("id", "No completion has this id."));

    public static async Task<Results<Ok<IReadOnlyList<StaffTraining>>, ProblemHttpResult>> ListStaff(string? status, TrainingService training,
        CancellationToken cancellationToken)
    {
        var outcome = await training.ListStaffAsync(status, cancellationToken);
        return outcome.Succeeded ? TypedResults.Ok(outcome.Value!) : Problems.From(outcome);
    }

    public static async Task<Results<Created<StaffTraining>, ProblemHttpResult>> CreateStaff(NewStaffMember body, TrainingService training, ClaimsPrincipal user,
        CancellationToken cancellationToken)
    {
        var outcome = await training.CreateStaffAsync(body, AuditActor.From(user), cancellationToken);
        return outcome.Succeeded ? TypedResults.Created($"/api/training/staff/{outcome.Value!.Id}", outcome.Value) : Problems.From(outcome);
    }

    public static async Task<Results<Ok<StaffImportSummary>, ProblemHttpResult>> ImportStaff(HttpRequest request, TrainingService training, ClaimsPrincipal user,
        CancellationToken cancellationToken)
    {
        var (text, refusal) = await TextUpload.ReadAsync(request, StaffCsv.MaxBytes, "staff file", cancellationToken);
        if (text is null)
        {
            return refusal!;
        }
        var outcome = await training.ImportStaffAsync(text, AuditActor.From(user), cancellationToken);
        return outcome.Succeeded ? TypedResults.Ok(outcome.Value!) : Problems.From(outcome);
    }

    public static async Task<Ok<AccountSyncSummary>> SyncAccounts(TrainingService training, ClaimsPrincipal user, CancellationToken cancellationToken) =>
        TypedResults.Ok(await training.SyncAccountsAsync(AuditActor.From(user), cancellationToken));

    public static async Task<Results<Ok<StaffTraining>, ProblemHttpResult>> GetStaff(Guid id, TrainingService training, CancellationToken cancellationToken) =>
        await training.GetStaffAsync(id, cancellationToken) is { } person
            ? TypedResults.Ok(person)
            : Problems.From(Outcome<bool>.NotFound("id", "No member of staff has this id."));

    public static async Task<Results<Ok<StaffTraining>, ProblemHttpResult>> InductionMeeting(Guid id, InductionMeetingRequest body, TrainingService training,
        ClaimsPrincipal user, CancellationToken cancellationToken) =>
        Answer(await training.RecordInductionMeetingAsync(id, body, AuditActor.From(user), cancellationToken));

    public static async Task<Results<Ok<StaffTraining>, ProblemHttpResult>> Leaver(Guid id, LeaverRequest body, TrainingService training, ClaimsPrincipal user,
        CancellationToken cancellationToken) =>
        Answer(await training.RecordLeaverAsync(id, body, AuditActor.From(user), cancellationToken));

    public static async Task<Ok<IReadOnlyList<CompletionView>>> ListCompletions(Guid? staffId, Guid? courseId, TrainingService training,
        CancellationToken cancellationToken) =>
        TypedResults.Ok(await training.ListCompletionsAsync(staffId, courseId, cancellationToken));

    public static async Task<Results<Created<CompletionView>, ProblemHttpResult>> RecordCompletion(NewCompletion body, TrainingService training,
        ClaimsPrincipal user, CancellationToken cancellationToken)
    {
        var outcome = await training.RecordCompletionAsync(body, AuditActor.From(user), cancellationToken);
        return outcome.Succeeded ? TypedResults.Created($"/api/training/completions/{outcome.Value!.Id}", outcome.Value) : Problems.From(outcome);
    }

    private static Results<Ok<StaffTraining>, ProblemHttpResult> Answer(Outcome<StaffTraining> outcome) =>
        outcome.Succeeded ? TypedResults.Ok(outcome.Value!) : Problems.From(outcome);
}
