namespace Dataward.Domain.Requests;

/// <summary>The rights a request can exercise (requests.md §3).</summary>
public static class RequestTypes
{
    public const string Access = "access";
    public const string Rectification = "rectification";
    public const string Erasure = "erasure";
    public const string Restriction = "restriction";
    public const string Objection = "objection";
    public const string Portability = "portability";
    public const string AutomatedDecisionReview = "automatedDecisionReview";

    public static readonly IReadOnlyList<string> All = [Access, Rectification, Erasure, Restriction, Objection, Portability, AutomatedDecisionReview];

    /// <summary>What the privacy centre offers; automated-decision reviews are opened by staff.</summary>
    public static readonly IReadOnlyList<string> Public = [Access, Rectification, Erasure, Restriction, Objection, Portability];
}

/// <summary>How a request reached the organisation (DSR001).</summary>
public static class RequestChannels
{
    public static readonly IReadOnlyList<string> All = ["web", "email", "phone", "letter", "in_person", "other"];

    /// <summary>DSR024: requests made electronically are answered electronically unless the person asks otherwise.</summary>
    public static bool IsElectronic(string channel) => channel is "web" or "email";
}

/// <summary>How the answer goes to the person (DSR024, requests.md §1 "Form"): by default the way the request came,
/// so an electronic request is answered electronically, unless the person asks otherwise.</summary>
public static class ReplyChannels
{
    public const string Email = "email";
    public const string Post = "post";
    public const string Phone = "phone";
    public const string InPerson = "in_person";

    public static readonly IReadOnlyList<string> All = [Email, Post, Phone, InPerson];

    /// <summary>DSR024: web and e-mail requests are answered by e-mail; a letter by post, a call by phone, a visit in
    /// person; anything else by e-mail where we have an address, otherwise by post.</summary>
    public static string DefaultFor(string channel, bool hasEmail) => channel switch
    {
        _ when RequestChannels.IsElectronic(channel) => Email,
        "letter" => Post,
        "phone" => Phone,
        "in_person" => InPerson,
        _ => hasEmail ? Email : Post,
    };
}

/// <summary>The life cycle of a request (requests.md §6.1).</summary>
public static class RequestStates
{
    public const string Received = "received";
    public const string IdentityPending = "identity_pending";
    public const string Verified = "verified";
    public const string InProgress = "in_progress";
    public const string Extended = "extended";
    public const string AwaitingApproval = "awaiting_approval";
    public const string Completed = "completed";
    public const string Rejected = "rejected";
    public const string Cancelled = "cancelled";

    public static readonly IReadOnlyList<string> All = [Received, IdentityPending, Verified, InProgress, Extended, AwaitingApproval, Completed, Rejected, Cancelled];

    private static readonly Dictionary<string, string[]> Next = new()
    {
        [Received] = [IdentityPending, Verified, Rejected, Cancelled],
        [IdentityPending] = [Verified, Rejected, Cancelled],
        // Back to identity_pending only when staff ask for more proof before anything was done (DSR008).
        [Verified] = [IdentityPending, InProgress, AwaitingApproval, Extended, Completed, Rejected, Cancelled],
        [InProgress] = [AwaitingApproval, Extended, Completed, Rejected, Cancelled],
        [Extended] = [AwaitingApproval, InProgress, Completed, Rejected, Cancelled],
        [AwaitingApproval] = [IdentityPending, InProgress, Extended, Completed, Rejected, Cancelled],
        [Completed] = [],
        [Rejected] = [],
        [Cancelled] = [],
    };

    public static bool CanMove(string from, string to) => Next.TryGetValue(from, out var next) && next.Contains(to);

    public static bool IsOpen(string state) => state is not (Completed or Rejected or Cancelled);

    /// <summary>DSR006: nothing is revealed, changed or deleted before the person's identity is verified.</summary>
    public static bool IsVerified(string state) => state is Verified or InProgress or Extended or AwaitingApproval or Completed;
}

/// <summary>Why a request may be refused, each with the wording the letter uses (DSR010, DSR023, requests.md §6.4).</summary>
public static class RefusalGrounds
{
    public static readonly IReadOnlyDictionary<string, string> All = new Dictionary<string, string>
    {
        ["manifestly_unfounded"] = "the request is manifestly unfounded (Art. 12(5))",
        ["manifestly_excessive"] = "the request is manifestly excessive, for example because it repeats an earlier one (Art. 12(5))",
        ["identity_not_proven"] = "we could not confirm your identity (Art. 12(6))",
        ["exemption"] = "an exemption applies",
        ["portability_not_applicable"] = "the right to data portability does not apply to this processing (Art. 20(1))",
        ["no_ground_for_erasure"] = "none of the grounds for erasure in Art. 17(1) applies, or an exception in Art. 17(3) does",
        ["other"] = "another reason, explained below",
    };

    /// <summary>DSR010: a refusal as manifestly unfounded or excessive needs the DPO's sign-off.</summary>
    public static bool NeedsDpo(string ground) => ground is "manifestly_unfounded" or "manifestly_excessive";
}

/// <summary>Readable references: <c>DSR-2026-000042</c>.</summary>
public static class RequestReferences
{
    public static string Format(int year, int sequence) => $"DSR-{year:D4}-{sequence:D6}";
}
