using System.CommandLine;
using Ringfence.Cli.Commands;

namespace Ringfence.Cli;

/// <summary>Exit codes shared by every command.</summary>
public static class ExitCodes
{
    public const int Ok = 0;
    /// <summary>The command ran and said no: content rejected, repository not valid, audit chain broken.</summary>
    public const int Rejected = 1;
    /// <summary>Usage, input or I/O error.</summary>
    public const int UsageOrIo = 2;
}

/// <summary>A failure the user can fix: printed as one line, exit code 2, never a stack trace.</summary>
public sealed class CliException(string message) : Exception(message);

public static class CliApp
{
    public static int Run(string[] args, CliEnvironment env)
    {
        var root = new RootCommand("ringfence: safe deployment of endpoint-agent content");
        root.Subcommands.Add(ContentCommands.Create(env));
        root.Subcommands.Add(RepoCommands.Create(env));
        foreach (var command in SimulationCommands.Create(env))
            root.Subcommands.Add(command);
        foreach (var command in ServerCommands.Create(env))
            root.Subcommands.Add(command);

        var parsed = root.Parse(args);
        if (parsed.Errors.Count > 0)
        {
            env.Error.WriteLine($"error: {parsed.Errors[0].Message} (try --help)");
            return ExitCodes.UsageOrIo;
        }

        try
        {
            return parsed.Invoke(new InvocationConfiguration { Output = env.Out.Profile.Out.Writer, Error = env.Error, EnableDefaultExceptionHandler = false });
        }
        catch (CliException ex)
        {
            env.Error.WriteLine($"error: {ex.Message}");
            return ExitCodes.UsageOrIo;
        }
        catch (OperationCanceledException)
        {
            env.Error.WriteLine("error: cancelled");
            return ExitCodes.UsageOrIo;
        }
        catch (IOException ex)
        {
            env.Error.WriteLine($"error: {ex.Message}");
            return ExitCodes.UsageOrIo;
        }
        catch (UnauthorizedAccessException ex)
        {
            env.Error.WriteLine($"error: {ex.Message}");
            return ExitCodes.UsageOrIo;
        }
    }
}
