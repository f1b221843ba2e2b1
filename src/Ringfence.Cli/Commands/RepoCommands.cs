using System.CommandLine;

namespace Ringfence.Cli.Commands;

/// <summary>`ringfence repo ...`</summary>
public static class RepoCommands
{
    public static Command Create(CliEnvironment env)
    {
        _ = env;
        return new Command("repo", "(not built yet)");
    }
}
