namespace Dataward.Platform.Jobs;

/// <summary>Runs <see cref="RunAsync"/> at start and then every <see cref="Interval"/> while <c>serve</c> runs, each time
/// in a fresh scope. A failed run is logged and the next one tries again, so the work itself must be idempotent.</summary>
public abstract partial class PeriodicJob(IServiceScopeFactory scopes, TimeProvider time, ILogger logger) : BackgroundService
{
    protected abstract TimeSpan Interval { get; }

    protected abstract Task RunAsync(IServiceProvider services, CancellationToken cancellationToken);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval, time);
        do
        {
            try
            {
                await using var scope = scopes.CreateAsyncScope();
                await RunAsync(scope.ServiceProvider, stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LogFailed(logger, GetType().Name, e);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "{Job} failed; its next run tries again")]
    private static partial void LogFailed(ILogger logger, string job, Exception exception);
}
