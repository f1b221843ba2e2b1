using Ringfence.Protocol;
using Ringfence.Server.Services;

namespace Ringfence.Server.Tests.Services;

public sealed class TelemetryFoldingTests
{
    private static readonly DateTimeOffset Minute = new(2024, 7, 19, 4, 9, 0, TimeSpan.Zero);
    private static readonly string Hash = new('a', 64);

    private static TelemetryEvent Beat(double seconds, string? hash = null) => new(TelemetryKind.Heartbeat, Minute.AddSeconds(seconds), "291", 1, hash ?? Hash);

    [Fact]
    public void FoldHeartbeats_RunInOneMinute_OneRowWithTheCount()
    {
        var rows = ControlPlane.FoldHeartbeats([Beat(0), Beat(10), Beat(59.9)]);
        rows.ShouldHaveSingleItem().ShouldBe((0, Beat(0), 3));
    }

    [Fact]
    public void FoldHeartbeats_MinuteBoundaryOrOtherContent_StartsANewRow()
    {
        var rows = ControlPlane.FoldHeartbeats([Beat(0), Beat(59), Beat(60), Beat(61, new string('b', 64)), Beat(62, new string('b', 64))]);
        rows.Select(r => (r.Index, r.Count)).ShouldBe([(0, 2), (2, 1), (3, 2)]);
    }

    [Fact]
    public void FoldHeartbeats_CrashesAndOtherKinds_NeverFoldedAndKeepTheirPlace()
    {
        var crash = new TelemetryEvent(TelemetryKind.Crash, Minute.AddSeconds(1), "291", 1, Hash, "rule-1", BootCrash: true);
        var loaded = new TelemetryEvent(TelemetryKind.Loaded, Minute.AddSeconds(2), "291", 1, Hash);
        var rows = ControlPlane.FoldHeartbeats([Beat(0), crash, crash, Beat(1), loaded, loaded, Beat(3)]);
        rows.Select(r => (r.Index, r.Event.Kind, r.Count)).ShouldBe(
        [
            (0, TelemetryKind.Heartbeat, 1), (1, TelemetryKind.Crash, 1), (2, TelemetryKind.Crash, 1), (3, TelemetryKind.Heartbeat, 1),
            (4, TelemetryKind.Loaded, 1), (5, TelemetryKind.Loaded, 1), (6, TelemetryKind.Heartbeat, 1),
        ]);
    }

    [Fact]
    public void FoldHeartbeats_AnyBatch_CountsAddUpAndEveryOtherEventIsKeptAsIs()
    {
        var random = new Random(42);
        for (var round = 0; round < 200; round++)
        {
            var events = Enumerable.Range(0, random.Next(0, 300)).Select(i => random.Next(10) switch
            {
                0 => new TelemetryEvent(TelemetryKind.Crash, Minute.AddSeconds(i), "291", 1, Hash, "r" + i),
                1 => Beat(i, new string('b', 64)),
                2 => Beat(i) with { Detail = "3 telemetry events dropped" },
                _ => Beat(i),
            }).ToList();
            var rows = ControlPlane.FoldHeartbeats(events);
            rows.Sum(r => r.Count).ShouldBe(events.Count);
            rows.Select(r => r.Index).ShouldBe(rows.Select(r => r.Index).Order());
            foreach (var (index, e, count) in rows)
            {
                e.ShouldBe(events[index]);
                // Every event a row stands for is a heartbeat identical to the first but for the time within the minute.
                (count == 1 || e.Kind == TelemetryKind.Heartbeat).ShouldBeTrue();
                for (var k = index; k < index + count; k++)
                {
                    (events[k] with { At = e.At }).ShouldBe(e);
                    (events[k].At.ToUnixTimeMilliseconds() / 60_000).ShouldBe(e.At.ToUnixTimeMilliseconds() / 60_000);
                }
            }
        }
    }
}
