using System.CommandLine;
using Spectre.Console;
using Ringfence.Server.Audit;
using Ringfence.Server.Storage;

namespace Ringfence.Cli.Server;

/// <summary>
/// `ringfence audit verify`: walks the hash chain and checks it against every signed checkpoint, the one the TUF
/// metadata publishes, and any heads kept elsewhere (--expect-head); exit 0 when intact, 1 naming the first problem.
/// </summary>
internal static class AuditCommand
{
    private static readonly Option<string[]> ExpectHead = new("--expect-head")
    {
        Description = "A head kept outside the database: a checkpoint saved from GET /v1/audit/checkpoint, or a TUF targets.json from an agent or mirror (repeatable)",
        AllowMultipleArgumentsPerToken = false,
    };

    public static Command Create(CliEnvironment env)
    {
        var audit = new Command("audit", "Audit log tools");
        var verify = new Command("verify", "Check the audit log's hash chain and signed checkpoints (exit 0 intact, 1 broken)");
        ServerSettings.AddTo(verify);
        verify.Options.Add(ExpectHead);
        verify.SetAction(async (parse, ct) =>
        {
            var options = ServerSettings.Load(parse, env);
            if (options.Provider == Ringfence.Server.Hosting.StorageProvider.Sqlite && string.IsNullOrWhiteSpace(options.ConnectionString)
                && !File.Exists(Path.Combine(options.DataDirectory, "ringfence.db")))
                throw new CliException($"{Path.Combine(options.DataDirectory, "ringfence.db")}: no database here (use --data DIR)");
            var kept = new List<KeptHead>();
            foreach (var file in parse.GetValue(ExpectHead) ?? [])
            {
                var path = env.ResolvePath(file);
                try
                {
                    kept.Add(new KeptHead(AuditCheckpoint.ParseKeptHead(await File.ReadAllBytesAsync(path, ct)), $"the kept head {file}"));
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                {
                    throw new CliException($"{file}: {ex.Message}");
                }
                catch (FormatException ex)
                {
                    throw new CliException($"{file}: {ex.Message}");
                }
            }
            AuditChainResult result;
            try
            {
                var db = Database.FromOptions(options);
                await using var connection = await db.OpenAsync(ct);
                result = await AuditLog.VerifyAsync(connection, ct, kept);
            }
            catch (System.Data.Common.DbException ex)
            {
                throw new CliException($"cannot read the audit log: {ex.Message}");
            }
            if (result.Valid)
            {
                var signed = result.LastCheckpoint is { } last
                    ? $"; {result.CheckpointsChecked} signed head(s) checked, newest at entry {last.Seq}, {result.UnsignedEntries} newer entries not signed yet"
                    : "; no signed checkpoint yet";
                env.Out.Profile.Out.Writer.WriteLine($"audit log intact: {result.EntriesChecked} entries{signed}");
                return ExitCodes.Ok;
            }
            // Written unwrapped: one line, whatever the console width.
            env.Out.Profile.Out.Writer.WriteLine($"audit log broken at {result.Problem}");
            return ExitCodes.Rejected;
        });
        audit.Subcommands.Add(verify);
        return audit;
    }
}
