namespace Ringfence.Cli.Tests.Commands;

public sealed class AgentCommandTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "ringfence-agentcmd-" + Guid.NewGuid().ToString("N"));
    private readonly StringWriter _out = new();
    private readonly StringWriter _error = new();

    public AgentCommandTests() => Directory.CreateDirectory(_dir);

    public void Dispose()
    {
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
            // best effort
        }
    }

    private int Run(params string[] args) =>
        CliApp.Run(args, new CliEnvironment { Out = CliEnvironment.PlainConsole(_out), Error = _error, WorkingDirectory = _dir, GetVariable = _ => null });

    [Theory]
    [InlineData("not a url")]
    [InlineData("ftp://127.0.0.1/")]
    [InlineData("/relative/path")]
    public void Agent_BadServerUrl_OneLineExit2(string url)
    {
        var exit = Run("agent", "--server", url, "--data", _dir, "--token", "t");

        exit.ShouldBe(ExitCodes.UsageOrIo);
        var lines = _error.ToString().Trim().Split('\n');
        lines.Length.ShouldBe(1);
        lines[0].ShouldStartWith($"error: --server '{url}'");
    }

    [Fact]
    public void Agent_MissingDataDirectory_OneLineExit2()
    {
        var exit = Run("agent", "--server", "http://127.0.0.1:1/", "--data", "nope", "--token", "t");

        exit.ShouldBe(ExitCodes.UsageOrIo);
        _error.ToString().Trim().ShouldBe($"error: --data {Path.Combine(_dir, "nope")}: directory does not exist (create it first)");
    }

    [Fact]
    public void Agent_CorruptStateFile_OneLineExit2NamingTheFile()
    {
        File.WriteAllText(Path.Combine(_dir, "agent-state.json"), "{\"hostname\": 12,");

        var exit = Run("agent", "--server", "http://127.0.0.1:1/", "--data", _dir, "--token", "t", "--duration", "5");

        exit.ShouldBe(ExitCodes.UsageOrIo);
        var text = _error.ToString().Trim();
        text.Split('\n').Length.ShouldBe(1);
        text.ShouldStartWith("error: agent state ");
        text.ShouldContain("agent-state.json");
    }

    [Fact]
    public void Agent_NoEnrollmentToken_OneLineExit2()
    {
        var exit = Run("agent", "--server", "http://127.0.0.1:1/", "--data", _dir);

        exit.ShouldBe(ExitCodes.UsageOrIo);
        _error.ToString().Trim().ShouldContain("RINGFENCE_ENROLLMENT_TOKEN");
    }

    [Theory]
    [InlineData("0")]
    [InlineData("100001")]
    public void Agent_SimulateOutOfRange_OneLineExit2(string n)
    {
        var exit = Run("agent", "--server", "http://127.0.0.1:1/", "--data", _dir, "--token", "t", "--simulate", n);

        exit.ShouldBe(ExitCodes.UsageOrIo);
        _error.ToString().Trim().ShouldBe($"error: --simulate {n}: must be between 1 and 100000");
    }

    [Fact]
    public void Agent_ServerDown_KeepsRunningUntilDurationThenSavesState()
    {
        var exit = Run("agent", "--server", "http://127.0.0.1:1/", "--data", _dir, "--token", "t", "--duration", "1.5");

        exit.ShouldBe(ExitCodes.Ok, _error.ToString());
        _out.ToString().ShouldContain("server unreachable");
        _out.ToString().ShouldContain("stopped; state saved");
        File.Exists(Path.Combine(_dir, "agent-state.json")).ShouldBeTrue();
    }

    [Fact]
    public void Agent_SimulateWithOneHostStateCorrupt_ReportsThatHostAndRunsTheOthers()
    {
        var broken = Path.Combine(_dir, "hosts", "000003");
        Directory.CreateDirectory(broken);
        File.WriteAllText(Path.Combine(broken, "agent-state.json"), "{\"hostname\": 12,");

        var exit = Run("agent", "--server", "http://127.0.0.1:1/", "--data", _dir, "--token", "t", "--simulate", "10", "--duration", "1.5");

        exit.ShouldBe(ExitCodes.Ok, _error.ToString());
        var lines = _out.ToString().Split('\n');
        lines.Where(l => l.StartsWith("host ", StringComparison.Ordinal)).ShouldHaveSingleItem().ShouldStartWith($"host 000003 ({broken}) failed: agent state ");
        _out.ToString().ShouldContain("9 simulated agents");
        _out.ToString().ShouldContain("1 of 10 failed to start");
        _out.ToString().ShouldContain("stopped; state saved");
    }
}
