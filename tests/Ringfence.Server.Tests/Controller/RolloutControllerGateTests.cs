using Microsoft.Extensions.DependencyInjection;
using Ringfence.Protocol;
using Ringfence.Server.Tests.Endpoints;
using Ringfence.Server.Tests.Fixtures;

namespace Ringfence.Server.Tests.Controller;

/// <summary>
/// Every crash counts: the real server's gate runs its sequential tests on crashes counted from Crash events and from
/// check-in reports (once each), and on host-hours from heartbeats, for exposed and control hosts. Wire agents (the
/// protocol fixture) on a manual clock, one simulated hour per step.
/// </summary>
public sealed class RolloutControllerGateTests
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(60);
    private static readonly RingSpec[] Plan = [new("canary", 50, 360), new("all", 100, 0)];

    private sealed record Fleet(ServerHarness H, RolloutDto Rollout, ChannelFileDto File, List<TestAgent> Exposed, List<TestAgent> Control);

    /// <summary>What one host does in one hour: crashes its check-in reports, and Crash events it sends.</summary>
    private sealed record HostHour(int Reported, int Events, bool Breadcrumb = false);

    private static async Task<Fleet> StartAsync(string provider, int perGroup = 20)
    {
        var h = await ServerHarness.StartAsync(provider);
        var agents = new List<TestAgent> { await h.EnrollAsync() };
        var file = await h.SendOkAsync<ChannelFileDto>(HttpMethod.Post, Routes.ChannelFiles, ServerHarness.AdminKey,
            new PublishChannelFileRequest("""{"channel":"291","version":1,"note":"ok"}"""));
        var rollout = await h.SendOkAsync<RolloutDto>(HttpMethod.Post, Routes.Rollouts, ServerHarness.AdminKey, new CreateRolloutRequest("291", 1, Rings: Plan));
        while (agents.Count(a => RolloutFlowTests.RingOf(a.HostId, rollout.Id, Plan) == 0) < perGroup || agents.Count(a => RolloutFlowTests.RingOf(a.HostId, rollout.Id, Plan) == 1) < perGroup)
            agents.Add(await h.EnrollAsync());
        await h.SendOkAsync<RolloutDto>(HttpMethod.Post, Routes.Rollout(rollout.Id) + "/approve", ServerHarness.AdminKey, new RolloutActionRequest());
        foreach (var a in agents)
            await a.CheckInAndApplyAsync();
        var exposed = agents.Where(a => a.Channels.ContainsKey("291")).ToList();
        exposed.Select(a => a.HostId).Order().ShouldBe(agents.Where(a => RolloutFlowTests.RingOf(a.HostId, rollout.Id, Plan) == 0).Select(a => a.HostId).Order());
        var fleet = new Fleet(h, rollout, file, exposed, [.. agents.Except(exposed)]);
        await HourAsync(fleet, (_, _) => new HostHour(0, 0));
        (await StatusAsync(fleet)).ShouldBe(RolloutStatus.Progressing);
        return fleet;
    }

    /// <summary>One hour: every host heartbeats once per check-in interval, crashes as told, checks in; then the controller runs.</summary>
    private static async Task HourAsync(Fleet f, Func<TestAgent, bool, HostHour> act)
    {
        f.H.Time.Advance(TimeSpan.FromHours(1));
        foreach (var (agent, exposed) in f.Exposed.Select(a => (a, true)).Concat(f.Control.Select(a => (a, false))))
        {
            var hour = act(agent, exposed);
            await agent.SendHeartbeatsAsync(60, Interval);
            if (hour.Events > 0)
            {
                var channel = agent.Channels.GetValueOrDefault("291");
                var events = Enumerable.Range(0, hour.Events).Select(i => new TelemetryEvent(TelemetryKind.Crash, f.H.Time.GetUtcNow().AddSeconds(-i),
                    channel?.Channel, channel?.ActiveVersion, channel?.ActiveHash, hour.Breadcrumb ? "ipc-42" : null, Detail: "crash outside the interpreter")).ToArray();
                await agent.SendTelemetryAsync("crash-" + Guid.NewGuid().ToString("N"), events);
            }
            await agent.CheckInAsync(hour.Reported);
        }
        // Reported crashes wait two check-in intervals for the host's own events before they count.
        f.H.Time.Advance(TimeSpan.FromMinutes(3));
        await f.H.Server.Services.GetRequiredService<Ringfence.Server.Services.ControlPlane>().FlushLastSeenAsync(CancellationToken.None);
        await f.H.RunControllerAsync();
    }

    private static async Task<RolloutStatus> StatusAsync(Fleet f) =>
        (await f.H.SendOkAsync<RolloutDto>(HttpMethod.Get, Routes.Rollout(f.Rollout.Id), ServerHarness.AdminKey, null)).Status;

    private static async Task<IReadOnlyList<DecisionDto>> DecisionsAsync(Fleet f) =>
        await f.H.SendOkAsync<IReadOnlyList<DecisionDto>>(HttpMethod.Get, Routes.Rollout(f.Rollout.Id) + "/decisions", ServerHarness.AdminKey, null);

    [Theory]
    [MemberData(nameof(TestStorage.Providers), MemberType = typeof(TestStorage))]
    public async Task Gate_CrashDelayedByHoursOutsideTheInterpreter_HaltsBeforeTheBakeEnds(string provider)
    {
        var f = await StartAsync(provider);
        await using var _ = f.H;
        // Three healthy hours, then every exposed host crashes once an hour, with no breadcrumb: half send a Crash event
        // and report it at check-in (one crash, two sources), half only report it at check-in.
        for (var hour = 1; hour <= 3; hour++)
            await HourAsync(f, (_, _) => new HostHour(0, 0));
        var happened = 0;
        for (var hour = 4; hour <= 6 && await StatusAsync(f) == RolloutStatus.Progressing; hour++)
        {
            await HourAsync(f, (a, exposed) => exposed ? new HostHour(1, f.Exposed.IndexOf(a) % 2) : new HostHour(0, 0));
            happened += f.Exposed.Count;
        }

        (await StatusAsync(f)).ShouldBe(RolloutStatus.RolledBack);
        var halt = (await DecisionsAsync(f)).Single(d => d.Kind == "halt");
        halt.Reason.ShouldContain("crashes: log-likelihood ratio");
        var evidence = halt.Evidence!.Value;
        evidence.GetProperty("attributedEvents").GetInt64().ShouldBe(0, "no breadcrumb: outside the interpreter");
        evidence.GetProperty("exposedCrashes").GetInt64().ShouldBe(happened, "every crash counted, and once although half were reported twice");
        evidence.GetProperty("controlCrashes").GetInt64().ShouldBe(0);
        evidence.GetProperty("bakedMinutes").GetDouble().ShouldBeLessThan(360);
    }

    [Theory]
    [MemberData(nameof(TestStorage.Providers), MemberType = typeof(TestStorage))]
    public async Task Gate_CrashRateTenTimesTheControls_Halts(string provider)
    {
        var f = await StartAsync(provider);
        await using var _ = f.H;
        // Background crashes everywhere (three control hosts an hour, reported at check-in); exposed hosts crash ten times
        // as often (thirty an hour: every host once by a Crash event, ten of them once more, reported only).
        await HourAsync(f, (a, exposed) => exposed
            ? new HostHour(f.Exposed.IndexOf(a) < 10 ? 2 : 1, 1)
            : new HostHour(f.Control.IndexOf(a) < 3 ? 1 : 0, 0));

        (await StatusAsync(f)).ShouldBe(RolloutStatus.RolledBack);
        var halt = (await DecisionsAsync(f)).Single(d => d.Kind == "halt");
        halt.Reason.ShouldContain("crashes: log-likelihood ratio");
        var evidence = halt.Evidence!.Value;
        evidence.GetProperty("exposedCrashes").GetInt64().ShouldBe(f.Exposed.Count + 10);
        evidence.GetProperty("controlCrashes").GetInt64().ShouldBe(3);
        evidence.GetProperty("controlHostHours").GetDouble().ShouldBe(f.Control.Count * 2.0, 1e-9, "two hours of heartbeats from each control host");
    }

    [Theory]
    [MemberData(nameof(TestStorage.Providers), MemberType = typeof(TestStorage))]
    public async Task Gate_HealthyContentWithBackgroundCrashes_PassesWithoutHalting(string provider)
    {
        var f = await StartAsync(provider);
        await using var _ = f.H;
        // The same background rate on both sides: two exposed and two control hosts crash every hour of the six-hour bake.
        for (var hour = 1; hour <= 7 && await StatusAsync(f) == RolloutStatus.Progressing && (await DecisionsAsync(f)).All(d => d.Kind != "promote"); hour++)
            await HourAsync(f, (a, exposed) => (exposed ? f.Exposed.IndexOf(a) : f.Control.IndexOf(a)) < 2 ? new HostHour(1, exposed ? 1 : 0) : new HostHour(0, 0));

        var decisions = await DecisionsAsync(f);
        decisions.ShouldNotContain(d => d.Kind == "halt" || d.Kind == "rollback");
        var promote = decisions.Single(d => d.Kind == "promote");
        promote.Ring.ShouldBe(0);
        var evidence = promote.Evidence!.Value;
        evidence.GetProperty("exposedCrashes").GetInt64().ShouldBeGreaterThanOrEqualTo(10);
        evidence.GetProperty("exposedCrashes").GetInt64().ShouldBe(evidence.GetProperty("controlCrashes").GetInt64());
        (await StatusAsync(f)).ShouldBe(RolloutStatus.Progressing);
    }
}
