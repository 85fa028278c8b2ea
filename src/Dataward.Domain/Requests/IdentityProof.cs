namespace Dataward.Domain.Requests;

/// <summary>One check staff recorded: which kind of proof, how it was checked, the outcome and when.</summary>
public sealed record ProofCheck(string Kind, string Outcome, DateTimeOffset CheckedAt);

/// <summary>How a request's identity is proven (requests.md §4, DSR007-DSR009): the e-mailed code, or a check staff
/// record where the code is not enough (a step-up, DSR008), and, when an agent acts for the person, the authority
/// they showed (DSR009). Staff record what they checked, never a copy of a document.</summary>
public static class IdentityProof
{
    /// <summary>Proof that the person is who they say (DSR008).</summary>
    public const string Identity = "identity";

    /// <summary>Proof that an agent may act for the person (DSR009).</summary>
    public const string Authority = "authority";

    public static readonly IReadOnlyList<string> Kinds = [Identity, Authority];

    public const string Passed = "passed";
    public const string Failed = "failed";
    public static readonly IReadOnlyList<string> Outcomes = [Passed, Failed];

    /// <summary>What verification can still be waiting for.</summary>
    public const string AwaitingCode = "code";
    public const string AwaitingProof = "proof";
    public const string AwaitingAuthority = "authority";

    /// <summary>DSR008: ways of checking identity, most proportionate first (information already held, ICO/EDPB).</summary>
    public static readonly IReadOnlyDictionary<string, string> IdentityMethods = new Dictionary<string, string>
    {
        ["account_details"] = "details only the person and we know (account number, a recent order)",
        ["photo_id"] = "photo ID seen (passport, driving licence, identity card)",
        ["proof_of_address"] = "proof of address seen (utility bill, bank statement)",
        ["video_call"] = "video call, compared with what we hold",
        ["in_person"] = "seen in person",
        ["other"] = "another check, as described",
    };

    /// <summary>DSR009: the evidence of an agent's authority (requests.md §4, third parties).</summary>
    public static readonly IReadOnlyDictionary<string, string> AuthorityMethods = new Dictionary<string, string>
    {
        ["written_authorisation"] = "written authorisation signed by the person",
        ["power_of_attorney"] = "power of attorney",
        ["court_order"] = "court order or deputyship",
        ["parental_responsibility"] = "parental responsibility, for a child who cannot act alone",
        ["other"] = "other evidence, as described",
    };

    /// <summary>Who an agent is to the person.</summary>
    public static readonly IReadOnlyDictionary<string, string> Relationships = new Dictionary<string, string>
    {
        ["solicitor"] = "solicitor or legal representative",
        ["relative"] = "relative or friend",
        ["parent_or_guardian"] = "parent or guardian",
        ["attorney_or_deputy"] = "attorney or court-appointed deputy",
        ["advocate"] = "advocate or carer",
        ["other"] = "other",
    };

    public static IReadOnlyDictionary<string, string>? MethodsFor(string? kind) => kind switch
    {
        Identity => IdentityMethods,
        Authority => AuthorityMethods,
        _ => null,
    };

    /// <summary>What verification still waits for, in order; empty once the identity is proven (DSR006).
    /// <list type="bullet">
    /// <item>Identity: the e-mailed code, or a passing staff check. Once staff require more proof (DSR008), only a
    /// passing check recorded since then will do: the code, or an earlier check, is not enough.</item>
    /// <item>Authority: a request made by an agent waits for a passing check of their authority (DSR009).</item>
    /// </list></summary>
    public static IReadOnlyList<string> Outstanding(bool codeConfirmed, DateTimeOffset? proofRequiredAt, bool madeByAgent,
        IEnumerable<ProofCheck> checks)
    {
        var list = checks.ToList();
        var outstanding = new List<string>();
        var identityPassed = list.Any(c => c.Kind == Identity && c.Outcome == Passed && (proofRequiredAt is not { } since || c.CheckedAt >= since));
        if (proofRequiredAt is not null && !identityPassed)
        {
            outstanding.Add(AwaitingProof);
        }
        else if (proofRequiredAt is null && !codeConfirmed && !identityPassed)
        {
            outstanding.Add(AwaitingCode);
        }
        if (madeByAgent && !list.Any(c => c.Kind == Authority && c.Outcome == Passed))
        {
            outstanding.Add(AwaitingAuthority);
        }
        return outstanding;
    }

    /// <summary>What an outstanding item means, for staff and the timeline.</summary>
    public static string Describe(string outstanding) => outstanding switch
    {
        AwaitingCode => "the code e-mailed to the person",
        AwaitingProof => "the additional proof of identity staff asked for (DSR008)",
        AwaitingAuthority => "evidence of the agent's authority to act for the person (DSR009)",
        _ => outstanding,
    };
}
