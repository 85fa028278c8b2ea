using System.CommandLine;
using System.Security.Cryptography;
using Dataward.Audit;
using Dataward.Platform.Cli;

namespace Dataward.Platform.Security;

/// <summary><c>dataward users add|list|set-role</c>.</summary>
public static class UserCommands
{
    public static Command Create()
    {
        var email = new Option<string>("--email") { Description = "The person's e-mail address (their sign-in name).", Required = true };
        var role = new Option<string>("--role") { Description = $"One of {string.Join(", ", StaffRoles.All)}.", Required = true };
        var passwordStdin = new Option<bool>("--password-stdin") { Description = "Read the password from standard input instead of generating one." };
        var add = new Command("add", "Create a staff account (on an empty database, the first administrator).") { email, role, passwordStdin };
        add.SetAction((parseResult, cancellationToken) => DatawardCommandLine.WithServicesAsync(async (services, ct) =>
        {
            var generated = !parseResult.GetValue(passwordStdin);
            var password = generated ? GeneratePassword() : (await Console.In.ReadLineAsync(ct) ?? "").TrimEnd('\r', '\n');
            var accounts = services.GetRequiredService<StaffAccounts>();
            var outcome = await accounts.CreateAsync(parseResult.GetValue(email)!, parseResult.GetValue(role)!, password, AuditActor.Cli, ct);
            if (!outcome.Succeeded)
            {
                await Console.Error.WriteLineAsync(outcome.Describe());
                return ExitCodes.BadInput;
            }
            Console.WriteLine($"Created {outcome.Value!.Role} {outcome.Value.Email} ({outcome.Value.Id}).");
            if (generated)
            {
                Console.WriteLine("Generated password (shown once; change it after signing in):");
                Console.WriteLine(password);
            }
            return ExitCodes.Ok;
        }, cancellationToken));

        var list = new Command("list", "List staff accounts.");
        list.SetAction((_, cancellationToken) => DatawardCommandLine.WithServicesAsync(async (services, ct) =>
        {
            foreach (var user in await services.GetRequiredService<StaffAccounts>().ListAsync(ct))
            {
                Console.WriteLine($"{user.Id}  {user.Role,-22} {user.Email}{(user.LockedOut ? "  (locked out)" : "")}{(user.TwoFactorEnabled ? "  (2FA)" : "")}");
            }
            return ExitCodes.Ok;
        }, cancellationToken));

        var id = new Option<Guid>("--id") { Description = "The account's id (see 'users list').", Required = true };
        var newRole = new Option<string>("--role") { Description = $"One of {string.Join(", ", StaffRoles.All)}.", Required = true };
        var setRole = new Command("set-role", "Change a staff account's role.") { id, newRole };
        setRole.SetAction((parseResult, cancellationToken) => DatawardCommandLine.WithServicesAsync(async (services, ct) =>
        {
            var outcome = await services.GetRequiredService<StaffAccounts>()
                .ChangeRoleAsync(parseResult.GetValue(id), parseResult.GetValue(newRole)!, AuditActor.Cli, ct);
            if (!outcome.Succeeded)
            {
                await Console.Error.WriteLineAsync(outcome.Describe());
                return ExitCodes.BadInput;
            }
            Console.WriteLine($"{outcome.Value!.Email} is now {outcome.Value.Role}.");
            return ExitCodes.Ok;
        }, cancellationToken));

        return new Command("users", "Manage staff accounts.") { add, list, setRole };
    }

    /// <summary>Five random words' worth of entropy in a form people can type: 20 base-32 characters in groups.</summary>
    private static string GeneratePassword()
    {
        const string alphabet = "abcdefghjkmnpqrstuvwxyz23456789";
        var chars = RandomNumberGenerator.GetItems<char>(alphabet, 20);
        return string.Join('-', chars.Chunk(5).Select(c => new string(c)));
    }
}
