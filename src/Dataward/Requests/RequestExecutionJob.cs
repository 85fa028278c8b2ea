namespace Dataward.Requests;

/// <summary>Runs approved erasures in the background, and at start-up resumes any that a stopped server left
/// unfinished (DSR016). With Jobs:Enabled=false, <see cref="RequestExecutionService.RunPendingAsync"/> is called directly.</summary>
public sealed class RequestExecutionJob(IServiceScopeFactory scopes, TimeProvider time, ILogger<RequestExecutionJob> logger)
    : Platform.Jobs.PeriodicJob(scopes, time, logger)
{
    protected override TimeSpan Interval => TimeSpan.FromMinutes(1);

    protected override Task RunAsync(IServiceProvider services, CancellationToken cancellationToken) =>
        services.GetRequiredService<RequestExecutionService>().RunPendingAsync(cancellationToken);
}
