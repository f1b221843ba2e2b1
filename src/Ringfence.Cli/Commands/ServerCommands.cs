using System.CommandLine;

namespace Ringfence.Cli.Commands;

/// <summary>`ringfence serve`, `ringfence demo`, `ringfence agent`, `ringfence audit ...`</summary>
public static class ServerCommands
{
    public static IEnumerable<Command> Create(CliEnvironment env)
    {
        return [AgentCommand.Create(env), DemoCommand.Create(env)];
    }
}
