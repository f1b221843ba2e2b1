using System.CommandLine;

namespace Ringfence.Cli.Commands;

/// <summary>`ringfence content ...`</summary>
public static class ContentCommands
{
    public static Command Create(CliEnvironment env)
    {
        _ = env;
        return new Command("content", "(not built yet)");
    }
}
