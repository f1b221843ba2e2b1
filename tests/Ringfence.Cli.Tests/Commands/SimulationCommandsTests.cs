using System.Text.Json;
using Ringfence.Cli;

namespace Ringfence.Cli.Tests.Commands;

public sealed class SimulationCommandsTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("ringfence-sim-cli-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private (int Code, string Out, string Err) Run(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var env = new CliEnvironment { Out = CliEnvironment.PlainConsole(output), Error = error, WorkingDirectory = _dir };
        var code = CliApp.Run(args, env);
        return (code, output.ToString(), error.ToString());
    }

    private string SmallScenario(Action<System.Text.Json.Nodes.JsonNode>? change = null)
    {
        var repo = AppContext.BaseDirectory;
        var node = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(repo, "scenarios", "july-19.json")))!;
        node["durationHours"] = 12;
        change?.Invoke(node);
        var path = Path.Combine(_dir, "s.json");
        File.WriteAllText(path, node.ToJsonString());
        return path;
    }

    [Fact]
    public void Replay_July19SmallScale_PrintsTableAndWritesJsonAndReport()
    {
        var (code, output, err) = Run("replay", "july-19", "--scale", "0.001", "--seed", "3", "--json", "out.json", "--report", "r.html");
        code.ShouldBe(0, err);
        output.ShouldContain("global-push");
        output.ShouldContain("ringfence-legacy-agents");
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(_dir, "out.json")));
        doc.RootElement.GetProperty("seed").GetInt32().ShouldBe(3);
        doc.RootElement.GetProperty("strategies").GetArrayLength().ShouldBe(5);
        var html = File.ReadAllText(Path.Combine(_dir, "r.html"));
        html.ShouldContain("<svg");
        html.ShouldContain("Decision timeline");
    }

    [Fact]
    public void Replay_UnknownScenario_Exit2OneLine()
    {
        var (code, _, err) = Run("replay", "july-20");
        code.ShouldBe(2);
        err.Trim().ShouldStartWith("error: no built-in scenario 'july-20'");
        err.Trim().ShouldNotContain("\n");
    }

    [Fact]
    public void Simulate_File_SameSeedSameJson()
    {
        var path = SmallScenario(n => n["strategies"] = System.Text.Json.Nodes.JsonNode.Parse("[{\"name\":\"gp\",\"type\":\"global-push\"}]"));
        Run("simulate", path, "--scale", "0.001", "--json", "a.json").Code.ShouldBe(0);
        Run("simulate", path, "--scale", "0.001", "--json", "b.json").Code.ShouldBe(0);
        File.ReadAllText(Path.Combine(_dir, "a.json")).ShouldBe(File.ReadAllText(Path.Combine(_dir, "b.json")));
    }

    [Fact]
    public void Simulate_UnknownStrategy_Exit2NamingFileAndPath()
    {
        var path = SmallScenario(n => n["strategies"]![0]!["type"] = "yolo");
        var (code, _, err) = Run("simulate", "s.json", "--scale", "0.001");
        code.ShouldBe(2);
        err.ShouldStartWith("error: s.json: $.strategies[0].type: unknown strategy 'yolo'");
        err.Trim().ShouldNotContain("\n");
        _ = path;
    }

    [Fact]
    public void Simulate_Malformed_Exit2()
    {
        File.WriteAllText(Path.Combine(_dir, "bad.json"), "{\"name\": ");
        var (code, _, err) = Run("simulate", "bad.json");
        code.ShouldBe(2);
        err.ShouldStartWith("error: bad.json: $");
        err.ShouldNotContain("   at ");
    }

    [Fact]
    public void Simulate_Oversized_Exit2()
    {
        File.WriteAllBytes(Path.Combine(_dir, "big.json"), new byte[5 * 1024 * 1024]);
        var (code, _, err) = Run("simulate", "big.json");
        code.ShouldBe(2);
        err.ShouldStartWith("error: big.json: too large");
    }

    [Fact]
    public void Simulate_MissingFile_Exit2()
    {
        var (code, _, err) = Run("simulate", "nope.json");
        code.ShouldBe(2);
        err.ShouldStartWith("error: nope.json: no such file");
    }

    [Fact]
    public void Replay_BadScale_Exit2AndNoFileWritten()
    {
        var (code, _, err) = Run("replay", "july-19", "--scale", "0", "--json", "out.json");
        code.ShouldBe(2);
        err.ShouldContain("--scale");
        File.Exists(Path.Combine(_dir, "out.json")).ShouldBeFalse();
    }
}
