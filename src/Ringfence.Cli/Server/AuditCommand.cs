using System.CommandLine;
using Spectre.Console;
using Ringfence.Server.Audit;
using Ringfence.Server.Storage;

namespace Ringfence.Cli.Server;

/// <summary>`ringfence audit verify`: walks the hash chain; exit 0 when intact, 1 naming the first broken entry.</summary>
internal static class AuditCommand
{
    public static Command Create(CliEnvironment env)
    {
        var audit = new Command("audit", "Audit log tools");
        var verify = new Command("verify", "Check the audit log's hash chain (exit 0 intact, 1 broken)");
        ServerSettings.AddTo(verify);
        verify.SetAction(async (parse, ct) =>
        {
            var options = ServerSettings.Load(parse, env);
            if (options.Provider == Ringfence.Server.Hosting.StorageProvider.Sqlite && string.IsNullOrWhiteSpace(options.ConnectionString)
                && !File.Exists(Path.Combine(options.DataDirectory, "ringfence.db")))
                throw new CliException($"{Path.Combine(options.DataDirectory, "ringfence.db")}: no database here (use --data DIR)");
            AuditChainResult result;
            try
            {
                var db = Database.FromOptions(options);
                await using var connection = await db.OpenAsync(ct);
                result = await AuditLog.VerifyAsync(connection, ct);
            }
            catch (System.Data.Common.DbException ex)
            {
                throw new CliException($"cannot read the audit log: {ex.Message}");
            }
            if (result.Valid)
            {
                env.Out.WriteLine($"audit log intact: {result.EntriesChecked} entries");
                return ExitCodes.Ok;
            }
            env.Out.WriteLine($"audit log broken at {result.Problem}");
            return ExitCodes.Rejected;
        });
        audit.Subcommands.Add(verify);
        return audit;
    }
}
