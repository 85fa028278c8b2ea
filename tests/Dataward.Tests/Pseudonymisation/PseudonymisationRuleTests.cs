using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Dataward.Domain.Pseudonymisation;
using Dataward.Domain.Register;
using Dataward.Domain.Sharing;

namespace Dataward.Tests.Pseudonymisation;

/// <summary>The toolkit's rules as plain functions: pseudonyms, normalisation, §4.1 generalisation, k-anonymity and
/// labels, and the sharing gate.</summary>
public sealed class PseudonymisationRuleTests
{
    private static readonly byte[] Key = Enumerable.Range(1, 32).Select(i => (byte)i).ToArray();

    [Fact]
    public void A_pseudonym_is_the_HMAC_SHA256_of_the_normalised_value_untruncated_and_names_its_domain_and_key_version_MIN009_MIN011()
    {
        var pseudonymiser = new Pseudonymiser("analytics.churn", 3, Key);
        var pseudonym = pseudonymiser.Pseudonymise("  Ann@Example.ORG ", IdentifierKind.Email);
        var mac = Base64Url.EncodeToString(HMACSHA256.HashData(Key, Encoding.UTF8.GetBytes("ann@example.org")));
        pseudonym.ShouldBe($"pd:analytics.churn:3:{mac}");
        mac.Length.ShouldBe(43, "256 bits, never truncated below 128");
        PseudonymFormat.TryParse(pseudonym, out var domain, out var version).ShouldBeTrue();
        (domain, version).ShouldBe(("analytics.churn", 3));
        PseudonymFormat.TryParse("pd:analytics.churn:x:" + mac, out _, out _).ShouldBeFalse();
        pseudonymiser.Matches(pseudonym, "ann@example.org", IdentifierKind.Email).ShouldBeTrue();
        pseudonymiser.Matches(pseudonym, "bob@example.org", IdentifierKind.Email).ShouldBeFalse();

        Span<char> buffer = stackalloc char[pseudonymiser.Length];
        pseudonymiser.TryPseudonymise("ann@example.org", buffer, out var written).ShouldBeTrue();
        buffer[..written].ToString().ShouldBe(pseudonym);
        pseudonymiser.TryPseudonymise("ann@example.org", buffer[..10], out _).ShouldBeFalse();
        Should.Throw<ArgumentException>(() => new Pseudonymiser("analytics.churn", 1, new byte[16]));
        var long1 = pseudonymiser.Pseudonymise(new string('x', 5000));
        long1.ShouldBe($"pd:analytics.churn:3:{Base64Url.EncodeToString(HMACSHA256.HashData(Key, Encoding.UTF8.GetBytes(new string('x', 5000))))}");
    }

    [Fact]
    public void Two_key_domains_give_different_pseudonyms_for_the_same_value_MIN010()
    {
        var other = RandomNumberGenerator.GetBytes(32);
        new Pseudonymiser("sharing.dsa-2026-0001", 1, Key).Pseudonymise("ann@example.org")[^43..]
            .ShouldNotBe(new Pseudonymiser("sharing.dsa-2026-0002", 1, other).Pseudonymise("ann@example.org")[^43..]);
    }

    [Theory]
    [InlineData("Ann@Example.org", IdentifierKind.Email, "ann@example.org")]
    [InlineData(" sw1a 1aa ", IdentifierKind.Postcode, "SW1A1AA")]
    [InlineData("+44 (0)20 7946 0958", IdentifierKind.Phone, "+4402079460958")]
    [InlineData("  Zoë  ", IdentifierKind.Text, "Zoë")]
    public void Identifiers_are_normalised_before_they_are_pseudonymised(string value, IdentifierKind kind, string normalised) =>
        Normalisation.Normalise(value, kind).ShouldBe(normalised);

    [Fact]
    public void Composed_and_decomposed_accents_give_one_pseudonym()
    {
        var pseudonymiser = new Pseudonymiser("analytics.churn", 1, Key);
        pseudonymiser.Pseudonymise("Zo\u00eb").ShouldBe(pseudonymiser.Pseudonymise("Zoe\u0308"));
        pseudonymiser.Pseudonymise("Jos\u00e9 Nguy\u1ec5n").ShouldBe(pseudonymiser.Pseudonymise("Jose\u0301 Nguye\u0302\u0303n"));
        Normalisation.Normalise("Ama\u0301lie", IdentifierKind.Text).ShouldBe("Am\u00e1lie");
    }

    [Theory]
    [InlineData("sha256")]
    [InlineData("MD5")]
    [InlineData("hash")]
    [InlineData("rot13")]
    public void Unkeyed_hashes_and_unknown_functions_are_refused_for_pseudonymisation_MIN009(string method) =>
        PseudonymisationMethods.Check(method)!.RuleId.ShouldBe("MIN009");

    [Fact]
    public void Hmac_sha256_is_accepted_MIN009()
    {
        PseudonymisationMethods.Check(null).ShouldBeNull();
        PseudonymisationMethods.Check("hmac-sha256").ShouldBeNull();
    }

    public static TheoryData<object?, GeneralisationKind, string?> Generalisations() => new()
    {
        { new DateOnly(2021, 7, 14), GeneralisationKind.Date, "2021-07" },
        { new DateTime(2021, 7, 14, 23, 59, 0), GeneralisationKind.Date, "2021-07" },
        { "2021-07-14", GeneralisationKind.Date, "2021-07" },
        { new DateOnly(1984, 3, 2), GeneralisationKind.DateOfBirth, "1984" },
        { 37L, GeneralisationKind.Age, "35-39" },
        { 35L, GeneralisationKind.Age, "35-39" },
        { 0L, GeneralisationKind.Age, "0-4" },
        { 89L, GeneralisationKind.Age, "85-89" },
        { 93L, GeneralisationKind.Age, "90+" },
        { -1L, GeneralisationKind.Age, null },
        { "thirty", GeneralisationKind.Age, null },
        { "SW1A 1AA", GeneralisationKind.Postcode, "SW1A" },
        { "sw1a1aa", GeneralisationKind.Postcode, "SW1A" },
        { "M1 1AE", GeneralisationKind.Postcode, "M1" },
        { "EC1A 1BB", GeneralisationKind.Postcode, "EC1A" },
        { "GIR 0AA", GeneralisationKind.Postcode, "GIR" },
        { "NOT A CODE", GeneralisationKind.Postcode, null },
        { "SW1A 1AI", GeneralisationKind.Postcode, null },
        { "90210", GeneralisationKind.Postcode, null },
        { "Calls about her cat", GeneralisationKind.Removed, null },
        { 12.5m, GeneralisationKind.Removed, null },
    };

    [Theory]
    [MemberData(nameof(Generalisations))]
    public void Generalisation_follows_the_UK_rules_and_suppresses_what_it_cannot_generalise_MIN014(object? value, GeneralisationKind kind, string? expected) =>
        Generalisation.Apply(value, kind).ShouldBe(expected);

    [Fact]
    public void Ages_can_be_banded_by_ten_and_sparse_outward_codes_widen_to_their_area_MIN014()
    {
        Generalisation.AgeBand(37, 10).ShouldBe("30-39");
        Generalisation.PostcodeArea("SW1A").ShouldBe("SW");
        Generalisation.PostcodeArea("M1").ShouldBe("M");
    }

    [Fact]
    public void Field_kinds_come_from_data_categories_and_column_types()
    {
        Generalisation.KindOf(["user.demographic.date_of_birth"], dateColumn: true).ShouldBe(GeneralisationKind.DateOfBirth);
        Generalisation.KindOf(["user.contact.address.postal_code"], dateColumn: false).ShouldBe(GeneralisationKind.Postcode);
        Generalisation.KindOf(["user.demographic.age_range"], dateColumn: false).ShouldBe(GeneralisationKind.Age);
        Generalisation.KindOf(["system.operations"], dateColumn: true).ShouldBe(GeneralisationKind.Date);
        Generalisation.KindOf(["user.content.private"], dateColumn: false).ShouldBe(GeneralisationKind.Removed);
        Generalisation.KindOf([], dateColumn: false).ShouldBe(GeneralisationKind.Removed);
    }

    [Fact]
    public void The_k_anonymity_report_counts_groups_and_never_holds_their_values_MIN015()
    {
        var counter = new KAnonymityCounter(["postcode", "year"]);
        foreach (var _ in Enumerable.Range(0, 5))
        {
            counter.Add(["SW1A", "1984"]);
        }
        counter.Add(["EC1A", "1990"]);
        counter.Add(["EC1A", null]);
        counter.Add(["EC1A", null]);
        counter.Add(["a:b", "c"]);
        counter.Add(["a", "b:c"]);
        var report = counter.Report(5);
        report.Records.ShouldBe(10);
        report.Groups.ShouldBe(5);
        report.SmallestGroup.ShouldBe(1);
        report.GroupsBelowK.ShouldBe(4);
        report.RecordsBelowK.ShouldBe(5);
        report.SmallGroups.Select(g => g.Size).ShouldBe([1, 1, 1, 2]);
        report.Passes.ShouldBeFalse();
        var json = JsonSerializer.Serialize(report);
        json.ShouldNotContain("EC1A");
        json.ShouldNotContain("1990");
        json.ShouldNotContain("a:b");
        counter.Report(2).GroupsBelowK.ShouldBe(3);
    }

    [Fact]
    public void Only_a_passed_check_without_identifiers_or_pseudonyms_is_labelled_anonymised_MIN016()
    {
        var passed = new KAnonymityReport(5, ["year"], 12, 2, 5, 0, 0, []);
        var failed = new KAnonymityReport(5, ["year"], 12, 3, 1, 1, 1, [new SmallGroup(1, 1)]);
        ReleaseLabels.For(false, false, passed).ShouldBe(ReleaseLabels.Anonymised);
        ReleaseLabels.For(false, false, failed).ShouldBe(ReleaseLabels.Pseudonymised);
        ReleaseLabels.For(false, true, passed).ShouldBe(ReleaseLabels.Pseudonymised);
        ReleaseLabels.For(false, false, null).ShouldBe(ReleaseLabels.Pseudonymised);
        ReleaseLabels.For(true, true, passed).ShouldBe(ReleaseLabels.Identifiable);
        ReleaseLabels.For(false, false, passed with { Records = 0, Groups = 0, SmallestGroup = 0 }).ShouldBe(ReleaseLabels.Pseudonymised);
    }

    private static readonly Organisation Uk = new() { Name = "Example Ltd", Jurisdictions = ["UK"] };

    private static RecipientFacts Processor(string[] countries, string safeguard = "none", string? tra = null, bool contract = true) =>
        new("Acme", RecipientRoles.Processor, contract, countries, safeguard, tra);

    [Fact]
    public void The_export_gate_needs_an_active_reviewed_agreement_and_a_processor_under_contract_MIN019()
    {
        var today = new DateOnly(2026, 11, 25);
        SharingRules.ExportBlockers(new AgreementFacts("DSA-2026-0001", "active", today), Processor(["GB"]), Uk, today).ShouldBeEmpty();
        SharingRules.ExportBlockers(new AgreementFacts("DSA-2026-0001", "draft", today), Processor(["GB"]), Uk, today).Single().RuleId.ShouldBe("MIN019");
        SharingRules.ExportBlockers(new AgreementFacts("DSA-2026-0001", "active", today.AddDays(-1)), Processor(["GB"]), Uk, today).Single().Field.ShouldBe("reviewDue");
        SharingRules.ExportBlockers(new AgreementFacts("DSA-2026-0001", "active", null), Processor(["GB"]), Uk, today).Single().Field.ShouldBe("reviewDue");
        SharingRules.ExportBlockers(new AgreementFacts("DSA-2026-0001", "active", today), Processor(["GB"], contract: false), Uk, today).Single().RuleId.ShouldBe("MIN019");
        SharingRules.ExportBlockers(new AgreementFacts("DSA-2026-0001", "active", today),
            new RecipientFacts("Beta", RecipientRoles.Controller, false, ["GB"], "none", null), Uk, today).ShouldBeEmpty();
    }

    [Theory]
    [InlineData("GB", "none", null, true)]
    [InlineData("FR", "none", null, true)]
    [InlineData("JP", "none", null, true)]
    [InlineData("IN", "none", null, false)]
    [InlineData("IN", "adequacy", null, false)]
    [InlineData("IN", "sccs", null, false)]
    [InlineData("IN", "idta", "TRA-7", true)]
    [InlineData("IN", "bcr", "TRA-7", true)]
    [InlineData("IN", "derogation", null, true)]
    public void A_country_without_adequacy_needs_a_safeguard_and_Art46_mechanisms_a_TRA_MIN021(string country, string safeguard, string? tra, bool allowed) =>
        SharingRules.TransferBlockers(Processor([country], safeguard, tra), Uk).Count.ShouldBe(allowed ? 0 : 1);

    [Fact]
    public void Only_agreed_fields_may_be_exported_and_the_refusal_names_the_agreement_MIN018()
    {
        var refused = SharingRules.SelectFields("DSA-2026-0007", ["email", "country"], ["email", "name"]);
        refused.Violations.Single().RuleId.ShouldBe("MIN018");
        refused.Violations.Single().Message.ShouldContain("DSA-2026-0007");
        refused.Violations.Single().Message.ShouldContain("'name'");
        SharingRules.SelectFields("DSA-2026-0007", ["email", "country"], null).Value.ShouldBe(["email", "country"]);
        SharingRules.SelectFields("DSA-2026-0007", ["email", "country"], ["country", "country"]).Value.ShouldBe(["country"]);
        SharingRules.SelectFields("DSA-2026-0007", [], null).Violations.Single().RuleId.ShouldBe("MIN023");
    }
}
