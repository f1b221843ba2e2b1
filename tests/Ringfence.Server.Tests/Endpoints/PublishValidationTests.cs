using System.Net;
using System.Text.Json;
using Ringfence.Protocol;
using Ringfence.Server.Tests.Fixtures;

namespace Ringfence.Server.Tests.Endpoints;

/// <summary>Publish runs Ringfence.Content's validator against the builds learned from check-ins.</summary>
public sealed class PublishValidationTests
{
    [Fact]
    public async Task Publish_ChannelFile291_WithFleetOn711_IsRefusedNamingFieldBuildsAndHostCounts()
    {
        await using var h = await ServerHarness.StartAsync("sqlite", realValidator: true);
        for (var i = 0; i < 3; i++)
            await h.EnrollAsync("win-7.11.18110", "22631");
        await h.EnrollAsync("win-7.10.17807", "19045");
        var content = await File.ReadAllTextAsync(ProtocolClient.ExamplePath("channel-291.json"));
        using var response = await h.Http.SendAsync(h.Request(HttpMethod.Post, Routes.ChannelFiles, ServerHarness.AdminKey, new PublishChannelFileRequest(content)));
        response.StatusCode.ShouldBe(HttpStatusCode.UnprocessableEntity);
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        doc.RootElement.GetProperty("type").GetString().ShouldBe(Routes.ProblemTypeBase + "content-rejected");
        var findings = doc.RootElement.GetProperty("findings").Deserialize<IReadOnlyList<ValidationFinding>>(ServerHarness.Json)!;
        var contract = findings.Where(f => f.Severity == "error" && f.AffectedBuilds is { Count: > 0 }).ToList();
        contract.ShouldNotBeEmpty();
        contract.ShouldContain(f => f.Location!.Contains("field 21") && f.AffectedBuilds!.Any(b => b.AgentBuild == "win-7.11.18110" && b.Hosts == 3));
        (await h.SendOkAsync<IReadOnlyList<ChannelFileDto>>(HttpMethod.Get, Routes.ChannelFiles, ServerHarness.AdminKey, null)).ShouldBeEmpty();
    }

    private const string EmptyProcessStart = """{ "id": "C-00000301", "templateType": "process-start", "version": 18, "instances": [] }""";
    private const string RetiringProcessStart = """{ "id": "C-00000301", "templateType": "process-start", "version": 18, "retire": true, "instances": [] }""";

    [Fact]
    public async Task Publish_EmptyChannelFileWithoutRetire_IsRefusedWithRF1011()
    {
        await using var h = await ServerHarness.StartAsync("sqlite", realValidator: true);
        await h.EnrollAsync("win-7.11.18110", "22631");

        using var response = await h.Http.SendAsync(h.Request(HttpMethod.Post, Routes.ChannelFiles, ServerHarness.AdminKey, new PublishChannelFileRequest(EmptyProcessStart)));

        response.StatusCode.ShouldBe(HttpStatusCode.UnprocessableEntity);
        (await response.Content.ReadAsStringAsync()).ShouldContain("RF1011");
        (await h.SendOkAsync<IReadOnlyList<ChannelFileDto>>(HttpMethod.Get, Routes.ChannelFiles, ServerHarness.AdminKey, null)).ShouldBeEmpty();
    }

    [Fact]
    public async Task Publish_RetiringChannelFile_PublishesAndItsRolloutNeedsTwoDistinctApprovers()
    {
        await using var h = await ServerHarness.StartAsync("sqlite", realValidator: true);
        await h.EnrollAsync("win-7.11.18110", "22631");
        var file = await h.SendOkAsync<ChannelFileDto>(HttpMethod.Post, Routes.ChannelFiles, ServerHarness.AdminKey, new PublishChannelFileRequest(RetiringProcessStart));
        file.Findings.ShouldContain(f => f.Code == "RF1013" && f.Severity == "warning");
        var rollout = await h.SendOkAsync<RolloutDto>(HttpMethod.Post, Routes.Rollouts, ServerHarness.AdminKey, new CreateRolloutRequest("C-00000301", 18));
        var alice = await h.CreateKeyAsync(OperatorRole.Approver, "alice");
        var bob = await h.CreateKeyAsync(OperatorRole.Approver, "bob");

        var first = await h.SendOkAsync<RolloutDto>(HttpMethod.Post, Routes.Rollout(rollout.Id) + "/approve", alice, new RolloutActionRequest());
        first.Status.ShouldBe(RolloutStatus.PendingApproval, "one approval does not start a rollout that retires its channel");
        using (var again = await h.Http.SendAsync(h.Request(HttpMethod.Post, Routes.Rollout(rollout.Id) + "/approve", alice, new RolloutActionRequest())))
        {
            again.StatusCode.ShouldBe(HttpStatusCode.Conflict);
            (await again.Content.ReadAsStringAsync()).ShouldContain("two distinct approvers");
        }
        var approved = await h.SendOkAsync<RolloutDto>(HttpMethod.Post, Routes.Rollout(rollout.Id) + "/approve", bob, new RolloutActionRequest());
        approved.Status.ShouldBe(RolloutStatus.Progressing);
        approved.Approvers.ShouldBe(["alice", "bob"]);
        approved.Emergency.ShouldBeFalse();
    }

    [Fact]
    public async Task Publish_GoodChannelFile_IsValidatedForTheFleetsBuilds()
    {
        await using var h = await ServerHarness.StartAsync("sqlite", realValidator: true);
        await h.EnrollAsync("win-7.11.18110", "22631");
        await h.EnrollAsync("lin-7.13.17106", "debian-12", "linux");
        var content = await File.ReadAllTextAsync(ProtocolClient.ExamplePath("good-channel.json"));
        var file = await h.SendOkAsync<ChannelFileDto>(HttpMethod.Post, Routes.ChannelFiles, ServerHarness.AdminKey, new PublishChannelFileRequest(content));
        file.Channel.ShouldBe("C-00000301");
        file.ValidatedBuilds.ShouldContain("win-7.11.18110");
        file.ValidatedBuilds.ShouldContain("lin-7.13.17106");
    }
}
