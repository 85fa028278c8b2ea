using Dataward.Domain.Consent;

namespace Dataward.Portal;

/// <summary>What the Global Privacy Control signal did on this request, for the page to say (CNS017).</summary>
public sealed record GpcSignal(bool Verified, IReadOnlyList<string> Withdrawn)
{
    private static readonly object Key = new();

    public static GpcSignal? Of(HttpContext context) => context.Items.TryGetValue(Key, out var signal) ? signal as GpcSignal : null;

    internal void AttachTo(HttpContext context) => context.Items[Key] = this;
}

/// <summary>The privacy centre's plumbing outside its pages: the Global Privacy Control signal on every privacy-centre
/// request, and the <c>/.well-known/gpc.json</c> declaration.</summary>
public static class PrivacyCentreEndpoints
{
    public static void MapPrivacyCentre(this WebApplication app) =>
        app.MapGet("/.well-known/gpc.json", GpcDeclaration).AllowAnonymous().ExcludeFromDescription();

    /// <summary>Sites declare that they honour the signal here (GPC specification, §3.5).</summary>
    public static IResult GpcDeclaration() =>
        TypedResults.Json(new { gpc = true, lastUpdate = GlobalPrivacyControl.LastUpdate }, contentType: "application/json");

    /// <summary>CNS017: a privacy-centre request with <c>Sec-GPC: 1</c> from a verified person withdraws their
    /// sale-or-sharing consents (once, see <see cref="GlobalPrivacyControl.ShouldWithdraw"/>) before the page runs, so
    /// the page already shows the result; for visitors who are not verified the signal is only noted.</summary>
    public static IApplicationBuilder UseGlobalPrivacyControl(this IApplicationBuilder app) => app.UseWhen(
        c => c.Request.Path.StartsWithSegments("/privacy") && GlobalPrivacyControl.IsSignal(c.Request.Headers[GlobalPrivacyControl.Header]),
        branch => branch.Use(async (context, next) =>
        {
            var subject = context.RequestServices.GetRequiredService<PortalSession>().Current(context);
            var withdrawn = subject is null
                ? []
                : await context.RequestServices.GetRequiredService<PrivacyCentre>().HonourGpcAsync(subject, context.RequestAborted);
            new GpcSignal(subject is not null, withdrawn).AttachTo(context);
            await next(context);
        }));
}
