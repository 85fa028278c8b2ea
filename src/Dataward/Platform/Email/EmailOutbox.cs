using Dataward.Platform.Security;
using Dataward.Platform.Storage;
using MailKit.Net.Smtp;
using MailKit.Security;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using MimeKit;

namespace Dataward.Platform.Email;

/// <summary>Queues messages with the caller's changes and delivers them: to .eml files (the default) or over SMTP
/// with MailKit. Failed deliveries are retried with growing delays; logs name the purpose, never the address.</summary>
public sealed partial class EmailOutbox(DatawardDbContext db, IOptions<EmailOptions> options, KeyRing keys, TimeProvider time, ILogger<EmailOutbox> logger)
{
    public const int MaxAttempts = 8;
    internal const string RecipientPurpose = "email.to";
    internal const string BodyPurpose = "email.body";

    /// <summary>Adds a message to the caller's unit of work; it is sent once the caller's transaction commits.</summary>
    public void Enqueue(string to, string subject, string body, string purpose)
    {
        var now = time.GetUtcNow();
        // The address and the text are personal data (names, what was asked, links): they wait in the outbox encrypted.
        db.Add(new OutboxMessage
        {
            To = keys.Encrypt(to, RecipientPurpose),
            Subject = subject,
            Body = keys.Encrypt(body, BodyPurpose),
            Purpose = purpose,
            CreatedAt = now,
            NextAttemptAt = now,
        });
    }

    /// <summary>Sends every message that is due; returns how many were delivered. Safe to run from several places:
    /// a message is marked sent only after delivery, and at worst is delivered twice, never lost.</summary>
    public async Task<int> DispatchAsync(CancellationToken cancellationToken = default)
    {
        var now = time.GetUtcNow();
        var due = await db.Set<OutboxMessage>().Where(m => m.SentAt == null && m.Attempts < MaxAttempts && m.NextAttemptAt <= now)
            .OrderBy(m => m.CreatedAt).Take(100).ToListAsync(cancellationToken);
        var sent = 0;
        foreach (var message in due)
        {
            try
            {
                await DeliverAsync(message, cancellationToken);
                message.SentAt = time.GetUtcNow();
                sent++;
                LogSent(logger, message.Id, message.Purpose);
            }
            catch (Exception e) when (e is IOException or SmtpCommandException or SmtpProtocolException or AuthenticationException
                                          or System.Net.Sockets.SocketException or SslHandshakeException or UnauthorizedAccessException
                                          or System.Security.Cryptography.CryptographicException or FormatException)
            {
                message.Attempts++;
                message.LastError = e.Message.Length > 1000 ? e.Message[..1000] : e.Message;
                message.NextAttemptAt = time.GetUtcNow().AddMinutes(Math.Pow(2, message.Attempts));
                LogFailed(logger, message.Id, message.Purpose, message.Attempts, e.GetType().Name);
            }
            await db.SaveChangesAsync(cancellationToken);
        }
        return sent;
    }

    /// <summary>A queued message's text. Messages queued before bodies were encrypted hold it as it was written.</summary>
    public static string BodyOf(KeyRing keys, OutboxMessage message) =>
        message.Body.StartsWith("v1.", StringComparison.Ordinal) ? keys.Decrypt(message.Body, BodyPurpose) : message.Body;

    private async Task DeliverAsync(OutboxMessage message, CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var mime = new MimeMessage();
        mime.From.Add(MailboxAddress.Parse(settings.From));
        mime.To.Add(MailboxAddress.Parse(keys.Decrypt(message.To, RecipientPurpose)));
        mime.Subject = message.Subject;
        mime.MessageId = $"{message.Id}@dataward";
        mime.Date = message.CreatedAt;
        mime.Body = new TextPart("plain") { Text = BodyOf(keys, message) };
        if (settings.Mode == "Smtp")
        {
            using var client = new SmtpClient();
            await client.ConnectAsync(settings.SmtpHost!, settings.SmtpPort, Enum.Parse<SecureSocketOptions>(settings.SmtpSecurity), cancellationToken);
            if (!string.IsNullOrEmpty(settings.SmtpUsername))
            {
                await client.AuthenticateAsync(settings.SmtpUsername, settings.SmtpPassword ?? "", cancellationToken);
            }
            await client.SendAsync(mime, cancellationToken);
            await client.DisconnectAsync(quit: true, cancellationToken);
            return;
        }
        Directory.CreateDirectory(settings.OutboxFolder);
        await mime.WriteToAsync(Path.Combine(settings.OutboxFolder, $"{message.CreatedAt:yyyyMMddTHHmmss}-{message.Id}.eml"), cancellationToken);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "E-mail {MessageId} ({Purpose}) delivered")]
    private static partial void LogSent(ILogger logger, Guid messageId, string purpose);

    [LoggerMessage(Level = LogLevel.Warning, Message = "E-mail {MessageId} ({Purpose}) failed, attempt {Attempts}: {Error}")]
    private static partial void LogFailed(ILogger logger, Guid messageId, string purpose, int attempts, string error);
}

/// <summary>Empties the outbox every few seconds while <c>serve</c> runs.</summary>
public sealed class OutboxDispatcher(IServiceScopeFactory scopes, IOptions<EmailOptions> options, TimeProvider time,
    ILogger<OutboxDispatcher> logger) : Jobs.PeriodicJob(scopes, time, logger)
{
    protected override TimeSpan Interval => TimeSpan.FromSeconds(options.Value.DispatchIntervalSeconds);

    protected override Task RunAsync(IServiceProvider services, CancellationToken cancellationToken) =>
        services.GetRequiredService<EmailOutbox>().DispatchAsync(cancellationToken);
}
