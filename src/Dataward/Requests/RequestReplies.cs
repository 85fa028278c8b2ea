using System.Text.Json.Nodes;
using Dataward.Domain;
using Dataward.Domain.Requests;
using Dataward.Platform.Email;
using Dataward.Portal;
using Microsoft.EntityFrameworkCore;

namespace Dataward.Requests;

/// <summary>Where carrying out a request stands, for the request itself: the access run or the erasure, its status,
/// attempts and the last error while it waits to try again (a dropped connection, say).</summary>
/// <param name="Kind"><c>access</c> (access and portability) or <c>erasure</c>.</param>
public sealed record RequestRunView(string Kind, string Status, int Attempts, string? LastError, DateTimeOffset? NextAttemptAt, DateTimeOffset? CompletedAt);

/// <summary>One e-mail sent (or waiting to be sent) to the person about the request. One-time codes are not shown.</summary>
public sealed record RequestMessageView(Guid Id, DateTimeOffset CreatedAt, string Purpose, string To, string Subject, string? Body, DateTimeOffset? SentAt,
    int Attempts, string? LastError);

/// <summary>Everything the person was sent about a request, from the outbox, and an answer waiting to go by post,
/// phone or in person (DSR024).</summary>
public sealed record RequestMessagesView(string Reference, string ResponseChannel, DateTimeOffset? ResponseSentAt, IReadOnlyList<RequestMessageView> Messages,
    string? ReplyToSend);

public sealed record ReplyChannelRequest(string Channel);

public sealed partial class RequestService
{
    private const string ReplyPurpose = "requests.reply";

    /// <summary>DSR024: the address the answer goes to, when the person is answered by e-mail.</summary>
    internal string? ReplyEmailOf(SubjectRequest record) => record.ResponseChannel == ReplyChannels.Email ? Email(record) : null;

    /// <summary>DSR024: the answer goes the way the person asked: by e-mail, or kept on the request for staff to send by
    /// post, read out on the phone or hand over in person.</summary>
    internal void Reply(SubjectRequest record, string actor, string subject, string body, string purpose, DateTimeOffset now)
    {
        if (ReplyEmailOf(record) is { } email)
        {
            record.ResponseSentAt = now;
            outbox.Enqueue(email, subject, body, purpose);
            Log(record, actor, "response_sent", "Reply sent by e-mail.", now);
            return;
        }
        record.ReplyLetterEncrypted = keys.Encrypt($"{subject}{Environment.NewLine}{Environment.NewLine}{body}", ReplyPurpose);
        Log(record, actor, "response_due", record.ResponseChannel == ReplyChannels.Email
            ? "No e-mail address is on the request: send the reply shown on the request page by the channel the request came by."
            : $"The person is answered by {record.ResponseChannel.Replace('_', ' ')} (DSR024): send the reply shown on the request page that way, not by e-mail.", now);
    }

    /// <summary>DSR024: the person asked for the answer another way (by post instead of e-mail, say).</summary>
    public async Task<Outcome<RequestView>> SetReplyChannelAsync(Guid id, string? channel, string actor, CancellationToken cancellationToken = default)
    {
        if (channel is null || !ReplyChannels.All.Contains(channel))
        {
            return Outcome<RequestView>.Invalid("channel", $"Use one of {string.Join(", ", ReplyChannels.All)}.", "DSR024");
        }
        return await ChangeAsync(id, actor, (record, now) =>
        {
            if (!RequestStates.IsOpen(record.State))
            {
                return Task.FromResult(Outcome<bool>.Conflict("state", $"This request is {record.State}: it has been answered.", "DSR024"));
            }
            if (channel == ReplyChannels.Email && Email(record) is null)
            {
                return Task.FromResult(Outcome<bool>.Conflict("channel", "An answer by e-mail needs the person's e-mail address on the request.", "DSR024"));
            }
            record.ResponseChannel = channel;
            Log(record, actor, "reply_channel", $"The person asked to be answered by {channel.Replace('_', ' ')}.", now);
            return Task.FromResult(Outcome<bool>.Success(true));
        }, "requests.reply_channel", cancellationToken, new JsonObject { ["channel"] = channel });
    }

    /// <summary>Every e-mail sent to the person for this request (the outbox names the request's reference in each
    /// subject), oldest first, and an answer waiting to be sent another way.</summary>
    public async Task<Outcome<RequestMessagesView>> MessagesAsync(Guid id, CancellationToken cancellationToken = default)
    {
        var record = await db.Set<SubjectRequest>().AsNoTracking().FirstOrDefaultAsync(r => r.Id == id, cancellationToken);
        if (record is null)
        {
            return Outcome<RequestMessagesView>.NotFound("id", "No request has this id.");
        }
        var reference = record.Reference;
        var rows = await db.Set<OutboxMessage>().AsNoTracking().Where(m => m.Subject.Contains(reference)).ToListAsync(cancellationToken);
        var messages = rows
            // A longer reference that starts with this one is another request's.
            .Where(m => !char.IsAsciiDigit(m.Subject.ElementAtOrDefault(m.Subject.IndexOf(reference, StringComparison.Ordinal) + reference.Length)))
            .OrderBy(m => m.CreatedAt).ThenBy(m => m.Id)
            .Select(m => new RequestMessageView(m.Id, m.CreatedAt, m.Purpose, keys.Decrypt(m.To, EmailOutbox.RecipientPurpose), m.Subject,
                // A one-time code is for the person alone: staff see that it was sent, not what it was.
                m.Purpose.StartsWith(SubjectVerification.HashPurpose, StringComparison.Ordinal) ? null : EmailOutbox.BodyOf(keys, m), m.SentAt, m.Attempts, m.LastError))
            .ToList();
        return Outcome<RequestMessagesView>.Success(new RequestMessagesView(reference, record.ResponseChannel, record.ResponseSentAt, messages,
            record.ReplyLetterEncrypted is { } letter ? keys.Decrypt(letter, ReplyPurpose) : null));
    }

    private async Task<RequestRunView?> RunOfAsync(SubjectRequest r, CancellationToken cancellationToken)
    {
        if (await db.Set<RequestExecution>().AsNoTracking().FirstOrDefaultAsync(e => e.RequestId == r.Id, cancellationToken) is { } erasure)
        {
            return new RequestRunView("erasure", erasure.Status, erasure.Attempts, erasure.LastError,
                erasure.Status is ExecutionStatus.Pending or ExecutionStatus.Paused ? erasure.NextAttemptAt : null, erasure.CompletedAt);
        }
        return await db.Set<RequestAccessRecord>().AsNoTracking().FirstOrDefaultAsync(a => a.RequestId == r.Id, cancellationToken) is { } access
            ? new RequestRunView("access", access.LastError is not null && access.Status == AccessRunStatus.Pending ? "paused" : access.Status, access.Attempts,
                access.LastError, access.NextAttemptAt, access.CompletedAt)
            : null;
    }
}
