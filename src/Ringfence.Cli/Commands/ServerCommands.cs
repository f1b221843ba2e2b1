using System.CommandLine;
using Ringfence.Cli.Server;

namespace Ringfence.Cli.Commands;

/// <summary>
/// The control-plane commands. Each command is built by its own class so others (`agent`, `demo`) can be added in
/// their own files by appending to <see cref="Builders"/>.
/// </summary>
public static class ServerCommands
{
    /// <summary>One factory per top-level command.</summary>
    public static List<Func<CliEnvironment, Command>> Builders { get; } =
    [
        ServeCommand.Create,
        AuditCommand.Create,
        AdminCommand.Create,
        AgentCommand.Create,
        DemoCommand.Create,
    ];

    public static IEnumerable<Command> Create(CliEnvironment env) => Builders.Select(build => build(env));
}
