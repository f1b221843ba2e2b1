using Spectre.Console;

namespace Ringfence.Cli;

/// <summary>Everything a command touches outside itself, so tests run commands in-process and read what they print.</summary>
public sealed class CliEnvironment
{
    public required IAnsiConsole Out { get; init; }
    public required TextWriter Error { get; init; }
    public TextReader In { get; init; } = TextReader.Null;
    public TimeProvider Time { get; init; } = TimeProvider.System;
    public Func<string, string?> GetVariable { get; init; } = Environment.GetEnvironmentVariable;
    public string WorkingDirectory { get; init; } = Directory.GetCurrentDirectory();

    /// <summary>Ctrl+C, or a test asking a long-running command to stop.</summary>
    public CancellationToken Cancellation { get; init; }

    public static CliEnvironment FromConsole()
    {
        var cts = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) => { e.Cancel = true; cts.Cancel(); };
        // Redirected output is for files and other programs: no colour codes, and tables not squeezed into 80 columns.
        var console = AnsiConsole.Console;
        if (Console.IsOutputRedirected)
        {
            console = PlainConsole(Console.Out);
            console.Profile.Width = 160;
        }
        return new CliEnvironment
        {
            Out = console,
            Error = Console.Error,
            In = Console.In,
            Cancellation = cts.Token,
        };
    }

    /// <summary>A plain, uncoloured console writing into <paramref name="writer"/>, as when output is redirected.</summary>
    public static IAnsiConsole PlainConsole(TextWriter writer) => AnsiConsole.Create(new AnsiConsoleSettings
    {
        Ansi = AnsiSupport.No,
        ColorSystem = ColorSystemSupport.NoColors,
        Interactive = InteractionSupport.No,
        Out = new AnsiConsoleOutput(writer),
    });

    public string ResolvePath(string path) => Path.GetFullPath(path, WorkingDirectory);
}
