using System.CommandLine;
using Ringfence.Server.Auth;
using Ringfence.Server.Storage;

namespace Ringfence.Cli.Server;

/// <summary>
/// `ringfence admin issue-key`: a new admin API key written straight into the server's database, audited, printed
/// once. The way back in when the bootstrap key was lost or every admin key was revoked or expired.
/// </summary>
internal static class AdminCommand
{
    private static readonly Option<string> Name = new("--name") { Description = "Name of the new key (shown in the audit log)", DefaultValueFactory = _ => "recovered-admin" };

    public static Command Create(CliEnvironment env)
    {
        var admin = new Command("admin", "Server administration on its database (run where the data is)");
        var issue = new Command("issue-key", "Issue a new admin API key directly in the database (audited; shown once)");
        ServerSettings.AddTo(issue);
        issue.Options.Add(Name);
        issue.SetAction(async (parse, ct) =>
        {
            var options = ServerSettings.Load(parse, env);
            var name = parse.GetValue(Name)!;
            if (string.IsNullOrWhiteSpace(name) || name.Length > 64)
                throw new CliException($"--name '{name}': 1..64 characters");
            if (options.Provider == Ringfence.Server.Hosting.StorageProvider.Sqlite && string.IsNullOrWhiteSpace(options.ConnectionString)
                && !File.Exists(Path.Combine(options.DataDirectory, "ringfence.db")))
                throw new CliException($"{Path.Combine(options.DataDirectory, "ringfence.db")}: no database here (use --data DIR; start the server once first)");
            string id, key;
            try
            {
                var db = Database.FromOptions(options);
                await db.MigrateAsync(env.Time, ct: ct);
                (id, key) = await CredentialLifecycle.IssueAdminKeyAsync(db, env.Time, name, $"cli:{Environment.UserName}", ct);
            }
            catch (System.Data.Common.DbException ex)
            {
                throw new CliException($"cannot write the key: {ex.Message}");
            }
            env.Out.Profile.Out.Writer.WriteLine($"ringfence: admin API key {id} ('{name}') issued and audited (shown once, stored hashed):");
            env.Out.Profile.Out.Writer.WriteLine("  " + key);
            return ExitCodes.Ok;
        });
        admin.Subcommands.Add(issue);
        return admin;
    }
}
