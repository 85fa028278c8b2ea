using System.Text.Json;
using Dataward.Connectors.Datasets;
using Dataward.Connectors.Execution;
using Dataward.Connectors.Masking;
using Dataward.Connectors.Planning;
using Dataward.Connectors.Stores;
using Dataward.Platform.Storage;

namespace Dataward.Tests.Connectors;

/// <summary>Erasure mechanics (DSR016): resuming after a crash at any point applies nothing twice and misses
/// nothing; row deletion only where nothing references the rows; composite keys match together.</summary>
public sealed class EngineErasureTests
{
    private static readonly Dictionary<string, string> Email = new() { ["email"] = "customer-1@example.com" };

    // Random values make a second application visible: the same row would get a different value.
    private static readonly ErasurePolicy RandomPolicy = new([
        new ErasureRule("user.financial", MaskingSpec.Of(MaskingStrategy.RandomStringRewrite)),
        new ErasureRule("user.contact.email", MaskingSpec.Of(MaskingStrategy.RandomStringRewrite)),
        new ErasureRule("user.name", MaskingSpec.Of(MaskingStrategy.RandomStringRewrite)),
        new ErasureRule("user", MaskingSpec.Of(MaskingStrategy.Auto)),
    ], []);

    public static TheoryData<StorageProvider, bool> CrashPoints => new()
    {
        { StorageProvider.Sqlite, true }, { StorageProvider.Sqlite, false }, { StorageProvider.Postgres, true }, { StorageProvider.Postgres, false },
    };

    [Theory]
    [MemberData(nameof(CrashPoints))]
    public async Task An_erasure_killed_around_a_commit_resumes_with_nothing_missed_and_nothing_applied_twice(StorageProvider provider, bool afterCommit)
    {
        await using var db = await FidesExampleDatabase.CreateAsync(provider);
        var dataset = FidesExampleDatabase.Dataset();
        var plan = TraversalPlanner.Plan([dataset], ["email"]);
        var stores = new Dictionary<string, IDataStore> { [FidesExampleDatabase.DatasetKey] = db.Store };
        var runner = new ErasureRunner([dataset], stores);
        var secrets = MaskingSecrets.Random();
        var original = await db.DumpAsync();

        // Killed either after payment_card's transaction committed but before its completion was recorded, or
        // after its intent was recorded but before the commit.
        var crashing = new MemoryCheckpoint(p => afterCommit
            ? p.Completed.Any(c => c.Collection.EndsWith(":payment_card", StringComparison.Ordinal))
            : p.Pending?.Collection.EndsWith(":payment_card", StringComparison.Ordinal) == true);
        await Should.ThrowAsync<SimulatedCrashException>(() => runner.RunAsync(plan, Email, RandomPolicy, secrets, crashing));
        var atCrash = await db.DumpAsync();
        var cardName = "payment_card[pay_aaa-aaa].name";
        (atCrash[cardName] != original[cardName]).ShouldBe(afterCommit);
        atCrash["customer[1].name"].ShouldBe("John Customer");

        var resumed = new MemoryCheckpoint();
        var result = await runner.RunAsync(plan, Email, RandomPolicy, secrets, resumed, crashing.Last);
        var final = await db.DumpAsync();

        if (afterCommit)
        {
            final[cardName].ShouldBe(atCrash[cardName]);
        }
        final[cardName].ShouldNotBe(original[cardName]);
        final[cardName].Length.ShouldBe(30);
        FidesExampleDatabase.Changes(atCrash, final).ShouldNotContain(c => c.StartsWith("address[", StringComparison.Ordinal));
        final["customer[1].name"].ShouldNotBe("John Customer");
        final["customer[1].email"].ShouldNotBe("customer-1@example.com");
        final["service_request[ser_aaa-aaa].alt_email"].ShouldNotBe("customer-1-alt@example.com");
        result.Proofs.Select(p => p.Collection).ShouldBe(result.Proofs.Select(p => p.Collection).Distinct());
        result.Proofs.Single(p => p.Collection.EndsWith(":payment_card", StringComparison.Ordinal)).Rows.ShouldBe(1);

        // Running a completed erasure again changes nothing.
        await runner.RunAsync(plan, Email, RandomPolicy, secrets, new MemoryCheckpoint(), resumed.Last);
        FidesExampleDatabase.Changes(final, await db.DumpAsync()).ShouldBeEmpty();
    }

    // Masks with random values (a second application would show) and deletes logins (the delete path has its seams too).
    private static readonly ErasurePolicy RandomAndDeletePolicy = new([.. RandomPolicy.Rules, new ErasureRule("user.sensor", MaskingSpec.Of(MaskingStrategy.DeleteRow))], []);

    [Theory]
    [MemberData(nameof(EngineFidesParityTests.Providers), MemberType = typeof(EngineFidesParityTests))]
    public async Task DSR016_an_erasure_killed_at_any_checkpoint_seam_resumes_with_nothing_missed_and_nothing_applied_twice(StorageProvider provider)
    {
        var dataset = FidesExampleDatabase.Dataset();
        var plan = TraversalPlanner.Plan([dataset], ["email"]);
        var secrets = MaskingSecrets.Random();

        // Uninterrupted: which cells change, the proofs, and how often progress is saved: before each collection's change
        // (its pending record carrying the completions before it) and once at the end, never a save of its own for a
        // completion (each save is a commit in the host's database).
        Dictionary<string, string> original;
        HashSet<string> expected;
        IReadOnlyList<CollectionProof> expectedProofs;
        int saves;
        await using (var db = await FidesExampleDatabase.CreateAsync(provider))
        {
            original = await db.DumpAsync();
            var counting = new SeamCheckpoint(-1, false);
            var result = await new ErasureRunner([dataset], new Dictionary<string, IDataStore> { [FidesExampleDatabase.DatasetKey] = db.Store })
                .RunAsync(plan, Email, RandomAndDeletePolicy, secrets, counting);
            expected = ChangedCells(original, await db.DumpAsync());
            expectedProofs = result.Proofs;
            saves = counting.Saves;
        }
        expectedProofs.Where(p => p.Action == "deleted").ShouldNotBeEmpty();
        // The proof's fingerprints: HMAC-SHA-256 under the fingerprint key of the key's canonical text, never the key.
        expectedProofs.Single(p => p.Collection.EndsWith(":customer", StringComparison.Ordinal)).KeyFingerprints.ShouldBe([
            Convert.ToHexStringLower(System.Security.Cryptography.HMACSHA256.HashData(secrets.FingerprintKey,
                System.Text.Encoding.UTF8.GetBytes("key\n" + StoreValues.Canonical([1L]))))]);
        var changedCollections = expectedProofs.Count(p => p.Rows > 0);
        changedCollections.ShouldBeGreaterThan(3);
        saves.ShouldBe(changedCollections + 1);

        // Killed at every seam: just before save k is stored (everything since save k-1 applied, not recorded) and just
        // after it (recorded, the next change not applied); a kill inside a store's transaction rolls it back, which is
        // the second case. The resumed run starts from the last save stored, or from nothing.
        for (var k = 0; k < saves; k++)
        {
            foreach (var afterStoring in new[] { false, true })
            {
                var seam = $"killed {(afterStoring ? "after" : "before")} save {k + 1} of {saves}";
                await using var db = await FidesExampleDatabase.CreateAsync(provider);
                var runner = new ErasureRunner([dataset], new Dictionary<string, IDataStore> { [FidesExampleDatabase.DatasetKey] = db.Store });
                var crashing = new SeamCheckpoint(k, afterStoring);
                await Should.ThrowAsync<SimulatedCrashException>(() => runner.RunAsync(plan, Email, RandomAndDeletePolicy, secrets, crashing));
                var atCrash = await db.DumpAsync();

                var result = await runner.RunAsync(plan, Email, RandomAndDeletePolicy, secrets, new SeamCheckpoint(-1, false), crashing.Last);
                var final = await db.DumpAsync();

                ChangedCells(original, final).ShouldBe(expected, ignoreOrder: true, seam + ": the same cells change as without the kill");
                foreach (var cell in ChangedCells(original, atCrash))
                {
                    final.GetValueOrDefault(cell).ShouldBe(atCrash.GetValueOrDefault(cell), $"{seam}: {cell} was changed before the kill and not again");
                }
                result.Proofs.Select(p => (p.Collection, p.Action, p.Rows, string.Join(",", p.KeyFingerprints))).ShouldBe(
                    expectedProofs.Select(p => (p.Collection, p.Action, p.Rows, string.Join(",", p.KeyFingerprints))), seam);
            }
        }
    }

    private static HashSet<string> ChangedCells(Dictionary<string, string> before, Dictionary<string, string> after) =>
        [.. before.Keys.Union(after.Keys).Where(k => before.GetValueOrDefault(k) != after.GetValueOrDefault(k))];

    /// <summary>Stores progress as a host would (a JSON round trip) and simulates a kill at save number
    /// <c>crashAt</c> (from 0), before or after storing it.</summary>
    private sealed class SeamCheckpoint(int crashAt, bool afterStoring) : IErasureCheckpoint
    {
        public int Saves { get; private set; }

        public ErasureProgress? Last { get; private set; }

        public Task SaveAsync(ErasureProgress progress, CancellationToken cancellationToken)
        {
            var crash = Saves++ == crashAt;
            if (crash && !afterStoring)
            {
                throw new SimulatedCrashException();
            }
            Last = JsonSerializer.Deserialize<ErasureProgress>(JsonSerializer.Serialize(progress))!;
            return crash ? throw new SimulatedCrashException() : Task.CompletedTask;
        }
    }

    [Theory]
    [MemberData(nameof(EngineFidesParityTests.Providers), MemberType = typeof(EngineFidesParityTests))]
    public async Task Rows_are_deleted_only_where_no_reference_points_at_them(StorageProvider provider)
    {
        await using var db = await FidesExampleDatabase.CreateAsync(provider);
        var dataset = FidesExampleDatabase.Dataset();
        var plan = TraversalPlanner.Plan([dataset], ["email"]);
        var stores = new Dictionary<string, IDataStore> { [FidesExampleDatabase.DatasetKey] = db.Store };
        var before = await db.DumpAsync();
        var policy = new ErasurePolicy([
            new ErasureRule("user.sensor", MaskingSpec.Of(MaskingStrategy.DeleteRow)),
            new ErasureRule("user.contact.address", MaskingSpec.Of(MaskingStrategy.DeleteRow)),
        ], []);

        var result = await new ErasureRunner([dataset], stores).RunAsync(plan, Email, policy, MaskingSecrets.Random(), new MemoryCheckpoint());

        var address = result.Preview.For(new CollectionKey(FidesExampleDatabase.DatasetKey, "address"))!;
        address.Action.ShouldBe(ErasureAction.Mask);
        address.Note.ShouldBe($"Rows are not deleted: {string.Join(", ", new[] { "customer", "employee", "orders", "payment_card" }.Select(c => $"{FidesExampleDatabase.DatasetKey}:{c}"))} reference them; their fields are masked instead.");
        var changes = FidesExampleDatabase.Changes(before, await db.DumpAsync());
        changes.Where(c => c.StartsWith("login[", StringComparison.Ordinal)).ShouldAllBe(c => c.EndsWith("-> (absent)", StringComparison.Ordinal));
        changes.Select(c => c[..c.IndexOf(']', StringComparison.Ordinal)]).Where(c => c.StartsWith("login", StringComparison.Ordinal)).Distinct()
            .ShouldBe([.. Enumerable.Range(1, 6).Select(i => $"login[{i}")]);
        changes.ShouldContain("address[1].city: Exampletown -> null");
        changes.ShouldNotContain(c => c.StartsWith("address[1].id", StringComparison.Ordinal));
        result.Proofs.Single(p => p.Collection.EndsWith(":login", StringComparison.Ordinal)).Action.ShouldBe("deleted");
    }

    [Theory]
    [MemberData(nameof(EngineFidesParityTests.Providers), MemberType = typeof(EngineFidesParityTests))]
    public async Task A_composite_key_matches_its_columns_together_and_a_hashed_email_is_the_same_in_every_table(StorageProvider provider)
    {
        const string schema = """
            CREATE TABLE customer (id INTEGER PRIMARY KEY, email VARCHAR(100), phone VARCHAR(40), favourite_shop_id INTEGER);
            CREATE TABLE store (id INTEGER PRIMARY KEY, owner_id INTEGER);
            CREATE TABLE shipment (region VARCHAR(10), number INTEGER, customer_id INTEGER, PRIMARY KEY (region, number));
            CREATE TABLE parcel (id INTEGER PRIMARY KEY, shipment_region VARCHAR(10), shipment_number INTEGER);
            CREATE TABLE note (id INTEGER PRIMARY KEY, customer_email VARCHAR(100));
            CREATE TABLE audit (actor_email VARCHAR(100));
            CREATE TABLE lead (id INTEGER PRIMARY KEY, phone VARCHAR(40));
            INSERT INTO customer VALUES (1, 'ann@example.com', '+441', 1), (2, 'bob@example.com', '+442', 1);
            INSERT INTO store VALUES (1, 2);
            INSERT INTO shipment VALUES ('EU', 1, 1), ('US', 2, 1), ('EU', 2, 2), ('US', 1, 2);
            INSERT INTO parcel VALUES (1, 'EU', 1), (2, 'US', 2), (3, 'EU', 2), (4, 'US', 1);
            INSERT INTO note VALUES (1, 'ann@example.com'), (2, 'bob@example.com');
            """;
        await using var db = await FidesExampleDatabase.CreateAsync(provider, schema);
        var shop = FidesDatasetFile.Parse(TraversalPlannerTests.Shop).Value!.Single();
        var plan = TraversalPlanner.Plan([shop], ["email"]);
        var stores = new Dictionary<string, IDataStore> { ["shop"] = db.Store };
        var identity = new Dictionary<string, string> { ["email"] = "ann@example.com" };

        var access = await new AccessRunner(stores).RunAsync(plan, identity);

        // Matching each column on its own (as Fides ORs them) would return all four parcels.
        access.Collections["shop:parcel"].Select(r => r["id"]).ShouldBe([1L, 2L], ignoreOrder: true);
        access.Collections["shop:note"].Select(r => r["id"]).ShouldBe([1L]);

        var hash = new ErasurePolicy([new ErasureRule("user.contact.email", MaskingSpec.Of(MaskingStrategy.Hash))], []);
        var preview = await new ErasureRunner([shop], stores).PreviewAsync(plan, hash);
        // customer.email is joined to note.customer_email by a reference: neither end is rewritten.
        preview.For(new CollectionKey("shop", "customer"))!.Kept.ShouldContain(k => k.Field == "email" && k.Reason == KeptReason.Reference);
    }

    [Fact]
    public void Progress_survives_a_json_round_trip_as_a_host_would_store_it()
    {
        var progress = new ErasureProgress(
            new Dictionary<string, IReadOnlyList<IReadOnlyList<string?>>> { ["d:c"] = [["1", "x"]] },
            new PendingCollection("d:c", new Dictionary<string, string> { ["f"] = "g" }, new CollectionProof("d:c", "masked", 1, [new FieldProof("name", "null_rewrite", 1)], ["f"])),
            []);

        var back = JsonSerializer.Deserialize<ErasureProgress>(JsonSerializer.Serialize(progress))!;

        back.Targets!["d:c"][0].ShouldBe(["1", "x"]);
        back.Pending!.Proof.Fields[0].Strategy.ShouldBe("null_rewrite");

        // As the request job stores it, and as it stored it before (web defaults): a saved erasure resumes from either.
        var stored = JsonSerializer.Serialize(progress, ErasureProgressJson.Default.ErasureProgress);
        stored.ShouldBe(JsonSerializer.Serialize(progress, new JsonSerializerOptions(JsonSerializerDefaults.Web)));
        // The text a host saves, pinned: a stored erasure resumes from it whatever version saved it.
        var before = ("{'targets':{'d:c':[['1','x']]},'pending':{'collection':'d:c','rowDigests':{'f':'g'},'proof':{'collection':'d:c'," +
            "'action':'masked','rows':1,'fields':[{'field':'name','strategy':'null_rewrite','values':1}],'keyFingerprints':['f']}},'completed':[]}").Replace('\'', '"');
        stored.ShouldBe(before);
        var completed = progress with { Pending = null, Completed = [progress.Pending!.Proof] };
        for (var save = 0; save < 2; save++)
        {
            JsonSerializer.Serialize(completed, ErasureProgressJson.Default.ErasureProgress).ShouldBe(("{'targets':{'d:c':[['1','x']]},'pending':null," +
                "'completed':[{'collection':'d:c','action':'masked','rows':1,'fields':[{'field':'name','strategy':'null_rewrite','values':1}],'keyFingerprints':['f']}]}")
                .Replace('\'', '"'));
        }
        foreach (var text in new[] { stored, JsonSerializer.Serialize(progress, new JsonSerializerOptions(JsonSerializerDefaults.Web)) })
        {
            var read = JsonSerializer.Deserialize(text, ErasureProgressJson.Default.ErasureProgress)!;
            read.Targets!["d:c"][0].ShouldBe(["1", "x"]);
            read.Pending!.RowDigests["f"].ShouldBe("g");
            read.Pending.Proof.Rows.ShouldBe(1);
            read.Pending.Proof.Fields[0].Values.ShouldBe(1);
            read.Pending.Proof.KeyFingerprints.ShouldBe(["f"]);
        }
    }
}
