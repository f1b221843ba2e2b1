using Microsoft.Extensions.DependencyInjection;
using System.Net;
using System.Net.Http.Headers;
using Dapper;
using Ringfence.Protocol;
using Ringfence.Server.Tests.Fixtures;
using StableBucket = Ringfence.Rollouts.Rings.StableBucket;

namespace Ringfence.Server.Tests.Endpoints;

public sealed class RolloutFlowTests
{
    private static string ChannelFile(string channel, long version, string body = "ok") =>
        $$"""{"channel":"{{channel}}","version":{{version}},"note":"{{body}}"}""";

    private static readonly RingSpec[] FastPlan = [new("dogfood", 1, 0), new("canary", 50, 10), new("general", 100, 0)];

    /// <summary>The engine's ring of a host in a percentage plan: the first ring whose cumulative percent holds its bucket.</summary>
    internal static int RingOf(string hostId, string rolloutId, IReadOnlyList<RingSpec> plan)
    {
        var bucket = StableBucket.Of(hostId, rolloutId);
        for (var i = 0; i < plan.Count; i++)
            if (bucket < StableBucket.Threshold(plan[i].Percent))
                return i;
        return plan.Count - 1;
    }

    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(60);

    [Theory]
    [MemberData(nameof(TestStorage.Providers), MemberType = typeof(TestStorage))]
    public async Task Rollout_BakedAndHealthy_PromotesRingByRingAndCompletes(string provider)
    {
        await using var h = await ServerHarness.StartAsync(provider);
        // The fleet's builds are what the content is validated for, so one host enrolls before publishing.
        var first = await h.EnrollAsync();
        var published = await h.SendOkAsync<ChannelFileDto>(HttpMethod.Post, Routes.ChannelFiles, ServerHarness.AdminKey, new PublishChannelFileRequest(ChannelFile("291", 1)));
        published.ValidatedBuilds.ShouldContain("7.11.18110");
        var rollout = await h.SendOkAsync<RolloutDto>(HttpMethod.Post, Routes.Rollouts, ServerHarness.AdminKey, new CreateRolloutRequest("291", 1, Rings: FastPlan));
        rollout.Status.ShouldBe(RolloutStatus.PendingApproval);
        // Buckets follow from host id AND rollout id (a fresh order per rollout): enroll until 20 hosts lie outside the
        // 1% dogfood ring with some on each side of the 50% canary line; a host drawn into ring 0 is decommissioned.
        var agents = new List<TestAgent>();
        var pending = new Queue<TestAgent>([first]);
        while (agents.Count < 20 || agents.All(a => RingOf(a.HostId, rollout.Id, FastPlan) == 1) || agents.All(a => RingOf(a.HostId, rollout.Id, FastPlan) == 2))
        {
            var agent = pending.Count > 0 ? pending.Dequeue() : await h.EnrollAsync();
            if (RingOf(agent.HostId, rollout.Id, FastPlan) > 0)
            {
                agents.Add(agent);
                continue;
            }
            await using var c = await h.Database.OpenAsync();
            await c.ExecuteAsync("DELETE FROM hosts WHERE host_id = @id", new { id = agent.HostId });
        }

        // Before approval nobody is targeted.
        (await agents[0].CheckInAsync()).Targets.ShouldBeEmpty();
        rollout = await h.SendOkAsync<RolloutDto>(HttpMethod.Post, Routes.Rollout(rollout.Id) + "/approve", ServerHarness.AdminKey, new RolloutActionRequest("go"));
        rollout.Status.ShouldBe(RolloutStatus.Progressing);
        rollout.Rings.Select(r => r.TargetHosts).ShouldBe([0, agents.Count(a => RingOf(a.HostId, rollout.Id, FastPlan) == 1), agents.Count]);

        // Control hosts are online (heartbeats are the host-hours the gate compares).
        foreach (var a in agents)
            await a.SendHeartbeatsAsync(2, Interval);
        await h.RunControllerAsync();
        var state = await h.SendOkAsync<RolloutDto>(HttpMethod.Get, Routes.Rollout(rollout.Id), ServerHarness.AdminKey, null);
        state.CurrentRing.ShouldBe(1, "ring 0 has no bake time and no host in it");

        // Canary ring (50%): exactly the hosts the engine places in it load the content; it cannot pass before its 10-minute bake.
        foreach (var a in agents)
            await a.CheckInAndApplyAsync();
        agents.Where(a => a.Channels.ContainsKey("291")).Select(a => a.HostId).Order()
            .ShouldBe(agents.Where(a => RingOf(a.HostId, rollout.Id, FastPlan) == 1).Select(a => a.HostId).Order());
        await h.RunControllerAsync();
        (await h.SendOkAsync<RolloutDto>(HttpMethod.Get, Routes.Rollout(rollout.Id), ServerHarness.AdminKey, null)).CurrentRing.ShouldBe(1);

        h.Time.Advance(TimeSpan.FromMinutes(11));
        foreach (var a in agents)
            await a.SendHeartbeatsAsync(11, Interval);
        await h.RunControllerAsync();
        (await h.SendOkAsync<RolloutDto>(HttpMethod.Get, Routes.Rollout(rollout.Id), ServerHarness.AdminKey, null)).CurrentRing.ShouldBe(2);
        foreach (var a in agents)
            await a.CheckInAndApplyAsync();
        agents.ShouldAllBe(a => a.Channels.ContainsKey("291"));
        await h.RunControllerAsync();
        var done = await h.SendOkAsync<RolloutDto>(HttpMethod.Get, Routes.Rollout(rollout.Id), ServerHarness.AdminKey, null);
        var decisions = await h.SendOkAsync<IReadOnlyList<DecisionDto>>(HttpMethod.Get, Routes.Rollout(rollout.Id) + "/decisions", ServerHarness.AdminKey, null);
        done.Status.ShouldBe(RolloutStatus.Completed, string.Join(" | ", decisions.Select(d => $"{d.Kind} {d.Ring}: {d.Reason}")));

        decisions.Where(d => d.Kind == "promote").Select(d => d.Ring).ShouldBe([0, 1]);
        var passed = decisions.Single(d => d.Kind == "promote" && d.Ring == 1).Evidence!.Value;
        passed.GetProperty("exposedHostHours").GetDouble().ShouldBeGreaterThan(0, "host-hours come from the exposed hosts' heartbeats");
        decisions.ShouldContain(d => d.Kind == "complete" && d.Evidence.HasValue);
        (await h.SendOkAsync<AuditVerification>(HttpMethod.Get, Routes.AuditVerify, ServerHarness.AdminKey, null)).Valid.ShouldBeTrue();
    }

    [Theory]
    [MemberData(nameof(TestStorage.Providers), MemberType = typeof(TestStorage))]
    public async Task Rollout_CrashesAttributedToContent_HaltsRollsBackAndAddsToKnownBad(string provider)
    {
        await using var h = await ServerHarness.StartAsync(provider);
        var agents = new List<TestAgent> { await h.EnrollAsync() };
        var file = await h.SendOkAsync<ChannelFileDto>(HttpMethod.Post, Routes.ChannelFiles, ServerHarness.AdminKey, new PublishChannelFileRequest(ChannelFile("291", 7)));
        RingSpec[] plan = [new("canary", 50, 30), new("general", 100, 0)];
        var rollout = await h.SendOkAsync<RolloutDto>(HttpMethod.Post, Routes.Rollouts, ServerHarness.AdminKey, new CreateRolloutRequest("291", 7, Rings: plan));
        var limit = Ringfence.Rollouts.Rings.RolloutDefaults.Gate.AttributionHosts;
        // Enroll until the 50% canary holds enough hosts to reach the attribution limit, so the test never depends on the draw.
        while (agents.Count < 12 || agents.Count(a => RingOf(a.HostId, rollout.Id, plan) == 0) < limit)
            agents.Add(await h.EnrollAsync());
        await h.SendOkAsync<RolloutDto>(HttpMethod.Post, Routes.Rollout(rollout.Id) + "/approve", ServerHarness.AdminKey, new RolloutActionRequest());
        await h.RunControllerAsync();
        foreach (var a in agents)
            await a.CheckInAndApplyAsync();
        var crashed = agents.Where(a => a.Channels.ContainsKey("291")).Take(limit).ToList();
        crashed.Count.ShouldBe(limit);
        foreach (var a in crashed)
            await a.SendTelemetryAsync("crash-" + a.HostId, new TelemetryEvent(TelemetryKind.Crash, h.Time.GetUtcNow(), "291", 7, file.Sha256, "ipc-42", BootCrash: true));

        await h.RunControllerAsync();
        // The engine's meaning of a failed gate: halt, then roll back every exposed host.
        var stopped = await h.SendOkAsync<RolloutDto>(HttpMethod.Get, Routes.Rollout(rollout.Id), ServerHarness.AdminKey, null);
        stopped.Status.ShouldBe(RolloutStatus.RolledBack);
        stopped.CurrentRing.ShouldBe(0);
        var knownBad = await h.SendOkAsync<KnownBadListDto>(HttpMethod.Get, Routes.KnownBad, ServerHarness.AdminKey, null);
        knownBad.Entries.ShouldContain(e => e.Sha256 == file.Sha256);
        knownBad.Version.ShouldBe(1);

        // The rollback reaches hosts at their next check-in: nobody is targeted with the bad content any more.
        var answer = await crashed[0].CheckInAsync();
        answer.Targets.ShouldNotContain(t => t.Sha256 == file.Sha256);
        answer.KnownBadListVersion.ShouldBe(1);
        var decisions = await h.SendOkAsync<IReadOnlyList<DecisionDto>>(HttpMethod.Get, Routes.Rollout(rollout.Id) + "/decisions", ServerHarness.AdminKey, null);
        var decision = decisions.Single(d => d.Kind == "halt");
        decision.Evidence!.Value.GetProperty("attributedEvents").GetInt64().ShouldBe(limit);
        decision.Actor.ShouldBe("controller");
        decisions.ShouldContain(d => d.Kind == "rollback" && d.Actor == "controller");

        // A second controller pass takes no further decision.
        await h.RunControllerAsync();
        (await h.SendOkAsync<IReadOnlyList<DecisionDto>>(HttpMethod.Get, Routes.Rollout(rollout.Id) + "/decisions", ServerHarness.AdminKey, null)).Count.ShouldBe(decisions.Count);
    }

    [Theory]
    [MemberData(nameof(TestStorage.Providers), MemberType = typeof(TestStorage))]
    public async Task Rollout_OneHostCrashingRepeatedly_CountsOnceAndDoesNotHalt(string provider)
    {
        await using var h = await ServerHarness.StartAsync(provider);
        var agents = new List<TestAgent>();
        for (var i = 0; i < 12; i++)
            agents.Add(await h.EnrollAsync());
        var file = await h.SendOkAsync<ChannelFileDto>(HttpMethod.Post, Routes.ChannelFiles, ServerHarness.AdminKey, new PublishChannelFileRequest(ChannelFile("291", 8)));
        var rollout = await h.SendOkAsync<RolloutDto>(HttpMethod.Post, Routes.Rollouts, ServerHarness.AdminKey,
            new CreateRolloutRequest("291", 8, Rings: [new("all", 100, 30)]));
        await h.SendOkAsync<RolloutDto>(HttpMethod.Post, Routes.Rollout(rollout.Id) + "/approve", ServerHarness.AdminKey, new RolloutActionRequest());
        await h.RunControllerAsync();
        foreach (var a in agents)
            await a.CheckInAndApplyAsync();
        var crasher = agents[0];
        // Three breadcrumbs from one host, in three batches: the attribution test counts hosts, not events.
        for (var i = 0; i < 3; i++)
            await crasher.SendTelemetryAsync($"crash-{i}", new TelemetryEvent(TelemetryKind.Crash, h.Time.GetUtcNow(), "291", 8, file.Sha256, "ipc-42", BootCrash: true));

        await h.RunControllerAsync();

        (await h.SendOkAsync<RolloutDto>(HttpMethod.Get, Routes.Rollout(rollout.Id), ServerHarness.AdminKey, null)).Status.ShouldBe(RolloutStatus.Progressing);
        await using var c = await h.Database.OpenAsync();
        (await c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM attributed_hosts WHERE rollout_id = @id", new { id = rollout.Id })).ShouldBe(1);

        // More distinct hosts' breadcrumbs, up to the limit of distinct hosts, halt.
        var limit = Ringfence.Rollouts.Rings.RolloutDefaults.Gate.AttributionHosts;
        for (var i = 1; i < limit; i++)
        {
            (await h.SendOkAsync<RolloutDto>(HttpMethod.Get, Routes.Rollout(rollout.Id), ServerHarness.AdminKey, null)).Status.ShouldBe(RolloutStatus.Progressing);
            await agents[i].SendTelemetryAsync("crash-b", new TelemetryEvent(TelemetryKind.Crash, h.Time.GetUtcNow(), "291", 8, file.Sha256, "ipc-42", BootCrash: true));
            await h.RunControllerAsync();
        }
        (await h.SendOkAsync<RolloutDto>(HttpMethod.Get, Routes.Rollout(rollout.Id), ServerHarness.AdminKey, null)).Status.ShouldBe(RolloutStatus.RolledBack);
    }

    [Theory]
    [MemberData(nameof(TestStorage.Providers), MemberType = typeof(TestStorage))]
    public async Task Emergency_OneApprover_StaysPendingUntilADifferentSecondApprover(string provider)
    {
        await using var h = await ServerHarness.StartAsync(provider);
        await h.SendOkAsync<ChannelFileDto>(HttpMethod.Post, Routes.ChannelFiles, ServerHarness.AdminKey, new PublishChannelFileRequest(ChannelFile("12", 1)));
        var rollout = await h.SendOkAsync<RolloutDto>(HttpMethod.Post, Routes.Rollouts, ServerHarness.AdminKey, new CreateRolloutRequest("12", 1, Emergency: true));
        rollout.Rings.Count.ShouldBe(Ringfence.Rollouts.Rings.RolloutDefaults.Plan.Rings.Count, "an emergency rollout is still staged, on the default plan");
        // The engine shortens the planned 120-minute canary bake to a quarter.
        rollout.Rings[1].BakeMinutes.ShouldBe(30);
        var alice = await h.CreateKeyAsync(OperatorRole.Approver, "alice");
        var bob = await h.CreateKeyAsync(OperatorRole.Approver, "bob");

        (await h.SendOkAsync<RolloutDto>(HttpMethod.Post, Routes.Rollout(rollout.Id) + "/approve", alice, new RolloutActionRequest())).Status.ShouldBe(RolloutStatus.PendingApproval);
        using (var again = await h.Http.SendAsync(h.Request(HttpMethod.Post, Routes.Rollout(rollout.Id) + "/approve", alice, new RolloutActionRequest())))
        {
            again.StatusCode.ShouldBe(HttpStatusCode.Conflict);
            (await again.Content.ReadAsStringAsync()).ShouldContain("two distinct approvers");
        }
        var approved = await h.SendOkAsync<RolloutDto>(HttpMethod.Post, Routes.Rollout(rollout.Id) + "/approve", bob, new RolloutActionRequest());
        approved.Status.ShouldBe(RolloutStatus.Progressing);
        approved.Approvers.ShouldBe(["alice", "bob"]);
    }

    [Theory]
    [MemberData(nameof(TestStorage.Providers), MemberType = typeof(TestStorage))]
    public async Task PauseResumeHaltRollback_ChangeStatusAndRecordAudit(string provider)
    {
        await using var h = await ServerHarness.StartAsync(provider);
        await h.SendOkAsync<ChannelFileDto>(HttpMethod.Post, Routes.ChannelFiles, ServerHarness.AdminKey, new PublishChannelFileRequest(ChannelFile("7", 1)));
        var r = await h.SendOkAsync<RolloutDto>(HttpMethod.Post, Routes.Rollouts, ServerHarness.AdminKey, new CreateRolloutRequest("7", 1));
        var path = Routes.Rollout(r.Id);
        await h.SendOkAsync<RolloutDto>(HttpMethod.Post, path + "/approve", ServerHarness.AdminKey, new RolloutActionRequest());
        (await h.SendOkAsync<RolloutDto>(HttpMethod.Post, path + "/pause", ServerHarness.AdminKey, new RolloutActionRequest("look"))).Status.ShouldBe(RolloutStatus.Paused);
        (await h.SendOkAsync<RolloutDto>(HttpMethod.Post, path + "/resume", ServerHarness.AdminKey, null)).Status.ShouldBe(RolloutStatus.Progressing);
        (await h.SendOkAsync<RolloutDto>(HttpMethod.Post, path + "/halt", ServerHarness.AdminKey, new RolloutActionRequest("bad"))).Status.ShouldBe(RolloutStatus.Halted);
        using (var again = await h.Http.SendAsync(h.Request(HttpMethod.Post, path + "/halt", ServerHarness.AdminKey, new RolloutActionRequest())))
            again.StatusCode.ShouldBe(HttpStatusCode.Conflict);
        (await h.SendOkAsync<RolloutDto>(HttpMethod.Post, path + "/rollback", ServerHarness.AdminKey, null)).Status.ShouldBe(RolloutStatus.RolledBack);

        var audit = await h.SendOkAsync<AuditPage>(HttpMethod.Get, Routes.Audit + "?limit=1000", ServerHarness.AdminKey, null);
        audit.Entries.Select(e => e.Action).ShouldContain("rollout.pause");
        audit.Entries.Select(e => e.Action).ShouldContain("rollout.rollback");
        audit.Entries.Last().Actor.ShouldBe("operator:bootstrap-admin");
    }

    [Theory]
    [MemberData(nameof(TestStorage.Providers), MemberType = typeof(TestStorage))]
    public async Task KillSwitch_Engaged_HaltsEveryActiveRolloutWithDecisionsAndTellsAgents(string provider)
    {
        await using var h = await ServerHarness.StartAsync(provider);
        var agent = await h.EnrollAsync();
        await h.SendOkAsync<ChannelFileDto>(HttpMethod.Post, Routes.ChannelFiles, ServerHarness.AdminKey, new PublishChannelFileRequest(ChannelFile("9", 1)));
        await h.SendOkAsync<ChannelFileDto>(HttpMethod.Post, Routes.ChannelFiles, ServerHarness.AdminKey, new PublishChannelFileRequest(ChannelFile("10", 1)));
        var moving = await h.SendOkAsync<RolloutDto>(HttpMethod.Post, Routes.Rollouts, ServerHarness.AdminKey, new CreateRolloutRequest("9", 1, Rings: FastPlan));
        await h.SendOkAsync<RolloutDto>(HttpMethod.Post, Routes.Rollout(moving.Id) + "/approve", ServerHarness.AdminKey, null);
        var pending = await h.SendOkAsync<RolloutDto>(HttpMethod.Post, Routes.Rollouts, ServerHarness.AdminKey, new CreateRolloutRequest("10", 1, Rings: FastPlan));
        (await h.SendOkAsync<KillSwitchDto>(HttpMethod.Post, Routes.KillSwitch, ServerHarness.AdminKey, new KillSwitchRequest(true, "incident"))).Engaged.ShouldBeTrue();
        h.Time.Advance(TimeSpan.FromHours(1));
        await h.RunControllerAsync();
        await h.RunControllerAsync();

        foreach (var r in new[] { moving, pending })
        {
            var stopped = await h.SendOkAsync<RolloutDto>(HttpMethod.Get, Routes.Rollout(r.Id), ServerHarness.AdminKey, null);
            stopped.Status.ShouldBe(RolloutStatus.Halted);
            stopped.CurrentRing.ShouldBe(0);
            var halts = (await h.SendOkAsync<IReadOnlyList<DecisionDto>>(HttpMethod.Get, Routes.Rollout(r.Id) + "/decisions", ServerHarness.AdminKey, null)).Where(d => d.Kind == "halt").ToList();
            halts.ShouldHaveSingleItem().Reason.ShouldContain("kill switch");
        }
        (await agent.CheckInAsync()).KillSwitchEngaged.ShouldBeTrue();
        // A halt is not a rollback: nothing is added to the known-bad list.
        (await h.SendOkAsync<KnownBadListDto>(HttpMethod.Get, Routes.KnownBad, ServerHarness.AdminKey, null)).Entries.ShouldBeEmpty();
        using (var refused = await h.Http.SendAsync(h.Request(HttpMethod.Post, Routes.Rollout(moving.Id) + "/resume", ServerHarness.AdminKey, new RolloutActionRequest())))
        {
            refused.StatusCode.ShouldBe(HttpStatusCode.Conflict);
            (await refused.Content.ReadAsStringAsync()).ShouldContain("kill switch");
        }

        // Releasing the switch resumes nothing by itself; an operator resumes a halted rollout, whose ring bakes again.
        await h.SendOkAsync<KillSwitchDto>(HttpMethod.Post, Routes.KillSwitch, ServerHarness.AdminKey, new KillSwitchRequest(false));
        await h.RunControllerAsync();
        (await h.SendOkAsync<RolloutDto>(HttpMethod.Get, Routes.Rollout(moving.Id), ServerHarness.AdminKey, null)).Status.ShouldBe(RolloutStatus.Halted);
        (await h.SendOkAsync<RolloutDto>(HttpMethod.Post, Routes.Rollout(moving.Id) + "/resume", ServerHarness.AdminKey, new RolloutActionRequest("incident over"))).Status.ShouldBe(RolloutStatus.Progressing);
    }

    [Theory]
    [MemberData(nameof(TestStorage.Providers), MemberType = typeof(TestStorage))]
    public async Task Halt_HostsRunningTheContentKeepItAndNoNewHostGetsIt(string provider)
    {
        await using var h = await ServerHarness.StartAsync(provider);
        var agents = new List<TestAgent> { await h.EnrollAsync() };
        var file = await h.SendOkAsync<ChannelFileDto>(HttpMethod.Post, Routes.ChannelFiles, ServerHarness.AdminKey, new PublishChannelFileRequest(ChannelFile("4", 1)));
        RingSpec[] plan = [new("canary", 50, 60), new("all", 100, 0)];
        var r = await h.SendOkAsync<RolloutDto>(HttpMethod.Post, Routes.Rollouts, ServerHarness.AdminKey, new CreateRolloutRequest("4", 1, Rings: plan));
        while (agents.Count(a => RingOf(a.HostId, r.Id, plan) == 0) < 2 || agents.Count(a => RingOf(a.HostId, r.Id, plan) == 0) == agents.Count)
            agents.Add(await h.EnrollAsync());
        await h.SendOkAsync<RolloutDto>(HttpMethod.Post, Routes.Rollout(r.Id) + "/approve", ServerHarness.AdminKey, null);
        var canary = agents.Where(a => RingOf(a.HostId, r.Id, plan) == 0).ToList();
        await canary[0].CheckInAndApplyAsync();
        canary[0].Channels["4"].ActiveHash.ShouldBe(file.Sha256);

        (await h.SendOkAsync<RolloutDto>(HttpMethod.Post, Routes.Rollout(r.Id) + "/halt", ServerHarness.AdminKey, new RolloutActionRequest("looks odd"))).Status.ShouldBe(RolloutStatus.Halted);

        (await canary[0].CheckInAsync()).Targets.ShouldHaveSingleItem().Sha256.ShouldBe(file.Sha256, "a halted rollout's hosts keep what they run");
        (await canary[1].CheckInAsync()).Targets.ShouldBeEmpty("a halt exposes nobody new");
        (await h.SendOkAsync<KnownBadListDto>(HttpMethod.Get, Routes.KnownBad, ServerHarness.AdminKey, null)).Entries.ShouldBeEmpty();

        // A rollback sends every exposed host back (no older content here: nothing) and lists the content as known bad.
        (await h.SendOkAsync<RolloutDto>(HttpMethod.Post, Routes.Rollout(r.Id) + "/rollback", ServerHarness.AdminKey, null)).Status.ShouldBe(RolloutStatus.RolledBack);
        var back = await canary[0].CheckInAsync();
        back.Targets.ShouldNotContain(t => t.Sha256 == file.Sha256);
        (await h.SendOkAsync<KnownBadListDto>(HttpMethod.Get, Routes.KnownBad, ServerHarness.AdminKey, null)).Entries.ShouldContain(e => e.Sha256 == file.Sha256);
    }

    [Theory]
    [MemberData(nameof(TestStorage.Providers), MemberType = typeof(TestStorage))]
    public async Task Enroll_DogfoodGroup_PlacesTheHostInTheDefaultPlansInternalRing(string provider)
    {
        await using var h = await ServerHarness.StartAsync(provider);
        var dogfood = await h.EnrollAsync(groups: ["Dogfood"]);
        var others = new List<TestAgent>();
        for (var i = 0; i < 5; i++)
            others.Add(await h.EnrollAsync(groups: i == 0 ? ["dc-1"] : null));
        var file = await h.SendOkAsync<ChannelFileDto>(HttpMethod.Post, Routes.ChannelFiles, ServerHarness.AdminKey, new PublishChannelFileRequest(ChannelFile("6", 1)));
        var r = await h.SendOkAsync<RolloutDto>(HttpMethod.Post, Routes.Rollouts, ServerHarness.AdminKey, new CreateRolloutRequest("6", 1));
        r.Rings[0].Name.ShouldBe("internal");
        r.Rings[0].TargetHosts.ShouldBe(1);
        await h.SendOkAsync<RolloutDto>(HttpMethod.Post, Routes.Rollout(r.Id) + "/approve", ServerHarness.AdminKey, null);

        (await dogfood.CheckInAsync()).Targets.ShouldHaveSingleItem().Sha256.ShouldBe(file.Sha256);
        foreach (var o in others)
            (await o.CheckInAsync()).Targets.ShouldBeEmpty();
    }

    [Theory]
    [MemberData(nameof(TestStorage.Providers), MemberType = typeof(TestStorage))]
    public async Task CheckIn_UnchangedAnswer_Returns304WithSameETag(string provider)
    {
        await using var h = await ServerHarness.StartAsync(provider);
        var agent = await h.EnrollAsync();
        using var first = await h.Http.SendAsync(agent.Request(Routes.CheckIn, agent.CheckInBody()));
        first.StatusCode.ShouldBe(HttpStatusCode.OK);
        var etag = first.Headers.ETag!;

        var second = agent.Request(Routes.CheckIn, agent.CheckInBody());
        second.Headers.IfNoneMatch.Add(etag);
        using var notModified = await h.Http.SendAsync(second);
        notModified.StatusCode.ShouldBe(HttpStatusCode.NotModified);
        (await notModified.Content.ReadAsByteArrayAsync()).ShouldBeEmpty();

        // Publishing and starting a rollout that targets this host changes the answer and its tag.
        await h.SendOkAsync<ChannelFileDto>(HttpMethod.Post, Routes.ChannelFiles, ServerHarness.AdminKey, new PublishChannelFileRequest(ChannelFile("5", 1)));
        var r = await h.SendOkAsync<RolloutDto>(HttpMethod.Post, Routes.Rollouts, ServerHarness.AdminKey, new CreateRolloutRequest("5", 1, Rings: [new("all", 100, 0)]));
        await h.SendOkAsync<RolloutDto>(HttpMethod.Post, Routes.Rollout(r.Id) + "/approve", ServerHarness.AdminKey, null);
        var third = agent.Request(Routes.CheckIn, agent.CheckInBody());
        third.Headers.IfNoneMatch.Add(etag);
        using var changed = await h.Http.SendAsync(third);
        changed.StatusCode.ShouldBe(HttpStatusCode.OK);
        changed.Headers.ETag!.Tag.ShouldNotBe(etag.Tag);
    }

    [Theory]
    [MemberData(nameof(TestStorage.Providers), MemberType = typeof(TestStorage))]
    public async Task Telemetry_ReplayedBatch_IsCountedOnce(string provider)
    {
        await using var h = await ServerHarness.StartAsync(provider);
        var agent = await h.EnrollAsync();
        var events = new[] { new TelemetryEvent(TelemetryKind.Heartbeat, h.Time.GetUtcNow()), new TelemetryEvent(TelemetryKind.Crash, h.Time.GetUtcNow(), "291") };
        var first = await agent.SendTelemetryAsync("batch-1", events);
        var replay = await agent.SendTelemetryAsync("batch-1", events);
        first.ShouldBe(new TelemetryAck("batch-1", 2, false));
        replay.ShouldBe(new TelemetryAck("batch-1", 0, true));
        await using var c = await h.Database.OpenAsync();
        (await c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM telemetry_events")).ShouldBe(2);
    }

    [Theory]
    [MemberData(nameof(TestStorage.Providers), MemberType = typeof(TestStorage))]
    public async Task Telemetry_LargeBatch_StoresEveryCrashInOrderAndCountsEveryHeartbeatPerMinute(string provider)
    {
        await using var h = await ServerHarness.StartAsync(provider, o => o with { MaxRequestBodyBytes = 1024 * 1024 });
        var agent = await h.EnrollAsync();
        var at = h.Time.GetUtcNow();
        var hash = new string('c', 64);
        var events = Enumerable.Range(0, 601).Select(i => i % 100 == 7
            ? new TelemetryEvent(TelemetryKind.Crash, at.AddSeconds(i), "291", i, hash, "rule-" + i, BootCrash: true, Detail: "d" + i)
            : new TelemetryEvent(TelemetryKind.Heartbeat, at.AddSeconds(i))).ToArray();

        (await agent.SendTelemetryAsync("big-1", events)).ShouldBe(new TelemetryAck("big-1", 601, false));

        await using var c = await h.Database.OpenAsync();
        var rows = (await c.QueryAsync<(long Idx, string Kind, long At, long? Version, string? Instance, long BootCrash, string? Detail, long Count)>(
            "SELECT idx, kind, at, content_version, instance_id, boot_crash, detail, count FROM telemetry_events WHERE idempotency_key = 'big-1' ORDER BY idx")).ToList();
        rows.Sum(r => r.Count).ShouldBe(601);
        rows.Where(r => r.Kind == "Crash").Select(r => (r.Idx, r.At, r.Version, r.Instance, r.BootCrash, r.Detail, r.Count))
            .ShouldBe(events.Select((e, i) => (e, i)).Where(x => x.e.Kind == TelemetryKind.Crash)
                .Select(x => ((long)x.i, x.e.At.ToUnixTimeMilliseconds(), x.e.ContentVersion, x.e.InstanceId, 1L, x.e.Detail, 1L)));
        // Heartbeats fold per minute and never across a crash: each minute's heartbeats are all counted, in far fewer rows.
        var perMinute = events.Where(e => e.Kind == TelemetryKind.Heartbeat).GroupBy(e => e.At.ToUnixTimeMilliseconds() / 60_000).ToDictionary(g => g.Key, g => (long)g.Count());
        rows.Where(r => r.Kind == "Heartbeat").GroupBy(r => r.At / 60_000).ToDictionary(g => g.Key, g => g.Sum(r => r.Count)).ShouldBe(perMinute);
        rows.Count(r => r.Kind == "Heartbeat").ShouldBeLessThanOrEqualTo(perMinute.Count + 6);
    }

    [Theory]
    [MemberData(nameof(TestStorage.Providers), MemberType = typeof(TestStorage))]
    public async Task CheckIn_UnchangedReport_LastSeenWrittenInBulkNotPerCheckIn(string provider)
    {
        await using var h = await ServerHarness.StartAsync(provider);
        var agent = await h.EnrollAsync();
        await agent.CheckInAsync();
        await using var c = await h.Database.OpenAsync();
        var first = await c.ExecuteScalarAsync<long>("SELECT last_seen FROM hosts WHERE host_id = @id", new { id = agent.HostId });

        h.Time.Advance(TimeSpan.FromMinutes(2));
        await agent.CheckInAsync();
        var deferred = await c.ExecuteScalarAsync<long>("SELECT last_seen FROM hosts WHERE host_id = @id", new { id = agent.HostId });
        var flushed = await h.Server.Services.GetRequiredService<Ringfence.Server.Services.ControlPlane>().FlushLastSeenAsync(CancellationToken.None);
        var after = await c.ExecuteScalarAsync<long>("SELECT last_seen FROM hosts WHERE host_id = @id", new { id = agent.HostId });

        deferred.ShouldBe(first, "an unchanged report does not write on the check-in path");
        flushed.ShouldBe(1);
        after.ShouldBe(h.Time.GetUtcNow().ToUnixTimeMilliseconds());
    }

    [Theory]
    [MemberData(nameof(TestStorage.Providers), MemberType = typeof(TestStorage))]
    public async Task CheckIn_AnyReportedFieldChanged_WrittenOnTheCheckInPath(string provider)
    {
        await using var h = await ServerHarness.StartAsync(provider);
        var agent = await h.EnrollAsync();
        var hash = new string('d', 64);
        async Task<(string Build, long FailedBoots, string Channels, long Rows)> StoredAsync(CheckInRequest request)
        {
            using (var response = await h.Http.SendAsync(agent.Request(Routes.CheckIn, request)))
                response.IsSuccessStatusCode.ShouldBeTrue();
            await using var c = await h.Database.OpenAsync();
            var row = await c.QuerySingleAsync<(string, long, string)>("SELECT agent_build, failed_boots, channels_json FROM hosts WHERE host_id = @id", new { id = agent.HostId });
            var rows = await c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM host_channels WHERE host_id = @id AND active_hash = @hash", new { id = agent.HostId, hash });
            return (row.Item1, row.Item2, row.Item3, rows);
        }

        var baseline = new CheckInRequest(agent.HostId, agent.Configuration, [new ChannelState("291", 1, hash, null)], new HostHealth(0, 0));
        (await StoredAsync(baseline)).Rows.ShouldBe(1);
        (await StoredAsync(baseline with { Health = new HostHealth(2, 1) })).FailedBoots.ShouldBe(2);
        (await StoredAsync(baseline with { Configuration = agent.Configuration with { AgentBuild = "7.16.1" } })).Build.ShouldBe("7.16.1");
        var moved = await StoredAsync(baseline with { Channels = [new ChannelState("291", 1, hash, 0)] });
        moved.Channels.ShouldContain("\"lastKnownGoodVersion\":0");
        (await StoredAsync(baseline with { Channels = [] })).Rows.ShouldBe(0);
    }

    [Theory]
    [MemberData(nameof(TestStorage.Providers), MemberType = typeof(TestStorage))]
    public async Task Publish_OlderOrSameVersion_Conflicts(string provider)
    {
        await using var h = await ServerHarness.StartAsync(provider);
        await h.SendOkAsync<ChannelFileDto>(HttpMethod.Post, Routes.ChannelFiles, ServerHarness.AdminKey, new PublishChannelFileRequest(ChannelFile("3", 5)));
        using var response = await h.Http.SendAsync(h.Request(HttpMethod.Post, Routes.ChannelFiles, ServerHarness.AdminKey, new PublishChannelFileRequest(ChannelFile("3", 4))));
        response.StatusCode.ShouldBe(HttpStatusCode.Conflict);
        response.Content.Headers.ContentType!.MediaType.ShouldBe("application/problem+json");
    }

    [Theory]
    [MemberData(nameof(TestStorage.Providers), MemberType = typeof(TestStorage))]
    public async Task Fleet_ReportsConfigurationsAndTheDefaultPlansCoverage(string provider)
    {
        await using var h = await ServerHarness.StartAsync(provider);
        await h.EnrollAsync("7.11.18110", "22631", groups: ["dogfood"]);
        for (var i = 0; i < 5; i++)
            await h.EnrollAsync("7.11.18110", "22631");
        await h.EnrollAsync("7.10.1", "19045");
        await h.EnrollAsync("7.11.18110", "sonoma", "macos");
        var fleet = await h.SendOkAsync<FleetOverview>(HttpMethod.Get, Routes.Fleet, ServerHarness.AdminKey, null);
        fleet.Hosts.ShouldBe(8);
        fleet.Configurations.Count.ShouldBe(3);
        fleet.Rings.Select(r => r.Ring).ShouldBe(Ringfence.Rollouts.Rings.RolloutDefaults.Plan.Rings.Select(r => r.Name));
        var common = fleet.Configurations.Single(c => c.OsBuild == "22631");
        common.Hosts.ShouldBe(6);
        // Its dogfood host puts it in the internal ring; the others are too small for the canary's k hosts, so only
        // the last ring is sure to hold them: uncovered early, as the engine composes coverage.
        common.CoveredByRings[0].ShouldBe("internal");
        common.UncoveredEarly.ShouldBeFalse();
        fleet.Configurations.Where(c => c.OsBuild != "22631").ShouldAllBe(c => c.UncoveredEarly && c.CoveredByRings.SequenceEqual(new[] { "all" }));
        fleet.Rings.Single(r => r.Ring == "internal").Hosts.ShouldBe(1);
        fleet.Rings.Single(r => r.Ring == "all").Hosts.ShouldBe(8);
    }

    [Fact]
    public async Task OpenApi_DocumentIsServedAndListsRoutes()
    {
        await using var h = await ServerHarness.StartAsync("sqlite");
        var text = await h.Http.GetStringAsync(Routes.OpenApi);
        text.ShouldContain("/v1/agent/check-in");
        text.ShouldContain("/v1/rollouts/{id}/approve");
        _ = new MediaTypeHeaderValue("application/json");
    }
}
