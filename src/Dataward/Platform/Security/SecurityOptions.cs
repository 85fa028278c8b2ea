using System.ComponentModel.DataAnnotations;
using Dataward.Platform.Storage;

namespace Dataward.Platform.Security;

/// <summary>The <c>Security</c> section: sign-in throttling, lockout and request size limits.</summary>
public sealed class SecurityOptions
{
    public const string Section = "Security";

    /// <summary>Submitted sign-in forms per client address per minute before 429.</summary>
    [Range(1, 10_000)]
    public int SignInAttemptsPerMinute { get; set; } = 10;

    /// <summary>Failed passwords in a row before the account locks.</summary>
    [Range(1, 100)]
    public int LockoutAttempts { get; set; } = 5;

    [Range(1, 24 * 60)]
    public int LockoutMinutes { get; set; } = 15;

    /// <summary>How long a revocation made by another process (the CLI, a second server) may take to reach this
    /// one; 0 looks every API token up in the database on every request. Revocations through this server apply at once.</summary>
    [Range(0, 300)]
    public int TokenCacheSeconds { get; set; } = 1;

    [Range(1024, 1024L * 1024 * 1024)]
    public long MaxRequestBodyBytes { get; set; } = 4 * 1024 * 1024;

    /// <summary>Binds and checks the section before anything starts; throws <see cref="ConfigurationException"/> naming the key.</summary>
    public static SecurityOptions FromConfiguration(IConfiguration configuration)
    {
        SecurityOptions options;
        try
        {
            options = configuration.GetSection(Section).Get<SecurityOptions>() ?? new SecurityOptions();
        }
        catch (InvalidOperationException e)
        {
            throw new ConfigurationException(Section, $"has a value of the wrong type: {e.Message}");
        }
        var results = new List<ValidationResult>();
        if (!Validator.TryValidateObject(options, new ValidationContext(options), results, validateAllProperties: true))
        {
            var first = results[0];
            throw new ConfigurationException($"{Section}:{first.MemberNames.FirstOrDefault()}", first.ErrorMessage ?? "is out of range.");
        }
        return options;
    }
}
