using System.ComponentModel.DataAnnotations;

namespace Dataward.Platform.Email;

/// <summary>The <c>Email</c> section: where mail goes. The default writes .eml files to a folder, so nothing leaves a
/// developer's machine; production sets <c>Email:Mode=Smtp</c> and a relay.</summary>
public sealed class EmailOptions
{
    public const string Section = "Email";

    /// <summary><c>Files</c> (default) or <c>Smtp</c>.</summary>
    [RegularExpression("^(Files|Smtp)$", ErrorMessage = "Email:Mode is Files or Smtp.")]
    public string Mode { get; set; } = "Files";

    /// <summary>Where <c>Files</c> mode writes messages (relative to the working directory).</summary>
    public string OutboxFolder { get; set; } = "./data/outbox";

    [Required]
    public string From { get; set; } = "Dataward <dataward@localhost>";

    public string? SmtpHost { get; set; }

    [Range(1, 65535)]
    public int SmtpPort { get; set; } = 587;

    /// <summary><c>Auto</c>, <c>None</c>, <c>StartTls</c> or <c>SslOnConnect</c>.</summary>
    [RegularExpression("^(Auto|None|StartTls|SslOnConnect)$", ErrorMessage = "Email:SmtpSecurity is Auto, None, StartTls or SslOnConnect.")]
    public string SmtpSecurity { get; set; } = "Auto";

    public string? SmtpUsername { get; set; }

    public string? SmtpPassword { get; set; }

    /// <summary>How often the outbox is emptied, in seconds.</summary>
    [Range(1, 3600)]
    public int DispatchIntervalSeconds { get; set; } = 10;
}
