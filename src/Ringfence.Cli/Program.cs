using Ringfence.Cli;

return CliApp.Run(args, CliEnvironment.FromConsole());
