using Ringfence.Agent.Runtime;
using Ringfence.Agent.Swarm;
using Ringfence.Agent.Tests.Runtime;

namespace Ringfence.Agent.Tests.Swarm;

public sealed class AgentSwarmTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private AgentSwarmSetup Setup(int count, Action<SwarmHostFailure>? onFailed = null) => new()
    {
        Options = new AgentRuntimeOptions { Server = new Uri("http://127.0.0.1:1/"), DurableWrites = false },
        DataDirectory = _dir.Path,
        Count = count,
        Catalog = TestContent.Catalog,
        OnHostFailed = onFailed,
    };

    [Fact]
    public void Create_OneHostStateCorrupt_ReportsItAndOpensTheOthers()
    {
        var broken = Path.Combine(_dir.Path, "hosts", "000002");
        Directory.CreateDirectory(broken);
        File.WriteAllText(Path.Combine(broken, AgentStateStore.StateFileName), "[");
        var told = new List<SwarmHostFailure>();

        using var swarm = AgentSwarm.Create(Setup(5, told.Add));

        swarm.Agents.Count.ShouldBe(4);
        var failure = swarm.Failures.ShouldHaveSingleItem();
        failure.Index.ShouldBe(2);
        failure.Directory.ShouldBe(broken);
        failure.Reason.ShouldContain(AgentStateStore.StateFileName);
        failure.Reason.ShouldNotContain("\n");
        told.ShouldBe([failure]);
        swarm.Summarize().Failed.ShouldBe(1);
    }

    [Fact]
    public void Create_AllHostsHealthy_NoFailures()
    {
        using var swarm = AgentSwarm.Create(Setup(3));

        swarm.Agents.Count.ShouldBe(3);
        swarm.Failures.ShouldBeEmpty();
    }
}
