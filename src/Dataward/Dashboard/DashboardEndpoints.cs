using Dataward.Domain;
using Dataward.Platform.Security;
using Dataward.Platform.Web;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Dataward.Dashboard;

/// <summary>/api/dashboard (the DPO's workspace, ACC016) and /api/reports/management (the report to senior
/// management, accountability.md §5): read-only, for the DPO, Administrators and Auditors.</summary>
public static class DashboardEndpoints
{
    public static void MapDashboardEndpoints(this RouteGroupBuilder api)
    {
        api.MapGet("/dashboard", Get).WithTags("Dashboard").RequireAuthorization(Policies.ReadDashboard)
            .WithSummary("What needs the DPO's attention, overdue or due within 30 days, grouped by kind with links (ACC016); charts of requests per month (months, default 12) and breaches per quarter (quarters, default 4)");
        api.MapGet("/reports/management", Management).WithTags("Dashboard").RequireAuthorization(Policies.ReadDashboard)
            .WithSummary("The management report for a period of local dates (from, to: yyyy-MM-dd, at most 5 years; default the 12 months to today), with the DPO's recommendations as given");
    }

    public static async Task<Results<Ok<DashboardView>, ProblemHttpResult>> Get(int? months, int? quarters, DashboardService dashboard,
        CancellationToken cancellationToken)
    {
        var outcome = await dashboard.GetAsync(months, quarters, cancellationToken);
        return outcome.Succeeded ? TypedResults.Ok(outcome.Value!) : Problems.From(outcome);
    }

    public static async Task<Results<Ok<ManagementReport>, ProblemHttpResult>> Management(string? from, string? to, string? recommendations,
        ManagementReports reports, CancellationToken cancellationToken)
    {
        var outcome = await reports.BuildAsync(from, to, recommendations, cancellationToken);
        return outcome.Succeeded ? TypedResults.Ok(outcome.Value!) : Problems.From(outcome);
    }
}
