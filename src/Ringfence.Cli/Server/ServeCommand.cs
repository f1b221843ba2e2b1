using System.CommandLine;
using Spectre.Console;
using Ringfence.Server.Hosting;

namespace Ringfence.Cli.Server;

/// <summary>`ringfence serve`: the production entry point.</summary>
internal static class ServeCommand
{
    public static Command Create(CliEnvironment env)
    {
        var command = new Command("serve", "Run the control plane (agent and operator APIs, controller) until stopped");
        ServerSettings.AddTo(command);
        command.SetAction(async (parse, ct) =>
        {
            var options = ServerSettings.Load(parse, env);
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct, env.Cancellation);
            RunningServer server;
            try
            {
                server = await RingfenceServer.StartAsync(options, env.Time, ct: stop.Token);
            }
            catch (Exception ex) when (ex is IOException or System.Net.Sockets.SocketException or System.Data.Common.DbException or ArgumentException
                or Ringfence.Trust.Keys.KeyDecryptionException or Ringfence.Trust.TrustException or Ringfence.Trust.Repository.RepositoryException)
            {
                throw new CliException($"cannot start the server: {ex.Message}");
            }
            await using (server)
            {
                env.Out.WriteLine($"ringfence: serving on {server.BaseAddress} ({options.Provider}{(options.Provider == StorageProvider.Sqlite ? ", data in " + options.DataDirectory : "")})");
                if (server.GeneratedAdminKey is { } key)
                    {
                    env.Out.WriteLine("ringfence: bootstrap admin API key (shown once, stored hashed):");
                    env.Out.WriteLine("  " + key);
                }
                if (server.UsableAdminKeys == 0)
                {
                    env.Out.Profile.Out.Writer.WriteLine("ringfence: no usable admin API key (the bootstrap key was never printed or was lost, or every admin key is revoked or expired).");
                    env.Out.Profile.Out.Writer.WriteLine($"ringfence: issue one with: ringfence admin issue-key {(options.Provider == StorageProvider.Sqlite ? "--data " + options.DataDirectory : "--provider postgres --connection-string ...")}");
                }
                if (server.GeneratedEnrollmentToken is { } token)
                    {
                    env.Out.WriteLine("ringfence: bootstrap enrollment token (shown once, stored hashed):");
                    env.Out.WriteLine("  " + token);
                }
                try
                {
                    using var stopping = CancellationTokenSource.CreateLinkedTokenSource(stop.Token, server.App.Lifetime.ApplicationStopping);
                    await Task.Delay(Timeout.Infinite, stopping.Token);
                }
                catch (OperationCanceledException)
                {
                }
                env.Out.WriteLine("ringfence: stopping");
            }
            return ExitCodes.Ok;
        });
        return command;
    }
}
