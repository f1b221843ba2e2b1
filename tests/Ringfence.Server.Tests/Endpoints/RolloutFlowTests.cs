using Microsoft.Extensions.DependencyInjection;
using System.Net;
using System.Net.Http.Headers;
using Dapper;
using Ringfence.Protocol;
using Ringfence.Server.Rollouts;
using Ringfence.Server.Tests.Fixtures;

namespace Ringfence.Server.Tests.Endpoints;

public sealed class RolloutFlowTests
{
    private static string ChannelFile(string channel, long version, string body = "ok") =>
        $$"""{"channel":"{{channel}}","version":{{version}},"note":"{{body}}"}""";

    private static readonly RingSpec[] FastPlan = [new("dogfood", 1, 0), new("canary", 50, 10), new("general", 100, 0)];

    [Theory]
    [MemberData(nameof(TestStorage.Providers), MemberType = typeof(TestStorage))]
    public async Task Rollout_BakedAndHealthy_PromotesRingByRingAndCompletes(string provider)
    {
        await using var h = await ServerHarness.StartAsync(provider);
        // Host ids are random and their buckets follow from them (the check-in and the controller must agree), so enroll
        // until 20 hosts lie outside the 1% dogfood ring with some on each side of the 50% canary line; a host drawn
        // into the dogfood ring is decommissioned.
        var dogfood = RolloutPlans.BucketLimit(FastPlan[0]);
        var canary = RolloutPlans.BucketLimit(FastPlan[1]);
        var agents = new List<TestAgent>();
        while (agents.Count < 20 || agents.All(a => RolloutPlans.Bucket(a.HostId) < canary) || agents.All(a => RolloutPlans.Bucket(a.HostId) >= canary))
        {
            var agent = await h.EnrollAsync();
            if (RolloutPlans.Bucket(agent.HostId) >= dogfood)
            {
                agents.Add(agent);
                continue;
            }
            await using var c = await h.Database.OpenAsync();
            await c.ExecuteAsync("DELETE FROM hosts WHERE host_id = @id", new { id = agent.HostId });
        }
        var published = await h.SendOkAsync<ChannelFileDto>(HttpMethod.Post, Routes.ChannelFiles, ServerHarness.AdminKey, new PublishChannelFileRequest(ChannelFile("291", 1)));
        published.ValidatedBuilds.ShouldContain("7.11.18110");
        var rollout = await h.SendOkAsync<RolloutDto>(HttpMethod.Post, Routes.Rollouts, ServerHarness.AdminKey, new CreateRolloutRequest("291", 1, Rings: FastPlan));
        rollout.Status.ShouldBe(RolloutStatus.PendingApproval);

        // Before approval nobody is targeted.
        (await agents[0].CheckInAsync()).Targets.ShouldBeEmpty();
        rollout = await h.SendOkAsync<RolloutDto>(HttpMethod.Post, Routes.Rollout(rollout.Id) + "/approve", ServerHarness.AdminKey, new RolloutActionRequest("go"));
        rollout.Status.ShouldBe(RolloutStatus.Progressing);

        await h.RunControllerAsync();
        var state = await h.SendOkAsync<RolloutDto>(HttpMethod.Get, Routes.Rollout(rollout.Id), ServerHarness.AdminKey, null);
        state.CurrentRing.ShouldBe(1, "ring 0 has no bake time and no host in it");

        // Canary ring (50%): exposed hosts load the content; the ring cannot pass before its 10-minute bake.
        foreach (var a in agents)
            await a.CheckInAndApplyAsync();
        var exposed = agents.Count(a => a.Channels.ContainsKey("291"));
        exposed.ShouldBeGreaterThan(0);
        exposed.ShouldBeLessThan(agents.Count);
        await h.RunControllerAsync();
        (await h.SendOkAsync<RolloutDto>(HttpMethod.Get, Routes.Rollout(rollout.Id), ServerHarness.AdminKey, null)).CurrentRing.ShouldBe(1);

        h.Time.Advance(TimeSpan.FromMinutes(11));
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
        decisions.ShouldContain(d => d.Kind == "complete" && d.Evidence.HasValue);
        (await h.SendOkAsync<AuditVerification>(HttpMethod.Get, Routes.AuditVerify, ServerHarness.AdminKey, null)).Valid.ShouldBeTrue();
    }

    [Theory]
    [MemberData(nameof(TestStorage.Providers), MemberType = typeof(TestStorage))]
    public async Task Rollout_CrashesAttributedToContent_HaltsAndAddsToKnownBad(string provider)
    {
        await using var h = await ServerHarness.StartAsync(provider);
        // Host ids are random and agents are targeted by the bucket of their id: enroll until the 50% canary holds at
        // least two, so the test never depends on the draw (12 random hosts leave fewer than two in it 0.3% of the time).
        var canaryLimit = RolloutPlans.BucketLimit(new RingSpec("canary", 50, 30));
        var agents = new List<TestAgent>();
        while (agents.Count < 12 || agents.Count(a => RolloutPlans.Bucket(a.HostId) < canaryLimit) < 2)
            agents.Add(await h.EnrollAsync());
        var file = await h.SendOkAsync<ChannelFileDto>(HttpMethod.Post, Routes.ChannelFiles, ServerHarness.AdminKey, new PublishChannelFileRequest(ChannelFile("291", 7)));
        var rollout = await h.SendOkAsync<RolloutDto>(HttpMethod.Post, Routes.Rollouts, ServerHarness.AdminKey,
            new CreateRolloutRequest("291", 7, Rings: [new("canary", 50, 30), new("general", 100, 0)]));
        await h.SendOkAsync<RolloutDto>(HttpMethod.Post, Routes.Rollout(rollout.Id) + "/approve", ServerHarness.AdminKey, new RolloutActionRequest());
        await h.RunControllerAsync();
        foreach (var a in agents)
            await a.CheckInAndApplyAsync();
        var crashed = agents.Where(a => a.Channels.ContainsKey("291")).Take(2).ToList();
        crashed.Count.ShouldBe(2);
        foreach (var a in crashed)
            await a.SendTelemetryAsync("crash-" + a.HostId, new TelemetryEvent(TelemetryKind.Crash, h.Time.GetUtcNow(), "291", 7, file.Sha256, "ipc-42", BootCrash: true));

        await h.RunControllerAsync();
        var halted = await h.SendOkAsync<RolloutDto>(HttpMethod.Get, Routes.Rollout(rollout.Id), ServerHarness.AdminKey, null);
        halted.Status.ShouldBe(RolloutStatus.Halted);
        halted.CurrentRing.ShouldBe(0);
        var knownBad = await h.SendOkAsync<KnownBadListDto>(HttpMethod.Get, Routes.KnownBad, ServerHarness.AdminKey, null);
        knownBad.Entries.ShouldContain(e => e.Sha256 == file.Sha256);
        knownBad.Version.ShouldBe(1);

        // A halt stops exposure at the next check-in: nobody is targeted with the bad content any more.
        var answer = await crashed[0].CheckInAsync();
        answer.Targets.ShouldNotContain(t => t.Sha256 == file.Sha256);
        answer.KnownBadListVersion.ShouldBe(1);
        var decision = (await h.SendOkAsync<IReadOnlyList<DecisionDto>>(HttpMethod.Get, Routes.Rollout(rollout.Id) + "/decisions", ServerHarness.AdminKey, null)).Single(d => d.Kind == "halt");
        decision.Evidence!.Value.GetProperty("attributedEvents").GetInt64().ShouldBe(2);
        decision.Actor.ShouldBe("controller");

        // A second controller pass takes no further decision.
        await h.RunControllerAsync();
        (await h.SendOkAsync<IReadOnlyList<DecisionDto>>(HttpMethod.Get, Routes.Rollout(rollout.Id) + "/decisions", ServerHarness.AdminKey, null)).Count(d => d.Kind == "halt").ShouldBe(1);
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

        // A second host's breadcrumb reaches the limit of two distinct hosts.
        await agents[1].SendTelemetryAsync("crash-b", new TelemetryEvent(TelemetryKind.Crash, h.Time.GetUtcNow(), "291", 8, file.Sha256, "ipc-42", BootCrash: true));
        await h.RunControllerAsync();
        (await h.SendOkAsync<RolloutDto>(HttpMethod.Get, Routes.Rollout(rollout.Id), ServerHarness.AdminKey, null)).Status.ShouldBe(RolloutStatus.Halted);
    }

    [Theory]
    [MemberData(nameof(TestStorage.Providers), MemberType = typeof(TestStorage))]
    public async Task Emergency_OneApprover_StaysPendingUntilADifferentSecondApprover(string provider)
    {
        await using var h = await ServerHarness.StartAsync(provider);
        await h.SendOkAsync<ChannelFileDto>(HttpMethod.Post, Routes.ChannelFiles, ServerHarness.AdminKey, new PublishChannelFileRequest(ChannelFile("12", 1)));
        var rollout = await h.SendOkAsync<RolloutDto>(HttpMethod.Post, Routes.Rollouts, ServerHarness.AdminKey, new CreateRolloutRequest("12", 1, Emergency: true));
        rollout.Rings.Count.ShouldBe(5, "an emergency rollout is still staged");
        rollout.Rings[1].BakeMinutes.ShouldBe(15);
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
    public async Task KillSwitch_Engaged_FreezesPromotionAndTellsAgents(string provider)
    {
        await using var h = await ServerHarness.StartAsync(provider);
        var agent = await h.EnrollAsync();
        await h.SendOkAsync<ChannelFileDto>(HttpMethod.Post, Routes.ChannelFiles, ServerHarness.AdminKey, new PublishChannelFileRequest(ChannelFile("9", 1)));
        var r = await h.SendOkAsync<RolloutDto>(HttpMethod.Post, Routes.Rollouts, ServerHarness.AdminKey, new CreateRolloutRequest("9", 1, Rings: FastPlan));
        await h.SendOkAsync<RolloutDto>(HttpMethod.Post, Routes.Rollout(r.Id) + "/approve", ServerHarness.AdminKey, null);
        (await h.SendOkAsync<KillSwitchDto>(HttpMethod.Post, Routes.KillSwitch, ServerHarness.AdminKey, new KillSwitchRequest(true, "incident"))).Engaged.ShouldBeTrue();
        h.Time.Advance(TimeSpan.FromHours(1));
        await h.RunControllerAsync();
        await h.RunControllerAsync();
        (await h.SendOkAsync<RolloutDto>(HttpMethod.Get, Routes.Rollout(r.Id), ServerHarness.AdminKey, null)).CurrentRing.ShouldBe(0);
        (await agent.CheckInAsync()).KillSwitchEngaged.ShouldBeTrue();

        await h.SendOkAsync<KillSwitchDto>(HttpMethod.Post, Routes.KillSwitch, ServerHarness.AdminKey, new KillSwitchRequest(false));
        await h.RunControllerAsync();
        (await h.SendOkAsync<RolloutDto>(HttpMethod.Get, Routes.Rollout(r.Id), ServerHarness.AdminKey, null)).CurrentRing.ShouldBe(1);
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
    public async Task Fleet_ReportsConfigurationsAndRingCoverage(string provider)
    {
        await using var h = await ServerHarness.StartAsync(provider);
        for (var i = 0; i < 6; i++)
            await h.EnrollAsync("7.11.18110", "22631");
        await h.EnrollAsync("7.10.1", "19045");
        await h.EnrollAsync("7.11.18110", "sonoma", "macos");
        var fleet = await h.SendOkAsync<FleetOverview>(HttpMethod.Get, Routes.Fleet, ServerHarness.AdminKey, null);
        fleet.Hosts.ShouldBe(8);
        fleet.Configurations.Count.ShouldBe(3);
        fleet.Configurations.Single(c => c.OsBuild == "22631").Hosts.ShouldBe(6);
        // Each configuration's representative is in the canary ring, so none is uncovered early.
        fleet.Configurations.ShouldAllBe(c => c.CoveredByRings.Contains("canary") && !c.UncoveredEarly);
        fleet.Rings.Single(r => r.Ring == "general").Hosts.ShouldBe(8);
    }

    [Fact]
    public async Task Fleet_WithoutRepresentatives_FlagsConfigurationsNoEarlyRingCovers()
    {
        await using var h = await ServerHarness.StartAsync("sqlite", o => o with { RepresentativesFromRing = -1 });
        await h.EnrollAsync("7.10.1", "19045");
        var fleet = await h.SendOkAsync<FleetOverview>(HttpMethod.Get, Routes.Fleet, ServerHarness.AdminKey, null);
        var config = fleet.Configurations.Single();
        var bucket = Ringfence.Server.Rollouts.RolloutPlans.Bucket((await ListHostIds(h)).Single());
        config.UncoveredEarly.ShouldBe(bucket >= 500);
    }

    private static async Task<List<string>> ListHostIds(ServerHarness h)
    {
        await using var c = await h.Database.OpenAsync();
        return (await c.QueryAsync<string>("SELECT host_id FROM hosts")).AsList();
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
