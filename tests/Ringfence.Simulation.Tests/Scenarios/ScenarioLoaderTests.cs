using System.Text;
using System.Text.Json.Nodes;
using Ringfence.Simulation.Scenarios;

namespace Ringfence.Simulation.Tests.Scenarios;

public class ScenarioLoaderTests
{
    private static string JulyJson => File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "scenarios", "july-19.json"));

    private static string Error(string json) =>
        Should.Throw<ScenarioException>(() => ScenarioLoader.Parse(Encoding.UTF8.GetBytes(json), "s.json")).Message;

    private static string Mutate(Action<JsonNode> change)
    {
        var node = JsonNode.Parse(JulyJson)!;
        change(node);
        return node.ToJsonString();
    }

    [Fact]
    public void Parse_ShippedJuly19_EqualsBuiltIn()
    {
        var parsed = ScenarioLoader.Parse(Encoding.UTF8.GetBytes(JulyJson), "july-19.json");
        parsed.Name.ShouldBe("july-19");
        parsed.ReleaseUtc.ShouldBe(new DateTimeOffset(2024, 7, 19, 4, 9, 0, TimeSpan.Zero));
        parsed.Fleet.Segments.Sum(s => s.Count).ShouldBeGreaterThanOrEqualTo(10_000_000);
        BuiltInScenarios.Get("july-19")!.Strategies.Select(s => s.Type).ShouldBe(parsed.Strategies.Select(s => s.Type));
    }

    [Fact]
    public void Parse_Malformed_OneLineWithPathAndLine()
    {
        var msg = Error("{\"name\": \"x\", \"fleet\": {,}}");
        msg.ShouldStartWith("s.json: $.fleet");
        msg.ShouldContain("line 1");
        msg.ShouldNotContain("\n");
    }

    [Fact]
    public void Parse_Truncated_OneLine()
    {
        var json = JulyJson;
        var msg = Error(json[..(json.Length / 2)]);
        msg.ShouldStartWith("s.json: $");
        msg.ShouldNotContain("\n");
        msg.ShouldNotContain("   at ");
    }

    [Fact]
    public void Parse_Oversized_RefusedBeforeParsing()
    {
        var big = new byte[ScenarioLoader.MaxBytes + 1];
        Should.Throw<ScenarioException>(() => ScenarioLoader.Parse(big, "big.json")).Message.ShouldStartWith("big.json: too large");
    }

    [Fact]
    public void Parse_Empty_OneLine() => Error("").ShouldBe("s.json: $: empty file");

    [Fact]
    public void Parse_UnknownStrategy_NamesPathAndKnownOnes()
    {
        var msg = Error(Mutate(n => n["strategies"]![1]!["type"] = "yolo"));
        msg.ShouldStartWith("s.json: $.strategies[1].type: unknown strategy 'yolo'");
        msg.ShouldContain("global-push");
    }

    [Fact]
    public void Parse_UnknownProperty_NamesPath()
    {
        Error(Mutate(n => n["fleet"]!["chekInMinutes"] = 5)).ShouldContain("$.fleet.chekInMinutes");
    }

    [Fact]
    public void Parse_WrongType_NamesPath()
    {
        Error(Mutate(n => n["fleet"]!["segments"]![0]!["count"] = "many")).ShouldContain("$.fleet.segments[0].count");
    }

    [Fact]
    public void Parse_MissingRequired_Fails()
    {
        Error(Mutate(n => n.AsObject().Remove("fleet"))).ShouldContain("fleet");
    }

    [Fact]
    public void Validate_SeveralErrors_AllReported()
    {
        var msg = Error(Mutate(n =>
        {
            n["durationHours"] = -1;
            n["fleet"]!["segments"]![0]!["os"] = "beos";
            n["content"]!["faults"]![0]!["kind"] = "gremlins";
        }));
        msg.ShouldContain("$.durationHours");
        msg.ShouldContain("(and 2 more)");
    }

    [Fact]
    public void Validate_AllErrorsAtOnce_ListsEach()
    {
        var s = ScenarioLoader.Parse(Encoding.UTF8.GetBytes(JulyJson), "x");
        var bad = s with { DurationHours = 0, Strategies = [] };
        var errors = ScenarioLoader.Validate(bad);
        errors.ShouldContain(e => e.StartsWith("$.durationHours", StringComparison.Ordinal));
        errors.ShouldContain(e => e.StartsWith("$.strategies", StringComparison.Ordinal));
    }

    [Fact]
    public void Load_BadChannelFile_NamesContentPath()
    {
        var json = Mutate(n => n["content"]!["channelFile"]!["instances"]![0]!["severity"] = "apocalyptic");
        var s = ScenarioLoader.Parse(Encoding.UTF8.GetBytes(json), "s.json");
        Should.Throw<ScenarioException>(() => Simulator.Run(s, new SimulationOptions { Scale = 0.0001 }, "s.json"))
            .Message.ShouldStartWith("s.json: $.content.channelFile");
    }

    [Fact]
    public void Parse_ShippedScenarios_AllValid()
    {
        foreach (var file in Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "scenarios"), "*.json"))
            Should.NotThrow(() => ScenarioLoader.Parse(File.ReadAllBytes(file), file), file);
    }
}
