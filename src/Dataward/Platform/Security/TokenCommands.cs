using System.CommandLine;
using System.Globalization;
using Dataward.Audit;
using Dataward.Platform.Cli;

namespace Dataward.Platform.Security;

/// <summary><c>dataward tokens create|list|revoke</c>.</summary>
public static class TokenCommands
{
    public static Command Create()
    {
        var name = new Option<string>("--name") { Description = "What the token is for, e.g. 'crm-sync'.", Required = true };
        var role = new Option<string>("--role") { Description = $"One of {string.Join(", ", StaffRoles.All)}.", Required = true };
        var expires = new Option<string>("--expires") { Description = "Lifetime such as 90d, 12h, 4w, 1y or 'never' (default 90d).", DefaultValueFactory = _ => "90d" };
        var create = new Command("create", "Create an API token; its secret is printed once, as the last line.") { name, role, expires };
        create.SetAction(async (parseResult, cancellationToken) =>
        {
            if (!TryParseLifetime(parseResult.GetValue(expires)!, out var lifetime))
            {
                await Console.Error.WriteLineAsync($"--expires: '{parseResult.GetValue(expires)}' is not a lifetime such as 90d, 12h, 4w, 1y or never.");
                return ExitCodes.BadInput;
            }
            return await DatawardCommandLine.WithServicesAsync(async (services, ct) =>
            {
                var outcome = await services.GetRequiredService<ApiTokens>()
                    .CreateAsync(parseResult.GetValue(name)!, parseResult.GetValue(role)!, lifetime, AuditActor.Cli, ct);
                if (!outcome.Succeeded)
                {
                    await Console.Error.WriteLineAsync(outcome.Describe());
                    return ExitCodes.BadInput;
                }
                var token = outcome.Value!.Token;
                Console.WriteLine($"Token {token.Name} ({token.Id}), role {token.Role}, expires {token.ExpiresAt?.ToString("u", CultureInfo.InvariantCulture) ?? "never"}.");
                Console.WriteLine("Copy the secret now: it is not stored and cannot be shown again.");
                Console.WriteLine(outcome.Value.Secret);
                return ExitCodes.Ok;
            }, cancellationToken);
        });

        var list = new Command("list", "List API tokens (never their secrets).");
        list.SetAction((_, cancellationToken) => DatawardCommandLine.WithServicesAsync(async (services, ct) =>
        {
            foreach (var t in await services.GetRequiredService<ApiTokens>().ListAsync(ct))
            {
                var state = t.RevokedAt is not null ? "revoked" : t.ExpiresAt is { } e ? $"expires {e:u}" : "no expiry";
                Console.WriteLine($"{t.Id}  {t.Role,-22} {t.Name}  ({state})");
            }
            return ExitCodes.Ok;
        }, cancellationToken));

        var id = new Option<Guid>("--id") { Description = "The token's id (see 'tokens list').", Required = true };
        var revoke = new Command("revoke", "Revoke an API token at once.") { id };
        revoke.SetAction((parseResult, cancellationToken) => DatawardCommandLine.WithServicesAsync(async (services, ct) =>
        {
            var outcome = await services.GetRequiredService<ApiTokens>().RevokeAsync(parseResult.GetValue(id), AuditActor.Cli, ct);
            if (!outcome.Succeeded)
            {
                await Console.Error.WriteLineAsync(outcome.Describe());
                return ExitCodes.BadInput;
            }
            Console.WriteLine($"Revoked {outcome.Value!.Name} ({outcome.Value.Id}).");
            return ExitCodes.Ok;
        }, cancellationToken));

        return new Command("tokens", "Manage API tokens.") { create, list, revoke };
    }

    /// <summary>Parses 90d, 12h, 30m, 4w, 1y or never (null lifetime).</summary>
    public static bool TryParseLifetime(string text, out TimeSpan? lifetime)
    {
        lifetime = null;
        text = text.Trim().ToLowerInvariant();
        if (text == "never")
        {
            return true;
        }
        if (text.Length < 2 || !int.TryParse(text[..^1], NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n <= 0)
        {
            return false;
        }
        lifetime = text[^1] switch
        {
            'm' => TimeSpan.FromMinutes(n),
            'h' => TimeSpan.FromHours(n),
            'd' => TimeSpan.FromDays(n),
            'w' => TimeSpan.FromDays(7 * n),
            'y' => TimeSpan.FromDays(365 * n),
            _ => null,
        };
        return lifetime is not null;
    }
}
