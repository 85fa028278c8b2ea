using System.Text.Json;
using Dataward.Domain.Taxonomy;
using TaxonomyModel = Dataward.Domain.Taxonomy.Taxonomy;

using Dataward.Tests.Platform;

namespace Dataward.Tests.Taxonomy;

public sealed class TaxonomyTests
{
    [Theory]
    [InlineData("user.health_and_medical.genetic", "Genetic,Health")]
    [InlineData("user.biometric.health", "Biometric,Health")]
    [InlineData("user.authorization.biometric", "Biometric")]
    [InlineData("user.demographic.religious_belief", "ReligiousPhilosophicalBeliefs")]
    [InlineData("user.trade_union_membership", "TradeUnionMembership")]
    [InlineData("user.demographic.gender", "")]
    [InlineData("user.contact.email", "")]
    public void Special_categories_are_marked_on_a_key_and_its_descendants(string key, string marks) =>
        TaxonomyModel.Default.SpecialCategoriesOf(key).Select(m => m.ToString()).Order()
            .ShouldBe(marks.Split(',', StringSplitOptions.RemoveEmptyEntries));

    [Fact]
    public void Criminal_offence_data_and_children_are_flagged_but_not_special()
    {
        TaxonomyModel.IsCriminalOffenceData("user.criminal_history").ShouldBeTrue();
        TaxonomyModel.Default.SpecialCategoriesOf("user.criminal_history").ShouldBeEmpty();
        TaxonomyModel.ConcernsChildren("user.childrens").ShouldBeTrue();
    }

    [Fact]
    public void Dataward_adds_trade_union_membership_and_the_sale_of_data()
    {
        TaxonomyModel.Default.Contains(TaxonomyKind.DataCategories, "user.trade_union_membership").ShouldBeTrue();
        TaxonomyModel.Default.Contains(TaxonomyKind.DataUses, "third_party_sharing.sale").ShouldBeTrue();
    }

    [Fact]
    public void Organisations_add_keys_under_existing_parents_and_marks_reach_them()
    {
        var custom = TaxonomyModel.Default.With(TaxonomyKind.DataCategories,
            [new TaxonomyTerm("user.health_and_medical.allergies", "Allergies", "user.health_and_medical")]);
        custom.Succeeded.ShouldBeTrue();
        custom.Value!.Contains(TaxonomyKind.DataCategories, "user.health_and_medical.allergies").ShouldBeTrue();
        custom.Value.SpecialCategoriesOf("user.health_and_medical.allergies").ShouldContain(SpecialCategory.Health);

        TaxonomyModel.Default.With(TaxonomyKind.DataCategories, [new TaxonomyTerm("user.pets.name", "Pet", "user.pets")])
            .Violations.ShouldHaveSingleItem().Field.ShouldBe("parent");
        TaxonomyModel.Default.With(TaxonomyKind.DataCategories, [new TaxonomyTerm("user.contact.email", "Email", "user.contact")])
            .Failure.ShouldBe(Dataward.Domain.FailureKind.Conflict);
    }

    [Fact]
    public void Suggestions_prefer_the_nearest_key_on_the_same_branch()
    {
        TaxonomyModel.Default.Suggest(TaxonomyKind.DataCategories, "user.contact.emial")[0].ShouldBe("user.contact.email");
        TaxonomyModel.Default.Suggest(TaxonomyKind.DataSubjects, "costumer")[0].ShouldBe("customer");
    }

    /// <summary>Conformance with the reference fideslang taxonomy in ../shared (mandatory under CI).</summary>
    [Fact]
    public void Every_fideslang_key_exists_with_the_same_parent()
    {
        var folder = SharedFixtures.Folder("fides-example/taxonomy");
        foreach (var (file, kind) in new[] { ("data_categories.json", TaxonomyKind.DataCategories), ("data_uses.json", TaxonomyKind.DataUses), ("data_subjects.json", TaxonomyKind.DataSubjects) })
        {
            using var document = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, file)));
            foreach (var term in document.RootElement.EnumerateArray())
            {
                var key = term.GetProperty("fides_key").GetString()!;
                if (key == "custom" || key.StartsWith("custom.", StringComparison.Ordinal))
                {
                    continue; // test keys of the Fides admin UI's fixtures, not part of fideslang
                }
                var ours = TaxonomyModel.Default.Find(kind, key);
                ours.ShouldNotBeNull($"{kind}: {key}");
                if (term.TryGetProperty("parent_key", out var parent) && parent.ValueKind == JsonValueKind.String)
                {
                    ours.Parent.ShouldBe(parent.GetString());
                }
            }
        }
    }
}
