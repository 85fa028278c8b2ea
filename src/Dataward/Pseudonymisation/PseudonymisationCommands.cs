using System.CommandLine;
using Dataward.Audit;
using Dataward.Platform.Cli;

namespace Dataward.Pseudonymisation;

/// <summary><c>dataward keys list|create|rotate|destroy</c>: pseudonymisation key domains and their versions.</summary>
public static class PseudonymisationCommands
{
    public static Command Create()
    {
        var list = new Command("list", "Key domains and their versions (never key material).");
        list.SetAction((_, cancellationToken) => DatawardCommandLine.WithServicesAsync(async (services, ct) =>
        {
            foreach (var domain in await services.GetRequiredService<PseudonymisationService>().ListAsync(ct))
            {
                Console.WriteLine($"{domain.Domain}  active version {domain.ActiveVersion?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "none"}  ({domain.Purpose})");
                foreach (var v in domain.Versions)
                {
                    Console.WriteLine($"  v{v.Version} {v.Status,-9} created {v.CreatedAt:u}{(v.DestroyedAt is { } d ? $", destroyed {d:u}" : "")}");
                }
            }
            return ExitCodes.Ok;
        }, cancellationToken));

        var createDomain = new Argument<string>("domain") { Description = "The new domain's name, e.g. analytics.churn." };
        var purpose = new Option<string>("--purpose") { Description = "What the domain's pseudonyms are for.", Required = true };
        var create = new Command("create", "Create a key domain for one purpose, with its first key.") { createDomain, purpose };
        create.SetAction((parseResult, cancellationToken) => DatawardCommandLine.WithServicesAsync(async (services, ct) =>
        {
            var outcome = await services.GetRequiredService<PseudonymisationService>()
                .CreateDomainAsync(new KeyDomainRequest(parseResult.GetValue(createDomain), parseResult.GetValue(purpose)), AuditActor.Cli, ct);
            return await ReportAsync(outcome.Succeeded ? $"Created {outcome.Value!.Domain}, key version 1." : null, outcome.Describe());
        }, cancellationToken));

        var rotateDomain = new Argument<string>("domain") { Description = "The key domain." };
        var rotate = new Command("rotate", "Make a new key version for new pseudonyms; older versions stay verifiable until destroyed.") { rotateDomain };
        rotate.SetAction((parseResult, cancellationToken) => DatawardCommandLine.WithServicesAsync(async (services, ct) =>
        {
            var outcome = await services.GetRequiredService<PseudonymisationService>().RotateAsync(parseResult.GetValue(rotateDomain)!, AuditActor.Cli, ct);
            return await ReportAsync(outcome.Succeeded ? $"Rotated {outcome.Value!.Domain}: new pseudonyms use version {outcome.Value.ActiveVersion}." : null,
                outcome.Describe());
        }, cancellationToken));

        var destroyDomain = new Argument<string>("domain") { Description = "The key domain." };
        var version = new Argument<int>("version") { Description = "The retained version to destroy." };
        var reason = new Option<string>("--reason") { Description = "Why, e.g. no data depends on it any more.", Required = true };
        var destroy = new Command("destroy", "Destroy a retained key version: its pseudonyms can no longer be verified or recomputed.") { destroyDomain, version, reason };
        destroy.SetAction((parseResult, cancellationToken) => DatawardCommandLine.WithServicesAsync(async (services, ct) =>
        {
            var outcome = await services.GetRequiredService<PseudonymisationService>().DestroyAsync(parseResult.GetValue(destroyDomain)!,
                parseResult.GetValue(version), new DestroyKeyRequest(parseResult.GetValue(reason)), AuditActor.Cli, ct);
            return await ReportAsync(outcome.Succeeded ? $"Destroyed version {parseResult.GetValue(version)} of {outcome.Value!.Domain}." : null, outcome.Describe());
        }, cancellationToken));

        return new Command("keys", "Pseudonymisation key domains (one per purpose) and their versioned keys.") { list, create, rotate, destroy };
    }

    private static async Task<int> ReportAsync(string? done, string failure)
    {
        if (done is null)
        {
            await Console.Error.WriteLineAsync(failure);
            return ExitCodes.BadInput;
        }
        Console.WriteLine(done);
        return ExitCodes.Ok;
    }
}
