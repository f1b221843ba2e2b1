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
