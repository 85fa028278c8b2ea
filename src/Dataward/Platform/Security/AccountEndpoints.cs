using Microsoft.AspNetCore.Identity;

namespace Dataward.Platform.Security;

/// <summary>Form posts of the account pages that end in a redirect rather than a page.</summary>
public static class AccountEndpoints
{
    public static void MapAccountEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapPost("/account/logout", SignOut).ExcludeFromDescription();
    }

    public static async Task<IResult> SignOut(StaffSignIn signIn, UserManager<StaffUser> users, HttpContext context)
    {
        var user = await users.GetUserAsync(context.User);
        await signIn.SignOutAsync(user, context.RequestAborted);
        return TypedResults.LocalRedirect("/account/login");
    }
}
