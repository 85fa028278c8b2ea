using Dataward.Connectors.Datasets;
using Dataward.Connectors.Planning;

namespace Dataward.Tests.Connectors;

/// <summary>The traversal plan, without a database: order, inputs, cycles, composite keys, unreachable collections.</summary>
public sealed class TraversalPlannerTests
{
    private static Dataset Parse(string yaml) => FidesDatasetFile.Parse(yaml).Value!.Single();

    [Fact]
    public void The_example_is_read_from_its_identities_and_each_collection_after_all_that_feed_it()
    {
        var plan = TraversalPlanner.Plan([FidesExampleDatabase.Dataset()], ["email"]);

        plan.Steps.Select(s => s.Collection.Collection).ShouldBe(
            ["customer", "employee", "report", "service_request", "visit", "login", "orders", "payment_card", "address", "order_item", "product"]);
        plan.Unreachable.ShouldBeEmpty();
        plan.Notes.ShouldBeEmpty();
        plan.Step(new CollectionKey(FidesExampleDatabase.DatasetKey, "service_request"))!.Inputs.Select(i => i.ToString()).ShouldBe([
            "alt_email = identity 'email'",
            "email = identity 'email'",
            "(employee_id) in postgres_example_test_dataset:employee.(id)",
        ]);
        plan.Step(new CollectionKey(FidesExampleDatabase.DatasetKey, "address"))!.Inputs.Select(i => i.From!.Value.Collection).ShouldBe(
            ["customer", "employee", "orders", "payment_card"]);
        plan.Step(new CollectionKey(FidesExampleDatabase.DatasetKey, "order_item"))!.Fields.ShouldBe(["order_id", "product_id", "quantity"]);
    }

    [Fact]
    public void Without_the_identity_every_collection_is_unreachable_with_its_reason()
    {
        var plan = TraversalPlanner.Plan([FidesExampleDatabase.Dataset()], ["phone_number"]);

        plan.Steps.ShouldBeEmpty();
        var customer = plan.Unreachable.Single(u => u.Collection.Collection == "customer");
        customer.MissingIdentities.ShouldBe(["email"]);
        customer.Reason.ShouldContain("no 'email' identity");
        plan.Unreachable.Single(u => u.Collection.Collection == "login").Reason
            .ShouldBe("postgres_example_test_dataset:login is not read: the only references into it come from postgres_example_test_dataset:customer, which is unreachable too.");
    }

    public const string Shop = """
        dataset:
          - fides_key: shop
            collections:
              - name: customer
                fields:
                  - {name: id, fides_meta: {primary_key: true}}
                  - {name: email, data_categories: [user.contact.email], fides_meta: {identity: email}}
                  - {name: phone, data_categories: [user.contact.phone_number], fides_meta: {identity: phone_number}}
                  - name: favourite_shop_id
                    fides_meta: {references: [{dataset: shop, field: store.id, direction: to}]}
              - name: store
                fields:
                  - {name: id, fides_meta: {primary_key: true}}
                  - name: owner_id
                    fides_meta: {references: [{dataset: shop, field: customer.id, direction: to}]}
              - name: shipment
                fields:
                  - {name: region, fides_meta: {primary_key: true}}
                  - {name: number, fides_meta: {primary_key: true}}
                  - name: customer_id
                    fides_meta: {references: [{dataset: shop, field: customer.id, direction: from}]}
              - name: parcel
                fields:
                  - {name: id, fides_meta: {primary_key: true}}
                  - name: shipment_region
                    fides_meta: {references: [{dataset: shop, field: shipment.region, direction: from}]}
                  - name: shipment_number
                    fides_meta: {references: [{dataset: shop, field: shipment.number, direction: from}]}
              - name: note
                fields:
                  - {name: id, fides_meta: {primary_key: true}}
                  - name: customer_email
                    fides_meta: {references: [{dataset: shop, field: customer.email}]}
              - name: audit
                fields:
                  - name: actor_email
                    fides_meta: {references: [{dataset: shop, field: customer.email, direction: to}]}
              - name: lead
                fields:
                  - {name: id, fides_meta: {primary_key: true}}
                  - {name: phone, fides_meta: {identity: phone_number}}
        """;

    [Fact]
    public void A_cycle_reads_each_collection_once_and_says_which_reference_it_does_not_follow()
    {
        var plan = TraversalPlanner.Plan([Parse(Shop)], ["email"]);

        var order = plan.Steps.Select(s => s.Collection.Collection).ToList();
        order.IndexOf("customer").ShouldBeLessThan(order.IndexOf("store"));
        order.Count(c => c == "customer").ShouldBe(1);
        plan.Notes.ShouldHaveSingleItem().Kind.ShouldBe(PlanNoteKind.Cycle);
        plan.Notes[0].Message.ShouldStartWith("shop.store.owner_id -> shop.customer.id is not followed");
        plan.Step(new CollectionKey("shop", "customer"))!.Inputs.ShouldHaveSingleItem().Identity.ShouldBe("email");
    }

    [Fact]
    public void References_covering_a_composite_key_match_together_and_undirected_ones_flow_from_the_side_met_first()
    {
        var plan = TraversalPlanner.Plan([Parse(Shop)], ["email"]);

        var parcel = plan.Step(new CollectionKey("shop", "parcel"))!.Inputs.ShouldHaveSingleItem();
        parcel.Fields.ShouldBe(["shipment_region", "shipment_number"]);
        parcel.FromFields.ShouldBe(["region", "number"]);
        parcel.From.ShouldBe(new CollectionKey("shop", "shipment"));
        plan.Step(new CollectionKey("shop", "note"))!.Inputs.ShouldHaveSingleItem().ToString().ShouldBe("(customer_email) in shop:customer.(email)");
    }

    [Fact]
    public void A_collection_whose_references_only_lead_out_is_unreachable_and_says_so()
    {
        var plan = TraversalPlanner.Plan([Parse(Shop)], ["email"]);

        plan.Unreachable.Select(u => u.Collection.Collection).ShouldBe(["audit", "lead"], ignoreOrder: true);
        plan.Unreachable.Single(u => u.Collection.Collection == "audit").Reason.ShouldContain("its references only carry values out of it (shop.audit.actor_email -> shop.customer.email)");
        plan.Unreachable.Single(u => u.Collection.Collection == "lead").MissingIdentities.ShouldBe(["phone_number"]);
    }

    [Fact]
    public void Several_identities_each_start_from_their_own_fields()
    {
        var plan = TraversalPlanner.Plan([Parse(Shop)], ["email", "phone_number"]);

        plan.Step(new CollectionKey("shop", "customer"))!.Inputs.Select(i => i.ToString()).ShouldBe(["email = identity 'email'", "phone = identity 'phone_number'"]);
        plan.Step(new CollectionKey("shop", "lead")).ShouldNotBeNull();
        plan.Unreachable.Select(u => u.Collection.Collection).ShouldBe(["audit"]);
    }

    [Fact]
    public void After_orders_collections_and_unknown_references_are_noted_not_followed()
    {
        var plan = TraversalPlanner.Plan([Parse("""
            dataset:
              - fides_key: crm
                collections:
                  - name: a
                    fides_meta: {after: [crm.b]}
                    fields:
                      - {name: email, fides_meta: {identity: email}}
                  - name: b
                    fields:
                      - {name: email, fides_meta: {identity: email}}
                      - name: x
                        fides_meta: {references: [{dataset: elsewhere, field: t.id, direction: to}]}
            """)], ["email"]);

        plan.Steps.Select(s => s.Collection.Collection).ShouldBe(["b", "a"]);
        plan.Notes.ShouldHaveSingleItem().Kind.ShouldBe(PlanNoteKind.UnknownReference);
    }
}
