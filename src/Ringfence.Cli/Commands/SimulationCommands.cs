using System.CommandLine;

namespace Ringfence.Cli.Commands;

/// <summary>`ringfence replay ...` and `ringfence simulate ...`</summary>
public static class SimulationCommands
{
    public static IEnumerable<Command> Create(CliEnvironment env)
    {
        _ = env;
        return [];
    }
}
