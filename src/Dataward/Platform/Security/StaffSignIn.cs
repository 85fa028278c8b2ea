using System.Text.Json.Nodes;
using Dataward.Audit;
using Microsoft.AspNetCore.Identity;

namespace Dataward.Platform.Security;

public enum SignInResultKind
{
    SignedIn,
    RequiresTwoFactor,
    LockedOut,
    Failed,
}

/// <summary>Password and second-factor sign-in for staff, with every attempt in the audit trail.
/// Entries name the account by id only; an unknown e-mail address is never recorded.</summary>
public sealed class StaffSignIn(SignInManager<StaffUser> signIn, UserManager<StaffUser> users, AuditTrail audit)
{
    public async Task<SignInResultKind> PasswordSignInAsync(string email, string password, bool remember,
        CancellationToken cancellationToken = default)
    {
        var user = await users.FindByEmailAsync(email.Trim());
        if (user is null)
        {
            await audit.RecordAsync(AuditActor.Anonymous, "auth.sign_in_failed", "",
                new JsonObject { ["reason"] = "unknown_account" }, cancellationToken);
            return SignInResultKind.Failed;
        }
        var result = await signIn.PasswordSignInAsync(user, password, remember, lockoutOnFailure: true);
        return await RecordAsync(user, result, "password", cancellationToken);
    }

    public async Task<SignInResultKind> TwoFactorSignInAsync(string code, bool remember, bool rememberBrowser,
        CancellationToken cancellationToken = default)
    {
        var user = await signIn.GetTwoFactorAuthenticationUserAsync();
        if (user is null)
        {
            return SignInResultKind.Failed;
        }
        var normalized = code.Replace(" ", "", StringComparison.Ordinal).Replace("-", "", StringComparison.Ordinal);
        var result = await signIn.TwoFactorAuthenticatorSignInAsync(normalized, remember, rememberBrowser);
        return await RecordAsync(user, result, "authenticator", cancellationToken);
    }

    public async Task<SignInResultKind> RecoveryCodeSignInAsync(string code, CancellationToken cancellationToken = default)
    {
        var user = await signIn.GetTwoFactorAuthenticationUserAsync();
        if (user is null)
        {
            return SignInResultKind.Failed;
        }
        var result = await signIn.TwoFactorRecoveryCodeSignInAsync(code.Replace(" ", "", StringComparison.Ordinal));
        return await RecordAsync(user, result, "recovery_code", cancellationToken);
    }

    /// <summary>Re-issues the session cookie after the account's security stamp changed (password, second factor).</summary>
    public Task RefreshAsync(StaffUser user) => signIn.RefreshSignInAsync(user);

    public async Task SignOutAsync(StaffUser? user, CancellationToken cancellationToken = default)
    {
        await signIn.SignOutAsync();
        if (user is not null)
        {
            await audit.RecordAsync(AuditActor.User(user.Id), "auth.sign_out", AuditActor.User(user.Id), null, cancellationToken);
        }
    }

    private async Task<SignInResultKind> RecordAsync(StaffUser user, SignInResult result, string method,
        CancellationToken cancellationToken)
    {
        var target = AuditActor.User(user.Id);
        if (result.Succeeded)
        {
            await audit.RecordAsync(target, "auth.sign_in", target, new JsonObject { ["method"] = method }, cancellationToken);
            return SignInResultKind.SignedIn;
        }
        if (result.RequiresTwoFactor)
        {
            await audit.RecordAsync(target, "auth.password_verified", target, new JsonObject { ["next"] = "second_factor" }, cancellationToken);
            return SignInResultKind.RequiresTwoFactor;
        }
        var reason = result.IsLockedOut ? "locked_out" : result.IsNotAllowed ? "not_allowed" : $"bad_{method}";
        await audit.RecordAsync(AuditActor.Anonymous, "auth.sign_in_failed", target,
            new JsonObject { ["reason"] = reason, ["failedAttempts"] = user.AccessFailedCount }, cancellationToken);
        return result.IsLockedOut ? SignInResultKind.LockedOut : SignInResultKind.Failed;
    }
}
