using System.Text.Json.Nodes;
using Dataward.Domain.Audit;

namespace Dataward.Tests.Audit;

/// <summary>The chain's rules as pure code.</summary>
public sealed class AuditChainTests
{
    private static readonly DateTimeOffset Start = new(2026, 11, 25, 9, 0, 0, TimeSpan.Zero);

    private static List<AuditEntry> Chain(int count)
    {
        var entries = new List<AuditEntry>();
        for (var i = 0; i < count; i++)
        {
            entries.Add(AuditEntry.Chain(entries.LastOrDefault(), Start.AddSeconds(i), "system", "test.event", $"thing:{i}",
                new JsonObject { ["b"] = i, ["a"] = "x" }));
        }
        return entries;
    }

    [Fact]
    public void Details_are_stored_canonically_so_equal_documents_hash_equally()
    {
        var one = AuditEntry.Chain(null, Start, "system", "a", "t", new JsonObject { ["z"] = 1, ["a"] = new JsonObject { ["y"] = 2, ["b"] = 3 } });
        var two = AuditEntry.Chain(null, Start, "system", "a", "t", new JsonObject { ["a"] = new JsonObject { ["b"] = 3, ["y"] = 2 }, ["z"] = 1 });
        one.Details.ShouldBe("{\"a\":{\"b\":3,\"y\":2},\"z\":1}");
        one.Hash.ShouldBe(two.Hash);
    }

    [Fact]
    public void The_hash_covers_every_field_and_the_previous_hash()
    {
        var entry = Chain(1)[0];
        entry.PreviousHash.ShouldBe(AuditEntry.GenesisHash);
        entry.Hash.Length.ShouldBe(64);
        var baseline = AuditEntry.ComputeHash(1, entry.Time, entry.Actor, entry.Action, entry.Target, entry.Details, entry.PreviousHash);
        baseline.ShouldBe(entry.Hash);
        AuditEntry.ComputeHash(2, entry.Time, entry.Actor, entry.Action, entry.Target, entry.Details, entry.PreviousHash).ShouldNotBe(baseline);
        AuditEntry.ComputeHash(1, entry.Time.AddTicks(10), entry.Actor, entry.Action, entry.Target, entry.Details, entry.PreviousHash).ShouldNotBe(baseline);
        AuditEntry.ComputeHash(1, entry.Time, "other", entry.Action, entry.Target, entry.Details, entry.PreviousHash).ShouldNotBe(baseline);
        AuditEntry.ComputeHash(1, entry.Time, entry.Actor, "other", entry.Target, entry.Details, entry.PreviousHash).ShouldNotBe(baseline);
        AuditEntry.ComputeHash(1, entry.Time, entry.Actor, entry.Action, "other", entry.Details, entry.PreviousHash).ShouldNotBe(baseline);
        AuditEntry.ComputeHash(1, entry.Time, entry.Actor, entry.Action, entry.Target, "{}", entry.PreviousHash).ShouldNotBe(baseline);
        AuditEntry.ComputeHash(1, entry.Time, entry.Actor, entry.Action, entry.Target, entry.Details, new string('1', 64)).ShouldNotBe(baseline);
    }

    [Fact]
    public void Times_are_kept_to_the_microsecond_that_both_databases_store()
    {
        var entry = AuditEntry.Chain(null, Start.AddTicks(1234567), "system", "a", "t");
        (entry.Time.Ticks % 10).ShouldBe(0);
        AuditEntry.FormatInstant(entry.Time).ShouldBe("2026-11-25T09:00:00.123456Z");
    }

    [Fact]
    public void An_unbroken_chain_verifies_with_its_length()
    {
        var result = AuditVerification.Verify(Chain(10));
        result.ShouldBe(new AuditVerification(true, 10, null, null));
        AuditVerification.Verify([]).ShouldBe(new AuditVerification(true, 0, null, null));
    }

    [Fact]
    public void A_missing_entry_breaks_the_chain_where_it_was()
    {
        var entries = Chain(5);
        entries.RemoveAt(2);
        var result = AuditVerification.Verify(entries);
        result.Intact.ShouldBeFalse();
        result.FirstBrokenSequence.ShouldBe(3);
        result.Count.ShouldBe(2);
    }

    [Fact]
    public void Missing_entries_at_the_start_are_found()
    {
        var result = AuditVerification.Verify(Chain(5).Skip(1));
        result.FirstBrokenSequence.ShouldBe(1);
    }
}
