#:project ../../src/Ringfence.Server/Ringfence.Server.csproj
#:property Configuration=Release
// The in-process cost of placing one check-in (engine host facts, one TargetResolver.Resolve per channel with the
// rollout's bucket, the cached answer) over 100,000 host ids, three rounds; see docs/benchmarks.md (server-load).
using System.Diagnostics;
using Ringfence.Protocol;
using Ringfence.Rollouts.Fleet;
using Ringfence.Rollouts.Reconcile;
using Ringfence.Rollouts.Resolution;
using Ringfence.Server.Rollouts;
using Ringfence.Server.Services;

var now = new DateTimeOffset(2024, 7, 19, 4, 0, 0, TimeSpan.Zero);
var v1 = new ContentTarget("291", 1, new string('a', 64), "a", 10, ["7.11.18110"]);
var v2 = new ContentTarget("291", 2, new string('b', 64), "b", 10, ["7.11.18110"]);
RolloutSpec Spec(string id, long v) => EngineInputs.Create(id, "291", v, false, null, ["7.11.18110"], []).Spec;
var entries = new[] {
    new RolloutEntry(Spec("r0", 1), new RolloutState("r0", RolloutPhase.Completed, 5, 9, CompletedAt: now.AddDays(-1))),
    new RolloutEntry(Spec("r1", 2), new RolloutState("r1", RolloutPhase.Deploying, 3, 4, RingStartedAt: now)) };
var resolver = TargetResolver.Create(new ResolverSnapshot(entries, EngineInputs.Policies));
var snap = new TargetSnapshot([new ChannelPlacement("291", resolver, [new PlacedRollout(null, v1), new PlacedRollout("r1", v2)], new Dictionary<long, ContentTarget> { [1] = v1, [2] = v2 })], [], 1, 1, false);
var cfg = new HostConfiguration("7.11.18110", "windows", "22631");
var ids = Enumerable.Range(0, 100_000).Select(i => "h_" + i.ToString("x12")).ToArray();
ChannelState[] running = [new ChannelState("291", 1, v1.Sha256, null)];
for (var round = 0; round < 3; round++)
{
    var sw = Stopwatch.StartNew();
    var n = 0;
    foreach (var id in ids)
    {
        var facts = EngineInputs.Facts(id, cfg, HostTags.None);
        n += snap.Answer(facts, cfg, running, now, 60).Json.Length;
    }
    Console.WriteLine($"round {round}: {sw.Elapsed.TotalMilliseconds * 1000 / ids.Length:0.00} µs per check-in answer (facts + resolve + cached answer), {n}");
}
