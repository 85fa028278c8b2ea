using System.Text.Json.Nodes;
using Dataward.Audit;
using Dataward.Domain;
using Dataward.Platform.Storage;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;

namespace Dataward.Platform.Security;

/// <summary>A staff account as lists show it.</summary>
public sealed record StaffSummary(Guid Id, string Email, string Role, bool TwoFactorEnabled, bool LockedOut,
    DateTimeOffset CreatedAt);

/// <summary>Creates staff accounts and changes their roles; every change is audited in the same transaction.</summary>
public sealed class StaffAccounts(DatawardDbContext db, UserManager<StaffUser> users, AuditTrail audit, TimeProvider time)
{
    public Task<bool> AnyAsync(CancellationToken cancellationToken = default) => db.Users.AnyAsync(cancellationToken);

    /// <summary>The first administrator, only while no account exists (the setup page and <c>users add</c> on an empty database).</summary>
    public async Task<Outcome<StaffSummary>> CreateFirstAdministratorAsync(string email, string password, string actor,
        CancellationToken cancellationToken = default)
    {
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        if (await db.Users.AnyAsync(cancellationToken))
        {
            return Outcome<StaffSummary>.Conflict("email",
                "An administrator already exists; ask them to create your account.");
        }
        var outcome = await CreateInTransactionAsync(email, StaffRoles.Administrator, password, actor, cancellationToken);
        if (outcome.Succeeded)
        {
            await transaction.CommitAsync(cancellationToken);
        }
        return outcome;
    }

    public async Task<Outcome<StaffSummary>> CreateAsync(string email, string role, string password, string actor,
        CancellationToken cancellationToken = default)
    {
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var outcome = await CreateInTransactionAsync(email, role, password, actor, cancellationToken);
        if (outcome.Succeeded)
        {
            await transaction.CommitAsync(cancellationToken);
        }
        return outcome;
    }

    private async Task<Outcome<StaffSummary>> CreateInTransactionAsync(string email, string role, string password,
        string actor, CancellationToken cancellationToken)
    {
        email = email.Trim();
        if (!System.Net.Mail.MailAddress.TryCreate(email, out var address) || address.Address != email)
        {
            return Outcome<StaffSummary>.Invalid("email", "Enter an e-mail address such as name@example.org.");
        }
        if (StaffRoles.Parse(role) is not { } canonicalRole)
        {
            return Outcome<StaffSummary>.Invalid("role", $"Choose one of {string.Join(", ", StaffRoles.All)}.");
        }
        if (await users.FindByEmailAsync(email) is not null)
        {
            return Outcome<StaffSummary>.Conflict("email", "An account with this e-mail address already exists.");
        }
        var user = new StaffUser
        {
            Id = Guid.CreateVersion7(),
            UserName = email,
            Email = email,
            EmailConfirmed = true,
            CreatedAt = time.GetUtcNow(),
        };
        var created = await users.CreateAsync(user, password);
        if (!created.Succeeded)
        {
            return Invalid(created, "password");
        }
        var assigned = await users.AddToRoleAsync(user, canonicalRole);
        if (!assigned.Succeeded)
        {
            return Invalid(assigned, "role");
        }
        await audit.RecordAsync(actor, "users.created", AuditActor.User(user.Id),
            new JsonObject { ["role"] = canonicalRole }, cancellationToken);
        return Outcome<StaffSummary>.Success(await SummariseAsync(user));
    }

    public async Task<Outcome<StaffSummary>> ChangeRoleAsync(Guid userId, string role, string actor,
        CancellationToken cancellationToken = default)
    {
        if (StaffRoles.Parse(role) is not { } canonicalRole)
        {
            return Outcome<StaffSummary>.Invalid("role", $"Choose one of {string.Join(", ", StaffRoles.All)}.");
        }
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var user = await users.FindByIdAsync(userId.ToString());
        if (user is null)
        {
            return Outcome<StaffSummary>.NotFound("id", "No account has this id.");
        }
        var current = (await users.GetRolesAsync(user)).ToList();
        if (current.SequenceEqual([canonicalRole]))
        {
            return Outcome<StaffSummary>.Success(await SummariseAsync(user));
        }
        if (current.Contains(StaffRoles.Administrator) && canonicalRole != StaffRoles.Administrator
            && (await users.GetUsersInRoleAsync(StaffRoles.Administrator)).Count <= 1)
        {
            return Outcome<StaffSummary>.Conflict("role", "This is the last administrator; appoint another one first.");
        }
        var removed = await users.RemoveFromRolesAsync(user, current);
        var added = removed.Succeeded ? await users.AddToRoleAsync(user, canonicalRole) : removed;
        if (!added.Succeeded)
        {
            return Invalid(added, "role");
        }
        // A new security stamp signs the account's other sessions out at their next validation.
        await users.UpdateSecurityStampAsync(user);
        await audit.RecordAsync(actor, "users.role_changed", AuditActor.User(user.Id),
            new JsonObject { ["from"] = string.Join(",", current), ["to"] = canonicalRole }, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return Outcome<StaffSummary>.Success(await SummariseAsync(user));
    }

    public async Task<Outcome<StaffSummary>> UnlockAsync(Guid userId, string actor, CancellationToken cancellationToken = default)
    {
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var user = await users.FindByIdAsync(userId.ToString());
        if (user is null)
        {
            return Outcome<StaffSummary>.NotFound("id", "No account has this id.");
        }
        await users.SetLockoutEndDateAsync(user, null);
        await users.ResetAccessFailedCountAsync(user);
        await audit.RecordAsync(actor, "users.unlocked", AuditActor.User(user.Id), null, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return Outcome<StaffSummary>.Success(await SummariseAsync(user));
    }

    public async Task<Outcome<StaffSummary>> ChangePasswordAsync(StaffUser user, string current, string replacement,
        CancellationToken cancellationToken = default)
    {
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var result = await users.ChangePasswordAsync(user, current, replacement);
        if (!result.Succeeded)
        {
            return Outcome<StaffSummary>.Fail(FailureKind.Invalid, result.Errors
                .Select(e => new Violation(e.Code == "PasswordMismatch" ? "current" : "password", e.Description)).ToArray());
        }
        await audit.RecordAsync(AuditActor.User(user.Id), "auth.password_changed", AuditActor.User(user.Id), null, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return Outcome<StaffSummary>.Success(await SummariseAsync(user));
    }

    /// <summary>The shared secret to enter in an authenticator app (created on first use) and its otpauth URI.</summary>
    public async Task<(string Key, string Uri)> AuthenticatorSetupAsync(StaffUser user)
    {
        var key = await users.GetAuthenticatorKeyAsync(user);
        if (string.IsNullOrEmpty(key))
        {
            await users.ResetAuthenticatorKeyAsync(user);
            key = await users.GetAuthenticatorKeyAsync(user);
        }
        var label = Uri.EscapeDataString($"Dataward:{user.Email}");
        return (key!, $"otpauth://totp/{label}?secret={key}&issuer=Dataward&digits=6");
    }

    /// <summary>Turns on the second factor once the person proves their app shows the right code; returns recovery codes.</summary>
    public async Task<Outcome<IReadOnlyList<string>>> EnableAuthenticatorAsync(StaffUser user, string code,
        CancellationToken cancellationToken = default)
    {
        var normalized = code.Replace(" ", "", StringComparison.Ordinal).Replace("-", "", StringComparison.Ordinal);
        if (!await users.VerifyTwoFactorTokenAsync(user, users.Options.Tokens.AuthenticatorTokenProvider, normalized))
        {
            return Outcome<IReadOnlyList<string>>.Invalid("code", "That code is not right: check the app's clock and enter the current code.");
        }
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        await users.SetTwoFactorEnabledAsync(user, true);
        var recovery = (await users.GenerateNewTwoFactorRecoveryCodesAsync(user, 10))?.ToList() ?? [];
        await audit.RecordAsync(AuditActor.User(user.Id), "auth.two_factor_enabled", AuditActor.User(user.Id), null, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return Outcome<IReadOnlyList<string>>.Success(recovery);
    }

    public async Task DisableAuthenticatorAsync(StaffUser user, CancellationToken cancellationToken = default)
    {
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        await users.SetTwoFactorEnabledAsync(user, false);
        await users.ResetAuthenticatorKeyAsync(user);
        await audit.RecordAsync(AuditActor.User(user.Id), "auth.two_factor_disabled", AuditActor.User(user.Id), null, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
    }

    public async Task<IReadOnlyList<StaffSummary>> ListAsync(CancellationToken cancellationToken = default)
    {
        var now = time.GetUtcNow();
        var rows = await (from u in db.Users.AsNoTracking()
                          join ur in db.UserRoles on u.Id equals ur.UserId into userRoles
                          from ur in userRoles.DefaultIfEmpty()
                          join r in db.Roles on ur.RoleId equals r.Id into roles
                          from r in roles.DefaultIfEmpty()
                          select new { u.Id, u.Email, Role = r == null ? null : r.Name, u.TwoFactorEnabled, u.LockoutEnd, u.CreatedAt })
            .ToListAsync(cancellationToken);
        return rows
            .OrderBy(r => r.Email, StringComparer.OrdinalIgnoreCase)
            .Select(r => new StaffSummary(r.Id, r.Email ?? "", r.Role ?? "", r.TwoFactorEnabled, r.LockoutEnd > now, r.CreatedAt))
            .ToList();
    }

    private async Task<StaffSummary> SummariseAsync(StaffUser user) => new(user.Id, user.Email ?? "",
        (await users.GetRolesAsync(user)).FirstOrDefault() ?? "", user.TwoFactorEnabled,
        user.LockoutEnd > time.GetUtcNow(), user.CreatedAt);

    private static Outcome<StaffSummary> Invalid(IdentityResult result, string defaultField) =>
        Outcome<StaffSummary>.Fail(FailureKind.Invalid, result.Errors
            .Select(e => new Violation(e.Code.StartsWith("Password", StringComparison.Ordinal) ? "password"
                : e.Code.Contains("Email", StringComparison.Ordinal) || e.Code.Contains("UserName", StringComparison.Ordinal) ? "email"
                : defaultField, e.Description))
            .ToArray());
}
