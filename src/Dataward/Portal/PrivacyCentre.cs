using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Dataward.Consent;
using Dataward.Domain;
using Dataward.Domain.Consent;
using Dataward.Domain.Register;
using Dataward.Domain.Taxonomy;
using Dataward.Notices;
using Dataward.Register;
using TaxonomyModel = Dataward.Domain.Taxonomy.Taxonomy;

namespace Dataward.Portal;

/// <summary>One line of what a person is told before they answer (CNS021).</summary>
public sealed record ConsentFact(string Label, string Text);

/// <summary>Everything shown with one question, kept word for word as the event's evidence (<c>evidence.wording</c>),
/// and a short fingerprint of it that the form carries, so an answer is recorded only against the text that was read.</summary>
public sealed record ConsentRequestText(IReadOnlyList<ConsentFact> Facts, string Question)
{
    public string Wording => string.Join("\n", Facts.Select(f => $"{f.Label}: {f.Text}").Append(Question));

    public string Fingerprint => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Wording)))[..16];
}

/// <summary>One past event, in words a person understands.</summary>
public sealed record ConsentHistoryLine(DateTimeOffset When, string What, string How, string? NoticeVersion);

/// <summary>Where a verified person stands with one purpose, what we would ask them, and what happened before.</summary>
public sealed record PurposeChoice(ConsentPurposeView Purpose, string State, bool Allowed, DateTimeOffset? Since, string? StateNoticeVersion,
    NoticeView? Notice, int AgeThreshold, ConsentRequestText Request, ConsentRequestText? Objection, IReadOnlyList<ConsentHistoryLine> History)
{
    /// <summary>Whether the person can agree here: the purpose is live and a published notice covers it (CNS003).</summary>
    public bool CanGive => Notice is not null && !Purpose.Retired;

    /// <summary>States in which the consent counts, so the one thing to offer is withdrawing it (CNS010).</summary>
    public bool Counts => State is ConsentStates.Given or ConsentStates.PendingParent;
}

/// <summary>An answer from the preference centre's form: <c>given</c> or <c>withdrawn</c>, with the fingerprint of
/// the text shown and, for purposes offered to children, the age and a parent's address (as typed).</summary>
public sealed record PreferenceAnswer(string? Purpose, string? Answer, string? Shown, string? Age = null, string? ParentEmail = null);

/// <summary>The public privacy centre (CNS019-CNS021, CNS017): what a verified person is asked, their answers recorded
/// through the consent ledger, their objections to direct marketing and their browser's Global Privacy Control signal.</summary>
public sealed class PrivacyCentre(ConsentService consent, NoticeService notices, RegisterService register)
{
    public const string FormId = "preference-centre";
    public const string ObjectionFormId = "preference-centre-objection";
    public const string GpcFormId = "global-privacy-control";
    public const string Actor = "subject";
    private const string Method = "preference-centre";

    /// <summary>Published notices, newest version first.</summary>
    public async Task<IReadOnlyList<NoticeView>> PublishedNoticesAsync(CancellationToken cancellationToken = default) =>
        (await notices.ListAsync(cancellationToken)).Where(n => n.Version is not null).ToList();

    public Task<Organisation> OrganisationAsync(CancellationToken cancellationToken = default) => register.OrganisationAsync(cancellationToken);

    /// <summary>Every purpose with the person's state, the request text and their history (CNS019).</summary>
    public async Task<IReadOnlyList<PurposeChoice>> ChoicesAsync(VerifiedSubject subject, CancellationToken cancellationToken = default)
    {
        var organisation = await register.OrganisationAsync(cancellationToken);
        var published = await PublishedNoticesAsync(cancellationToken);
        var activities = (await register.ListAsync(new ActivityFilter(), cancellationToken)).ToDictionary(a => a.Id);
        var taxonomy = await register.TaxonomyAsync(cancellationToken);
        var threshold = await consent.DigitalConsentAgeAsync(cancellationToken);
        var history = await consent.HistoryAsync(subject.SubjectHash, cancellationToken);
        var states = await consent.SubjectStatesAsync(subject.SubjectHash, cancellationToken);
        return states.Select(s =>
        {
            var notice = published.FirstOrDefault(n => n.Purposes.Contains(s.Purpose.Key));
            var linked = s.Purpose.Activities.Select(activities.GetValueOrDefault).OfType<ActivityView>().ToList();
            var lines = History(s.Purpose.Key, history.Select(h => (h.Purpose, h.Action, h.Method, h.OccurredAt, h.NoticeVersion, h.Evidence.FormId,
                h.Age, h.AgeThreshold, h.ParentalConfirmationId)));
            return new PurposeChoice(s.Purpose, s.State, s.Allowed, s.UpdatedAt, s.NoticeVersion, notice, threshold,
                RequestText(organisation, s.Purpose, linked, taxonomy, notice, threshold),
                s.Purpose.DirectMarketing ? ObjectionText(organisation, s.Purpose) : null, lines);
        }).ToList();
    }

    /// <summary>Records a "Yes, I agree" or "No" from the form, as the person (CNS001, CNS004, CNS015, CNS016).</summary>
    public async Task<Outcome<RecordedConsent>> AnswerAsync(VerifiedSubject subject, PreferenceAnswer answer, CancellationToken cancellationToken = default)
    {
        var choice = (await ChoicesAsync(subject, cancellationToken)).FirstOrDefault(c => c.Purpose.Key == answer.Purpose);
        if (choice is null)
        {
            return Outcome<RecordedConsent>.Invalid("purpose", "There is no such choice to make here.");
        }
        if (answer.Answer is not (ConsentActions.Given or ConsentActions.Withdrawn))
        {
            return Outcome<RecordedConsent>.Invalid("answer", "Choose \"Yes, I agree\" or \"No\".", "CNS004");
        }
        if (answer.Shown != choice.Request.Fingerprint)
        {
            return Changed();
        }
        var given = answer.Answer == ConsentActions.Given;
        if (given && !choice.CanGive)
        {
            return Outcome<RecordedConsent>.Invalid("answer", choice.Purpose.Retired
                ? "We no longer ask for consent to this; you can only withdraw it."
                : "Our privacy notice does not cover this yet, so we cannot ask for your consent to it; you can still say no.", "CNS003");
        }
        int? age = null;
        if (given && choice.Purpose.Children)
        {
            if (!int.TryParse(answer.Age, NumberStyles.None, CultureInfo.InvariantCulture, out var years))
            {
                return Outcome<RecordedConsent>.Invalid("age", "Enter your age in whole years, for example 15.", "CNS016");
            }
            age = years;
        }
        return await consent.RecordAsync(new ConsentEventRequest(subject.Email, choice.Purpose.Key, answer.Answer,
                given ? choice.Notice!.Version : null, Method,
                Evidence: new ConsentEvidence(FormId, choice.Request.Wording, choice.Notice?.Language ?? "en"),
                Age: age, ParentEmail: given && choice.Purpose.Children ? answer.ParentEmail?.Trim() : null),
            Actor, cancellationToken);
    }

    /// <summary>CNS020: an objection to direct marketing, in one action; the ledger records it as a withdrawal and
    /// puts the person on the suppression list with the reason <c>objection</c>.</summary>
    public async Task<Outcome<RecordedConsent>> ObjectAsync(VerifiedSubject subject, string? purpose, string? shown,
        CancellationToken cancellationToken = default)
    {
        var choice = (await ChoicesAsync(subject, cancellationToken)).FirstOrDefault(c => c.Purpose.Key == purpose && c.Objection is not null);
        if (choice is null)
        {
            return Outcome<RecordedConsent>.Invalid("purpose", "There is no such direct marketing to object to.", "CNS020");
        }
        if (shown != choice.Objection!.Fingerprint)
        {
            return Changed();
        }
        return await consent.RecordAsync(new ConsentEventRequest(subject.Email, choice.Purpose.Key, ConsentActions.Withdrawn, Method: Method,
            Evidence: new ConsentEvidence(ObjectionFormId, choice.Objection.Wording, choice.Notice?.Language ?? "en")), Actor, cancellationToken);
    }

    /// <summary>CNS017: withdraws, once, each sale-or-sharing consent of a verified person whose browser sends the
    /// Global Privacy Control signal (see <see cref="GlobalPrivacyControl.ShouldWithdraw"/>); the titles withdrawn now.</summary>
    public async Task<IReadOnlyList<string>> HonourGpcAsync(VerifiedSubject subject, CancellationToken cancellationToken = default)
    {
        var candidates = (await consent.SubjectStatesAsync(subject.SubjectHash, cancellationToken))
            .Where(s => GlobalPrivacyControl.ShouldWithdraw(s.Purpose.SaleOrSharing, s.State, signalActedBefore: false)).ToList();
        if (candidates.Count == 0)
        {
            return [];
        }
        var actedBefore = (await consent.HistoryAsync(subject.SubjectHash, cancellationToken))
            .Where(h => h.Method == GlobalPrivacyControl.Method).Select(h => h.Purpose).ToHashSet();
        var withdrawn = new List<string>();
        foreach (var state in candidates.Where(s => GlobalPrivacyControl.ShouldWithdraw(s.Purpose.SaleOrSharing, s.State, actedBefore.Contains(s.Purpose.Key))))
        {
            var recorded = await consent.RecordAsync(new ConsentEventRequest(subject.Email, state.Purpose.Key, ConsentActions.Withdrawn,
                Method: GlobalPrivacyControl.Method,
                Evidence: new ConsentEvidence(GpcFormId, $"{GlobalPrivacyControl.Header}: 1 received from a browser whose user had verified their e-mail address")),
                GlobalPrivacyControl.Actor, cancellationToken);
            if (recorded.Succeeded)
            {
                withdrawn.Add(state.Purpose.Title);
            }
        }
        return withdrawn;
    }

    /// <summary>The state in words, with what it means for the person's data.</summary>
    public static string Explain(PurposeChoice choice)
    {
        var since = choice.Since is { } at ? $" on {Date(at)}" : "";
        return choice.State switch
        {
            ConsentStates.Given => $"You agreed{since}{(choice.StateNoticeVersion is { } v ? $", under version {v} of our privacy notice" : "")}. We use your data for this.",
            ConsentStates.Withdrawn => $"You withdrew your consent{since}. We no longer use your data for this.",
            ConsentStates.Refused => $"You said no{since}. We do not use your data for this.",
            ConsentStates.Expired => "Your consent has expired: we ask again from time to time, or after changing what we do. We do not use your data for this unless you agree again.",
            ConsentStates.PendingParent => $"Waiting for your parent or guardian. Because you are under {choice.AgeThreshold}, a parent or guardian must agree for you: we have e-mailed them a link. Until they confirm, we do not use your data for this.",
            ConsentStates.RenewalRequired => "Please confirm again: we changed our privacy notice in a way that affects this. Your earlier agreement still counts for now; tell us whether you still agree.",
            _ => "You have not told us yet. We do not use your data for this unless you agree.",
        };
    }

    private static Outcome<RecordedConsent> Changed() => Outcome<RecordedConsent>.Conflict("shown",
        "What we ask has changed since you opened this page, so nothing was recorded. Please read it again below and choose again.", "CNS021");

    /// <summary>CNS021: before the person acts, the controller, the purpose, the kinds of data, how to withdraw, and
    /// automated decisions or transfers without safeguards where a linked register activity says so.</summary>
    private static ConsentRequestText RequestText(Organisation organisation, ConsentPurposeView purpose, IReadOnlyList<ActivityView> activities,
        TaxonomyModel taxonomy, NoticeView? notice, int threshold)
    {
        var controller = Controller(organisation);
        var facts = new List<ConsentFact> { new("Who is asking", ControllerWithContact(organisation)) };
        var others = activities.SelectMany(a => a.JointControllers.Concat(a.Recipients.Where(r => r.Kind == "controller").Select(r => r.Name)))
            .Where(n => !string.IsNullOrWhiteSpace(n)).Distinct(StringComparer.OrdinalIgnoreCase).ToList();
        if (others.Count > 0)
        {
            facts.Add(new("Other organisations relying on this consent", string.Join(", ", others)));
        }
        facts.Add(new("What for", purpose.Description));
        var kinds = activities.SelectMany(a => a.DataCategories).Distinct()
            .Select(k => taxonomy.Find(TaxonomyKind.DataCategories, k)?.Name ?? k).Distinct().ToList();
        facts.Add(new("Data we use", kinds.Count > 0 ? string.Join(", ", kinds) : "As described in our privacy notice."));
        if (purpose.Sensitive)
        {
            facts.Add(new("Sensitive data", "This includes sensitive (special category) data, so we ask for your explicit consent."));
        }
        var recipients = activities.SelectMany(a => a.Recipients.Select(r => r.Name)).Where(n => !string.IsNullOrWhiteSpace(n))
            .Distinct(StringComparer.OrdinalIgnoreCase).ToList();
        if (purpose.SaleOrSharing)
        {
            facts.Add(new("Sharing", recipients.Count > 0
                ? $"We sell or share this data with other organisations: {string.Join(", ", recipients)}."
                : "We sell or share this data with other organisations."));
        }
        var automated = activities.Where(a => a.AutomatedDecisionMaking is { Exists: true }).ToList();
        if (automated.Count > 0)
        {
            var logic = string.Join(" ", automated.Select(a => a.AutomatedDecisionMaking!.Logic).Where(l => !string.IsNullOrWhiteSpace(l)));
            facts.Add(new("Automated decisions", $"We use this data to make decisions about you by automated means alone.{(logic.Length > 0 ? $" {logic}" : "")} You can ask for a person to review a decision, give your point of view and contest it."));
        }
        var unsafeTransfers = activities.SelectMany(a => a.Transfers)
            .Where(t => Transfers.IsRestricted(t, organisation) && !Transfers.HasAdequacy(t.Country, organisation)
                        && (string.IsNullOrEmpty(t.Mechanism) || t.Mechanism == "derogation"))
            .Select(t => t.Country ?? t.InternationalOrganisation ?? t.Recipient).OfType<string>().Distinct().ToList();
        if (unsafeTransfers.Count > 0)
        {
            // Art. 49(1)(a): consent to a transfer without adequacy or safeguards must be informed of its risks.
            facts.Add(new("Transfers abroad", $"Your data will be sent outside the UK and the EEA, to {string.Join(", ", unsafeTransfers)} (country codes as in ISO 3166). There is no adequacy decision and no appropriate safeguards for this transfer: the law there may protect your data less, and you may find it harder to use your rights or to complain."));
        }
        if (purpose.Children)
        {
            facts.Add(new("Age", $"If you are under {threshold}, a parent or guardian must agree for you: we will e-mail them a link to confirm."));
        }
        facts.Add(new("Changing your mind", "You can withdraw at any time, as easily as you agree: on this page, or with the link in the e-mail receipt we send you. Withdrawing costs nothing and does not affect what we did before."));
        facts.Add(new("Privacy notice", notice is null
            ? "No published privacy notice covers this yet, so we cannot ask for your consent to it."
            : $"Version {notice.Version} of our privacy notice, \"{notice.Title}\"."));
        var data = kinds.Count > 0 ? string.Join(", ", kinds) : "your data";
        var question = purpose.Explicit || purpose.Sensitive
            ? $"Do you explicitly agree that {controller} uses {data} for: {purpose.Title}?"
            : $"Do you agree that {controller} uses your data for: {purpose.Title}?";
        return new ConsentRequestText(facts, question);
    }

    /// <summary>CNS020 and Art. 21(4): the right to object, stated apart from everything else.</summary>
    private static ConsentRequestText ObjectionText(Organisation organisation, ConsentPurposeView purpose) => new(
        [new("Your right to object", $"You have the right to object to direct marketing at any time. If you object, {Controller(organisation)} stops using your data for \"{purpose.Title}\" and keeps only what it needs to make sure it does not contact you for it again. It costs nothing and you do not need to give a reason.")],
        "Object to this direct marketing?");

    private static string Controller(Organisation organisation) => string.IsNullOrWhiteSpace(organisation.Name) ? "we" : organisation.Name;

    private static string ControllerWithContact(Organisation organisation)
    {
        var name = string.IsNullOrWhiteSpace(organisation.Name) ? "This organisation" : organisation.Name;
        var contact = organisation.Dpo?.Email ?? organisation.Email;
        return contact is null ? $"{name} (the controller)." : $"{name} (the controller). Questions: {contact}.";
    }

    private static IReadOnlyList<ConsentHistoryLine> History(string purpose,
        IEnumerable<(string Purpose, string Action, string Method, DateTimeOffset OccurredAt, string? NoticeVersion, string? FormId, int? Age,
            int? AgeThreshold, Guid? ParentalConfirmationId)> events)
    {
        var lines = new List<ConsentHistoryLine>();
        var everGiven = false;
        foreach (var e in events.Where(e => e.Purpose == purpose).Reverse())
        {
            var what = e.Action switch
            {
                ConsentActions.Given when e.ParentalConfirmationId is not null => "Your parent or guardian agreed for you",
                ConsentActions.Given when e.Age < e.AgeThreshold => "You agreed, and we asked a parent or guardian to confirm",
                ConsentActions.Given => "You agreed",
                _ when e.Method == GlobalPrivacyControl.Method => "Withdrawn because your browser sent a Global Privacy Control signal",
                _ when e.FormId == ObjectionFormId => "You objected to direct marketing",
                _ => everGiven ? "You withdrew your consent" : "You said no",
            };
            everGiven |= e.Action == ConsentActions.Given;
            lines.Add(new ConsentHistoryLine(e.OccurredAt, what, e.Method switch
            {
                "web" => "on our website",
                "preference-centre" => "in this privacy centre",
                "email-link" => "with the link in an e-mail",
                "api" => "through our systems",
                "paper" => "on paper",
                "phone" => "by phone",
                "gpc" => "by your browser's Global Privacy Control signal",
                "import" => "from our earlier records",
                _ => e.Method,
            }, e.NoticeVersion));
        }
        lines.Reverse();
        return lines;
    }

    public static string Date(DateTimeOffset at) => at.UtcDateTime.ToString("d MMMM yyyy, HH:mm 'UTC'", CultureInfo.InvariantCulture);
}
