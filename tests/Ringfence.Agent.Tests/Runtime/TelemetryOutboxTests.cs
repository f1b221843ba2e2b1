using Ringfence.Agent.Runtime;
using Ringfence.Protocol;

namespace Ringfence.Agent.Tests.Runtime;

public sealed class TelemetryOutboxTests
{
    private static readonly DateTimeOffset Now = new(2024, 7, 19, 4, 9, 0, TimeSpan.Zero);

    [Fact]
    public void Next_NotAcknowledged_ReturnsSameBatchWithSameKey()
    {
        var outbox = new TelemetryOutbox(100);
        outbox.Add(new TelemetryEvent(TelemetryKind.Heartbeat, Now));
        var first = outbox.Next("h1", 10)!;
        outbox.Add(new TelemetryEvent(TelemetryKind.Crash, Now));

        var retry = outbox.Next("h1", 10)!;

        retry.ShouldBeSameAs(first);
        retry.IdempotencyKey.ShouldBe("h1-1");
        retry.Events.Count.ShouldBe(1);
    }

    [Fact]
    public void Next_AfterAcknowledge_CutsNewBatchWithNewKey()
    {
        var outbox = new TelemetryOutbox(100);
        outbox.Add(new TelemetryEvent(TelemetryKind.Heartbeat, Now));
        outbox.Next("h1", 10);
        outbox.Acknowledge();
        outbox.Add(new TelemetryEvent(TelemetryKind.Revert, Now));

        var next = outbox.Next("h1", 10)!;

        next.IdempotencyKey.ShouldBe("h1-2");
        next.Events.Single().Kind.ShouldBe(TelemetryKind.Revert);
    }

    [Fact]
    public void Add_QueueFull_DropsHeartbeatsBeforeCrashReports()
    {
        var outbox = new TelemetryOutbox(10);
        outbox.Add(new TelemetryEvent(TelemetryKind.Crash, Now));
        for (var i = 0; i < 30; i++)
            outbox.Add(new TelemetryEvent(TelemetryKind.Heartbeat, Now.AddMinutes(i)));

        outbox.Queued.ShouldBe(10);
        outbox.QueuedEvents.Count(e => e.Kind == TelemetryKind.Crash).ShouldBe(1);
        outbox.Dropped.ShouldBe(21);
    }

    [Fact]
    public void Restore_InFlightBatch_KeepsItsKey()
    {
        var outbox = new TelemetryOutbox(100);
        outbox.Restore(7, new PendingBatch("h1-7", [new TelemetryEvent(TelemetryKind.Quarantine, Now)]), []);

        outbox.Next("h1", 10)!.IdempotencyKey.ShouldBe("h1-7");
        outbox.Acknowledge();
        outbox.Add(new TelemetryEvent(TelemetryKind.Heartbeat, Now));
        outbox.Next("h1", 10)!.IdempotencyKey.ShouldBe("h1-8");
    }

    [Fact]
    public void Rebase_ServerHoldsHigherSequence_SameEventsGetAKeyPastIt()
    {
        var outbox = new TelemetryOutbox(100);
        outbox.Restore(2, null, []); // restored from a snapshot taken at sequence 2
        outbox.Add(new TelemetryEvent(TelemetryKind.Revert, Now, "C-1", 18));
        var reused = outbox.Next("h1", 10)!;
        reused.IdempotencyKey.ShouldBe("h1-3");

        var rebased = outbox.Rebase("h1", serverHighest: 9)!;

        rebased.IdempotencyKey.ShouldBe("h1-10");
        rebased.Sequence.ShouldBe(10);
        rebased.Events.ShouldBe(reused.Events);
        outbox.Next("h1", 10).ShouldBeSameAs(rebased);
        outbox.Acknowledge();
        outbox.Add(new TelemetryEvent(TelemetryKind.Heartbeat, Now));
        outbox.Next("h1", 10)!.IdempotencyKey.ShouldBe("h1-11");
    }
}
