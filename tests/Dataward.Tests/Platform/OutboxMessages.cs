using Dataward.Platform.Email;
using Dataward.Platform.Security;
using Microsoft.Extensions.DependencyInjection;

namespace Dataward.Tests.Platform;

/// <summary>Queued e-mails as the person reads them: the outbox keeps their text encrypted.</summary>
public static class OutboxMessages
{
    public static OutboxMessage Decrypted(this OutboxMessage message, TestApp app) => new()
    {
        Id = message.Id,
        To = message.To,
        Subject = message.Subject,
        Body = EmailOutbox.BodyOf(app.Services.GetRequiredService<KeyRing>(), message),
        Purpose = message.Purpose,
        CreatedAt = message.CreatedAt,
        NextAttemptAt = message.NextAttemptAt,
        SentAt = message.SentAt,
        Attempts = message.Attempts,
        LastError = message.LastError,
    };

    public static List<OutboxMessage> Decrypted(this List<OutboxMessage> messages, TestApp app) => [.. messages.Select(m => m.Decrypted(app))];
}
