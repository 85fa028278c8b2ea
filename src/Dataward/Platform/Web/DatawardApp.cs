using System.Text.Json;
using System.Text.Json.Serialization;
using System.Threading.RateLimiting;
using Dataward.Audit;
using Dataward.Components;
using Dataward.Datasets;
using Dataward.Platform.Security;
using Dataward.Platform.Storage;
using Dataward.Register;
using Dataward.Consent;
using Dataward.Notices;
using Dataward.Portal;
using Dataward.Requests;
using Dataward.Connections;
using Dataward.Breaches;
using Dataward.Pseudonymisation;
using Dataward.Shredding;
using Dataward.Sharing;
using Dataward.Retention;
using Dataward.Dpias;
using Dataward.Training;
using Dataward.Complaints;
using Dataward.Dashboard;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Scalar.AspNetCore;

namespace Dataward.Platform.Web;

/// <summary>How the process is used: serving HTTP, or running one CLI verb (quiet logs on stderr).</summary>
public enum HostMode
{
    Serve,
    Cli,
}

/// <summary>The composition root: every service and every endpoint, in one readable place.</summary>
public static class DatawardApp
{
    public const string DefaultUrl = "http://localhost:5080";
    public const string SignInRateLimit = "sign-in";
    private const string SmartScheme = "Dataward";

    /// <param name="configure">Lets tests add configuration or replace services (e.g. a fake clock) first.</param>
    public static WebApplication Build(string[] args, HostMode mode = HostMode.Serve, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            Args = args,
            ApplicationName = typeof(DatawardApp).Assembly.GetName().Name,
            // appsettings.json sits beside the binary; relative data paths stay relative to the working directory.
            ContentRootPath = AppContext.BaseDirectory,
        });
        builder.WebHost.UseStaticWebAssets();
        if (mode == HostMode.Cli)
        {
            builder.Logging.ClearProviders();
            builder.Logging.AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
            builder.Logging.SetMinimumLevel(LogLevel.Warning);
            builder.Logging.AddFilter("Microsoft.EntityFrameworkCore", LogLevel.Error);
        }
        if (string.IsNullOrWhiteSpace(builder.Configuration["urls"]) && string.IsNullOrWhiteSpace(builder.Configuration["http_ports"])
            && string.IsNullOrWhiteSpace(builder.Configuration["https_ports"]))
        {
            builder.WebHost.UseUrls(DefaultUrl);
        }
        configure?.Invoke(builder);

        var storage = StorageSettings.FromConfiguration(builder.Configuration);
        AddServices(builder, storage, mode);
        var app = builder.Build();
        MapPipeline(app);
        return app;
    }

    private static void AddServices(WebApplicationBuilder builder, StorageSettings storage, HostMode mode)
    {
        var services = builder.Services;
        services.TryAddSingleton(TimeProvider.System);
        services.AddDatawardStorage(storage);
        services.AddOptions<SecurityOptions>().BindConfiguration(SecurityOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        var security = SecurityOptions.FromConfiguration(builder.Configuration);
        var keyRing = KeyRing.FromConfiguration(builder.Configuration, storage);
        services.AddSingleton(keyRing);

        services.AddIdentityCore<StaffUser>(o =>
            {
                // Length over composition rules (NIST SP 800-63B): long passphrases, no forced symbol soup.
                o.Password.RequiredLength = 12;
                o.Password.RequireDigit = false;
                o.Password.RequireLowercase = false;
                o.Password.RequireUppercase = false;
                o.Password.RequireNonAlphanumeric = false;
                o.Password.RequiredUniqueChars = 5;
                o.Lockout.AllowedForNewUsers = true;
                o.Lockout.MaxFailedAccessAttempts = security.LockoutAttempts;
                o.Lockout.DefaultLockoutTimeSpan = TimeSpan.FromMinutes(security.LockoutMinutes);
                o.User.RequireUniqueEmail = true;
            })
            .AddRoles<IdentityRole<Guid>>()
            .AddEntityFrameworkStores<DatawardDbContext>()
            .AddSignInManager()
            .AddDefaultTokenProviders();
        services.Configure<SecurityStampValidatorOptions>(o => o.ValidationInterval = TimeSpan.FromMinutes(1));

        services.AddAuthentication(o =>
            {
                o.DefaultScheme = SmartScheme;
                o.DefaultChallengeScheme = SmartScheme;
            })
            .AddPolicyScheme(SmartScheme, "Session or API token", o => o.ForwardDefaultSelector = context =>
                context.Request.Headers.Authorization.ToString().StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)
                    ? ApiTokenAuthenticationHandler.SchemeName
                    : IdentityConstants.ApplicationScheme)
            .AddScheme<AuthenticationSchemeOptions, ApiTokenAuthenticationHandler>(ApiTokenAuthenticationHandler.SchemeName, null)
            .AddIdentityCookies();
        services.ConfigureApplicationCookie(o =>
        {
            o.Cookie.Name = "dataward.session";
            o.Cookie.HttpOnly = true;
            o.Cookie.SameSite = SameSiteMode.Lax;
            o.LoginPath = "/account/login";
            o.LogoutPath = "/account/logout";
            o.AccessDeniedPath = "/account/access-denied";
            o.ExpireTimeSpan = TimeSpan.FromHours(8);
            o.SlidingExpiration = true;
            // The API answers with a status and a problem, never a redirect to a page.
            o.Events.OnRedirectToLogin = context => ApiStatusOrRedirect(context, StatusCodes.Status401Unauthorized);
            o.Events.OnRedirectToAccessDenied = context => ApiStatusOrRedirect(context, StatusCodes.Status403Forbidden);
        });
        services.AddAuthorizationBuilder()
            .SetFallbackPolicy(new Microsoft.AspNetCore.Authorization.AuthorizationPolicyBuilder().RequireAuthenticatedUser().Build())
            .AddPolicy(Policies.Staff, p => p.RequireRole(StaffRoles.All))
            .AddPolicy(Policies.ManageAccess, p => p.RequireRole(StaffRoles.Administrator))
            .AddPolicy(Policies.EditRegister, p => p.RequireRole(StaffRoles.Administrator, StaffRoles.DataProtectionOfficer))
            .AddPolicy(Policies.HandleRequests, p => p.RequireRole(StaffRoles.Administrator, StaffRoles.DataProtectionOfficer, StaffRoles.Staff))
            .AddPolicy(Policies.ApproveRequests, p => p.RequireRole(StaffRoles.Administrator, StaffRoles.DataProtectionOfficer))
            .AddPolicy(Policies.ReviewRegister, p => p.RequireRole(StaffRoles.DataProtectionOfficer))
            .AddPolicy(Policies.ReadAudit, p => p.RequireRole(StaffRoles.Administrator, StaffRoles.DataProtectionOfficer, StaffRoles.Auditor))
            .AddPolicy(Policies.ReadConsentSubjects, p => p.RequireRole(StaffRoles.Administrator, StaffRoles.DataProtectionOfficer, StaffRoles.Auditor))
            .AddPolicy(Policies.EraseConsentSubjects, p => p.RequireRole(StaffRoles.Administrator, StaffRoles.DataProtectionOfficer))
            .AddPolicy(Policies.ReportBreaches, p => p.RequireRole(StaffRoles.Administrator, StaffRoles.DataProtectionOfficer, StaffRoles.Staff))
            .AddPolicy(Policies.HandleBreaches, p => p.RequireRole(StaffRoles.Administrator, StaffRoles.DataProtectionOfficer))
            .AddPolicy(Policies.ManageKeys, p => p.RequireRole(StaffRoles.Administrator, StaffRoles.DataProtectionOfficer))
            .AddPolicy(Policies.Tokenise, p => p.RequireRole(StaffRoles.Administrator, StaffRoles.DataProtectionOfficer, StaffRoles.Staff))
            .AddPolicy(Policies.Detokenise, p => p.RequireRole(StaffRoles.DataProtectionOfficer))
            .AddPolicy(Policies.ShareExport, p => p.RequireRole(StaffRoles.Administrator, StaffRoles.DataProtectionOfficer))
            .AddPolicy(Policies.EditDpias, p => p.RequireRole(StaffRoles.Administrator, StaffRoles.DataProtectionOfficer, StaffRoles.Staff))
            .AddPolicy(Policies.AdviseOnDpias, p => p.RequireRole(StaffRoles.DataProtectionOfficer))
            .AddPolicy(Policies.SignOffDpias, p => p.RequireRole(StaffRoles.Administrator, StaffRoles.DataProtectionOfficer))
            .AddPolicy(Policies.ReadTraining, p => p.RequireRole(StaffRoles.Administrator, StaffRoles.DataProtectionOfficer, StaffRoles.Auditor))
            .AddPolicy(Policies.ManageTraining, p => p.RequireRole(StaffRoles.Administrator, StaffRoles.DataProtectionOfficer))
            .AddPolicy(Policies.HandleComplaints, p => p.RequireRole(StaffRoles.Administrator, StaffRoles.DataProtectionOfficer, StaffRoles.Staff))
            .AddPolicy(Policies.ReadDashboard, p => p.RequireRole(StaffRoles.Administrator, StaffRoles.DataProtectionOfficer, StaffRoles.Auditor));
        services.AddCascadingAuthenticationState();
        services.AddDataProtection().SetApplicationName("Dataward").PersistKeysToDbContext<DatawardDbContext>();
        services.Configure<Microsoft.AspNetCore.DataProtection.KeyManagement.KeyManagementOptions>(o => o.XmlEncryptor = new KeyRingXmlEncryptor(keyRing));

        services.AddRazorComponents();
        services.AddProblemDetails(o => o.CustomizeProblemDetails = context =>
            context.ProblemDetails.Extensions.TryAdd("traceId", context.HttpContext.TraceIdentifier));
        services.AddExceptionHandler<BadRequestExceptionHandler>();
        services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        services.ConfigureHttpJsonOptions(o =>
        {
            o.SerializerOptions.RespectNullableAnnotations = true;
            o.SerializerOptions.RespectRequiredConstructorParameters = true;
            o.SerializerOptions.UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow;
            o.SerializerOptions.MaxDepth = 32;
            o.SerializerOptions.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.CamelCase));
        });
        services.AddValidation();
        services.AddOpenApi(o => o.AddDocumentTransformer<BearerSecurityTransformer>());
        services.Configure<Microsoft.AspNetCore.Server.Kestrel.Core.KestrelServerOptions>(o =>
            o.Limits.MaxRequestBodySize = security.MaxRequestBodyBytes);

        services.AddRateLimiter(o =>
        {
            o.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            o.OnRejected = (context, _) =>
            {
                if (context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter))
                {
                    context.HttpContext.Response.Headers.RetryAfter = ((int)Math.Ceiling(retryAfter.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
                }
                return ValueTask.CompletedTask;
            };
            // Only submitted credentials count: showing the form is free.
            o.AddPolicy(SignInRateLimit, context => HttpMethods.IsPost(context.Request.Method)
                ? RateLimitPartition.GetFixedWindowLimiter(context.Connection.RemoteIpAddress?.ToString() ?? "unknown",
                    _ => new FixedWindowRateLimiterOptions { PermitLimit = security.SignInAttemptsPerMinute, Window = TimeSpan.FromMinutes(1) })
                : RateLimitPartition.GetNoLimiter("view"));
        });
        services.AddHealthChecks().AddDbContextCheck<DatawardDbContext>("database", tags: ["ready"]);

        services.AddSingleton<AuditChainHead>();
        services.AddScoped<AuditTrail>();
        services.AddScoped<StaffAccounts>();
        services.AddScoped<StaffSignIn>();
        services.AddScoped<ApiTokens>();
        services.AddSingleton<ApiTokenCache>();
        services.AddScoped<ActorNames>();
        services.AddScoped<Register.RegisterService>();
        services.AddScoped<DatasetService>();
        services.AddScoped<Register.ReviewReminders>();
        services.AddScoped<Consent.ConsentService>();
        services.AddSingleton<Consent.ConsentChecks>();
        services.AddScoped<Consent.WithdrawalLinks>();
        services.AddScoped<Notices.NoticeService>();
        services.AddScoped<Consent.ConsentRenewals>();
        services.AddScoped<Consent.ConsentSubjects>();
        services.AddScoped<Consent.ConsentProofService>();
        services.AddScoped<Consent.ConsentTrends>();
        services.AddScoped<Consent.Iso27560ConsentRecords>();
        services.AddScoped<Portal.PortalSession>();
        services.AddScoped<Portal.SubjectVerification>();
        services.AddScoped<Portal.PrivacyCentre>();
        services.AddSingleton(sp => Requests.RequestSettings.DeadlinesFrom(sp.GetRequiredService<IConfiguration>()));
        services.AddScoped<Requests.RequestService>();
        services.AddScoped<Requests.RequestAccessService>();
        services.AddScoped<Requests.AccessResultVault>();
        services.AddScoped<Requests.RequestExecutionService>();
        services.AddScoped<Requests.ErasurePolicyService>();
        services.AddSingleton<Requests.ErasureCheckpointHooks>();
        services.AddScoped<Connections.ConnectionService>();
        services.AddSingleton<Connections.OpenStores>();
        services.AddSingleton<Connections.DatasetPlans>();
        services.AddSingleton<Connections.ConnectionCatalog>();
        services.AddOptions<Connections.ConnectionOptions>().BindConfiguration(Connections.ConnectionOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddScoped<Breaches.BreachService>();
        services.AddScoped<Pseudonymisation.PseudonymisationService>();
        services.AddScoped<Shredding.SubjectKeys>();
        services.AddScoped<Sharing.RecipientService>();
        services.AddScoped<Sharing.SharingService>();
        services.AddScoped<Retention.RetentionService>();
        services.AddScoped<Retention.RetentionSweeps>();
        services.AddSingleton<Retention.RetentionSweepHooks>();
        services.AddOptions<Retention.RetentionOptions>().BindConfiguration(Retention.RetentionOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddScoped<Dpias.DpiaService>();
        services.AddScoped<Training.TrainingService>();
        services.AddScoped<Training.TrainingReminders>();
        services.AddOptions<Training.TrainingOptions>().BindConfiguration(Training.TrainingOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddScoped<Complaints.ComplaintService>();
        services.AddOptions<Complaints.ComplaintOptions>().BindConfiguration(Complaints.ComplaintOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddScoped<Dashboard.DashboardService>();
        services.AddScoped<Dashboard.ManagementReports>();
        services.AddScoped<Platform.Email.EmailOutbox>();
        services.AddOptions<Platform.Email.EmailOptions>().BindConfiguration(Platform.Email.EmailOptions.Section).ValidateDataAnnotations()
            .Validate(o => o.Mode != "Smtp" || !string.IsNullOrWhiteSpace(o.SmtpHost), "Email:SmtpHost is required when Email:Mode is Smtp.")
            .ValidateOnStart();
        // Jobs:Enabled=false leaves the schedule to 'dataward register remind' and friends (tests, cron-driven set-ups).
        if (mode == HostMode.Serve && builder.Configuration.GetValue("Jobs:Enabled", true))
        {
            services.AddHostedService<Platform.Email.OutboxDispatcher>();
            services.AddHostedService<Register.ReviewReminderJob>();
            services.AddHostedService<Requests.RequestAccessJob>();
            services.AddHostedService<Requests.RequestExecutionJob>();
            services.AddHostedService<Retention.RetentionSweepJob>();
            services.AddHostedService<Retention.RetentionReviewReminderJob>();
            services.AddHostedService<Training.TrainingReminderJob>();
        }
    }

    private static void MapPipeline(WebApplication app)
    {
        app.UseExceptionHandler();
        app.UseWhen(c => IsApi(c.Request), b => b.UseStatusCodePages());
        // A fresh scope for the re-executed page: Blazor services of the first render cannot be reused.
        app.UseWhen(c => !IsApi(c.Request), b => b.UseStatusCodePagesWithReExecute("/status/{0}", createScopeForStatusCodePages: true));
        app.UseSecurityHeaders();
        if (!app.Environment.IsDevelopment())
        {
            app.UseHsts();
        }
        app.UseRouting();
        app.UseAuthentication();
        app.UseAuthorization();
        app.UseRateLimiter();
        app.UseAntiforgery();
        app.UseGlobalPrivacyControl();

        app.MapStaticAssets().AllowAnonymous();
        app.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = _ => false }).AllowAnonymous();
        app.MapHealthChecks("/health/ready", new HealthCheckOptions { Predicate = c => c.Tags.Contains("ready") }).AllowAnonymous();
        app.MapOpenApi().AllowAnonymous();
        app.MapScalarApiReference(o => o.WithTitle("Dataward API")).AllowAnonymous();

        var api = app.MapGroup("/api");
        api.MapMeEndpoints();
        api.MapAuditEndpoints();
        api.MapUserEndpoints();
        api.MapTokenEndpoints();
        api.MapRegisterEndpoints();
        api.MapTaxonomyEndpoints();
        api.MapConsentEndpoints();
        api.MapConsentStaffEndpoints();
        api.MapNoticeEndpoints();
        api.MapDatasetEndpoints();
        api.MapRequestEndpoints();
        api.MapRequestAccessEndpoints();
        api.MapRequestExecutionEndpoints();
        api.MapConnectionEndpoints();
        api.MapBreachEndpoints();
        api.MapPseudonymisationEndpoints();
        api.MapSubjectKeyEndpoints();
        api.MapRecipientEndpoints();
        api.MapSharingEndpoints();
        api.MapRetentionEndpoints();
        api.MapDpiaEndpoints();
        api.MapTrainingEndpoints();
        api.MapComplaintEndpoints();
        api.MapDashboardEndpoints();
        api.MapFallback(UnknownApiRoute).ExcludeFromDescription();

        app.MapAccountEndpoints();
        app.MapOneClickUnsubscribe();
        app.MapConsentStaffForms();
        app.MapPrivacyCentre();
        app.MapPackageDownload();
        app.MapRazorComponents<App>();
    }

    public static bool IsApi(HttpRequest request) => request.Path.StartsWithSegments("/api");

    private static Microsoft.AspNetCore.Http.HttpResults.ProblemHttpResult UnknownApiRoute(HttpRequest request) =>
        TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Not found",
            detail: $"No API operation answers {request.Method} {request.Path}. The operations are listed at /openapi/v1.json.");

    private static Task ApiStatusOrRedirect(Microsoft.AspNetCore.Authentication.RedirectContext<Microsoft.AspNetCore.Authentication.Cookies.CookieAuthenticationOptions> context, int status)
    {
        if (IsApi(context.Request))
        {
            context.Response.StatusCode = status;
            return Task.CompletedTask;
        }
        context.Response.Redirect(context.RedirectUri);
        return Task.CompletedTask;
    }
}
