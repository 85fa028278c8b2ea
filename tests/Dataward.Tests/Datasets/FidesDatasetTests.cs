using System.Text.Json.Nodes;
using Dataward.Connectors.Datasets;
using Dataward.Connectors.Formats;
using Dataward.Tests.Platform;
using TaxonomyModel = Dataward.Domain.Taxonomy.Taxonomy;

namespace Dataward.Tests.Datasets;

/// <summary>The fideslang dataset model, file format and rules, without a database.</summary>
public sealed class FidesDatasetTests
{
    /// <summary>A small shop: an identity, a nested field, a reference and collection ordering.</summary>
    public const string Shop = """
        dataset:
          - fides_key: shop
            name: Shop
            collections:
              - name: customer
                fields:
                  - name: id
                    data_categories: [user.unique_id]
                    fides_meta: {primary_key: true}
                  - name: email
                    data_categories: [user.contact.email]
                    fides_meta: {identity: email, data_type: string}
                  - name: profile
                    fides_meta: {data_type: object}
                    fields:
                      - name: phone
                        data_categories: [user.contact.phone_number]
                        fides_meta: {identity: phone_number, length: 20}
              - name: orders
                fides_meta: {after: [shop.customer]}
                fields:
                  - name: id
                    data_categories: [system.operations]
                    fides_meta: {primary_key: true}
                  - name: customer_id
                    data_categories: [user.unique_id]
                    fides_meta:
                      references: [{dataset: shop, field: customer.id, direction: from}]
                  - name: contact_phone
                    data_categories: [user.contact.phone_number]
                    fides_meta:
                      references: [{dataset: shop, field: customer.profile.phone}]
        """;

    public static string Fixture(string name) => File.ReadAllText(Path.Combine(SharedFixtures.Folder("fides-example"), name));

    private static Dataset Parse(string yaml)
    {
        var parsed = FidesDatasetFile.Parse(yaml);
        parsed.Succeeded.ShouldBeTrue(parsed.Describe());
        return parsed.Value!.ShouldHaveSingleItem();
    }

    private static JsonNode? Yaml(string text) => YamlJson.Read(new StringReader(text));

    [Fact]
    public void The_fides_example_dataset_parses_passes_the_rules_and_writes_back_to_the_same_document()
    {
        foreach (var name in new[] { "postgres_example_test_dataset.yml", "postgres_example_test_extended_dataset.yml" })
        {
            var yaml = Fixture(name);
            var dataset = Parse(yaml);
            DatasetRules.Validate([dataset], TaxonomyModel.Default).ShouldBeEmpty();
            JsonNode.DeepEquals(Yaml(FidesDatasetFile.Write([dataset])), Yaml(yaml)).ShouldBeTrue(name);
        }
    }

    [Fact]
    public void Identity_fields_are_listed_with_their_identity_type()
    {
        var example = Parse(Fixture("postgres_example_test_dataset.yml"));
        example.IdentityFields().Select(i => $"{i.Field} {i.Identity}").ShouldBe([
            "postgres_example_test_dataset.customer.email email",
            "postgres_example_test_dataset.employee.email email",
            "postgres_example_test_dataset.report.email email",
            "postgres_example_test_dataset.service_request.alt_email email",
            "postgres_example_test_dataset.service_request.email email",
            "postgres_example_test_dataset.visit.email email",
        ]);
        Parse(Fixture("postgres_example_test_extended_dataset.yml")).IdentityFields().ShouldHaveSingleItem()
            .ShouldBe(new IdentityField(new FieldAddress("postgres_example_test_extended_dataset", "loyalty", ["id"]), "loyalty_id"));
    }

    [Fact]
    public void References_keep_their_direction_and_say_which_way_data_flows()
    {
        var references = Parse(Fixture("postgres_example_test_dataset.yml")).References();
        references.Count.ShouldBe(10);
        var login = references.Single(r => r.Field.Collection == "login");
        login.Direction.ShouldBe(ReferenceDirection.From);
        login.Referenced.ToString().ShouldBe("postgres_example_test_dataset.customer.id");
        login.From.ShouldBe(login.Referenced, "a 'from' reference: customer.id finds the login rows");
        login.To.ToString().ShouldBe("postgres_example_test_dataset.login.customer_id");
        var address = references.First(r => r.Field.Collection == "customer");
        address.Direction.ShouldBe(ReferenceDirection.To);
        address.From.ToString().ShouldBe("postgres_example_test_dataset.customer.address_id");
        address.To.ToString().ShouldBe("postgres_example_test_dataset.address.id");
    }

    [Fact]
    public void Primary_keys_are_listed_for_every_collection_that_has_one()
    {
        Parse(Fixture("postgres_example_test_dataset.yml")).PrimaryKeys().Select(k => k.ToString()).ShouldBe(
            new[] { "address", "customer", "employee", "login", "orders", "payment_card", "product", "report", "service_request" }
                .Select(c => $"postgres_example_test_dataset.{c}.id"));
    }

    [Fact]
    public void Nested_fields_are_addressed_by_their_path_and_can_be_referenced()
    {
        var shop = Parse(Shop);
        shop.IdentityFields().Select(i => $"{i.Field} {i.Identity}").ShouldBe(["shop.customer.email email", "shop.customer.profile.phone phone_number"]);
        var nested = shop.References().Single(r => r.Field.FieldPath == "contact_phone");
        nested.Referenced.Path.ShouldBe(["profile", "phone"]);
        nested.Directed.ShouldBeFalse();
        shop.FindField(nested.Referenced)!.FidesMeta!.Length.ShouldBe(20);
        shop.AllFields().Count().ShouldBe(7);
        shop.Collections[1].FidesMeta!.After.ShouldBe(["shop.customer"]);
        DatasetRules.Validate([shop], TaxonomyModel.Default).ShouldBeEmpty();
    }

    [Fact]
    public void Keys_dataward_does_not_model_survive_a_round_trip()
    {
        var yaml = Shop
            .Replace("    name: Shop\n", "    name: Shop\n    organization_fides_key: default_organization\n    tags: [pii, eu]\n    meta: {owner: {team: data}}\n", StringComparison.Ordinal)
            .Replace("fides_meta: {after: [shop.customer]}", "fides_meta: {after: [shop.customer], partitioning: {where_clauses: [\"id > 1\"]}}\n        data_uses: [essential.service]", StringComparison.Ordinal)
            .Replace("fides_meta: {primary_key: true}", "fides_meta: {primary_key: true, redact: name}", StringComparison.Ordinal);
        var dataset = Parse(yaml);
        dataset.Extra!.Keys.Order().ShouldBe(["meta", "organization_fides_key", "tags"]);
        JsonNode.DeepEquals(Yaml(FidesDatasetFile.Write([dataset])), Yaml(yaml)).ShouldBeTrue(FidesDatasetFile.Write([dataset]));
    }

    [Fact]
    public void Old_fidesops_meta_is_read_as_fides_meta()
    {
        var dataset = Parse(Shop.Replace("fides_meta: {identity: email", "fidesops_meta: {identity: email", StringComparison.Ordinal));
        dataset.IdentityFields().Select(i => i.Field.FieldPath).ShouldContain("email");
        FidesDatasetFile.Write([dataset]).ShouldNotContain("fidesops_meta");
    }

    [Fact]
    public void A_single_dataset_in_json_as_the_api_returns_it_reads_as_a_file_of_one()
    {
        var dataset = Parse(Shop);
        var json = System.Text.Json.JsonSerializer.Serialize(dataset, FidesDatasetFile.Json);
        JsonNode.DeepEquals(System.Text.Json.JsonSerializer.SerializeToNode(Parse(json), FidesDatasetFile.Json), JsonNode.Parse(json)).ShouldBeTrue();
    }

    [Theory]
    [InlineData("[user.contact.email]", "[user.contact.emial]", "dataset[0].collections[0].fields[1].data_categories[0]", "'user.contact.email'", "REG013")]
    [InlineData("- name: phone\n                data_categories: [user.contact.phone_number]", "- name: phone\n                data_categories: [user.contact.phone_numbr]",
        "dataset[0].collections[0].fields[2].fields[0].data_categories[0]", "'user.contact.phone_number'", "REG013")]
    [InlineData("- name: orders", "- name: customer", "dataset[0].collections[1].name", "two collections called 'customer'", null)]
    [InlineData("- name: customer_id", "- name: id", "dataset[0].collections[1].fields[1].name", "called 'id'", null)]
    [InlineData("field: customer.id", "field: id", "dataset[0].collections[1].fields[1].fides_meta.references[0].field", "collection.field", null)]
    [InlineData("field: customer.id", "field: customer.idd", "dataset[0].collections[1].fields[1].fides_meta.references[0].field", "no field 'customer.idd'", null)]
    [InlineData("direction: from", "direction: sideways", "dataset[0].collections[1].fields[1].fides_meta.references[0].direction", "'from' or 'to'", null)]
    [InlineData("data_type: string", "data_type: strnig", "dataset[0].collections[0].fields[1].fides_meta.data_type", "not a data type", null)]
    [InlineData("data_type: string", "data_type: string, return_all_elements: true", "dataset[0].collections[0].fields[1].fides_meta.return_all_elements", "array", null)]
    [InlineData("{data_type: object}", "{data_type: string}", "dataset[0].collections[0].fields[2].fides_meta.data_type", "object", null)]
    [InlineData("length: 20", "length: 0", "dataset[0].collections[0].fields[2].fields[0].fides_meta.length", "positive", null)]
    [InlineData("fides_key: shop", "fides_key: the shop!", "dataset[0].fides_key", "fides_key", null)]
    [InlineData("after: [shop.customer]", "after: [customer]", "dataset[0].collections[1].fides_meta.after[0]", "dataset.collection", null)]
    [InlineData("after: [shop.customer]", "after: [shop.customer], masking_strategy_override: {strategy: hash}", "dataset[0].collections[1].fides_meta.masking_strategy_override.strategy", "'delete'", null)]
    public void Rule_violations_name_the_field_by_its_place_in_the_file(string find, string replace, string field, string message, string? rule)
    {
        var changed = Shop.Replace(find, replace, StringComparison.Ordinal);
        changed.ShouldNotBe(Shop);
        var violations = DatasetRules.Validate([Parse(changed)], TaxonomyModel.Default);
        var violation = violations.ShouldHaveSingleItem();
        violation.Field.ShouldBe(field);
        violation.Message.ShouldContain(message);
        violation.RuleId.ShouldBe(rule);
    }

    [Fact]
    public void A_dataset_key_twice_in_one_file_is_refused()
    {
        var shop = Parse(Shop);
        DatasetRules.Validate([shop, shop], TaxonomyModel.Default).ShouldHaveSingleItem().Field.ShouldBe("dataset[1].fides_key");
    }

    [Fact]
    public void A_value_of_the_wrong_type_is_named_by_its_path()
    {
        var parsed = FidesDatasetFile.Parse(Shop.Replace("{primary_key: true}", "{primary_key: [yes]}", StringComparison.Ordinal));
        parsed.Succeeded.ShouldBeFalse();
        parsed.Violations.ShouldHaveSingleItem().Field.ShouldBe("dataset[0].collections[0].fields[0].fides_meta.primary_key");
    }

    [Theory]
    [InlineData("dataset:\n  - &a {fides_key: x}\n  - *a\n", "anchors")]
    [InlineData("system: []\ndataset: []\n", "'system'")]
    [InlineData("fides_key_missing: true\n", "'dataset' key lists datasets")]
    [InlineData("dataset: []\n", "no datasets")]
    [InlineData("dataset:\n  - just a string\n", "mapping")]
    [InlineData("{\"dataset\": [", "Not valid JSON")]
    public void Files_that_are_not_dataset_files_are_refused_with_the_reason(string text, string reason)
    {
        var parsed = FidesDatasetFile.Parse(text);
        parsed.Succeeded.ShouldBeFalse();
        parsed.Describe().ShouldContain(reason);
    }

    [Fact]
    public void Deeply_nested_documents_are_refused_in_yaml_and_json()
    {
        FidesDatasetFile.Parse("dataset: " + new string('[', 200) + new string(']', 200)).Describe().ShouldContain("nested deeper than 64");
        FidesDatasetFile.Parse("{\"dataset\": " + new string('[', 200) + new string(']', 200) + "}").Describe().ShouldContain("nested deeper than 64");
    }
}
