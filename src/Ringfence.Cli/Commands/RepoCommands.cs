using System.CommandLine;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Logging;
using Ringfence.Server.Tuf;
using Ringfence.Trust;
using Ringfence.Trust.Keys;
using Ringfence.Trust.Metadata;
using Ringfence.Trust.Repository;

namespace Ringfence.Cli.Commands;

/// <summary>
/// `ringfence repo ...`: create, sign, rotate, verify and serve a TUF repository of content.
/// Private keys live encrypted under DIR/keys (or --keys): offline/ for root keys, online/ for the others.
/// </summary>
public static class RepoCommands
{
    public const string PassphraseVariable = "RINGFENCE_KEY_PASSPHRASE";
    private const int MinimumPassphraseLength = 8;
    private const long MaxTargetFileBytes = 256L * 1024 * 1024;

    public static Command Create(CliEnvironment env)
    {
        var repo = new Command("repo", "Manage the signed (TUF) update repository: keys, targets, metadata, verification, serving");
        repo.Subcommands.Add(Init(env));
        repo.Subcommands.Add(AddTarget(env));
        repo.Subcommands.Add(AddKnownBad(env));
        repo.Subcommands.Add(Sign(env));
        repo.Subcommands.Add(RotateKey(env));
        repo.Subcommands.Add(RefreshTimestamp(env));
        repo.Subcommands.Add(Verify(env));
        repo.Subcommands.Add(Serve(env));
        return repo;
    }

    private static Argument<string> DirArgument() => new("DIR") { Description = "Repository directory (metadata/ and targets/)" };

    private static Option<string?> KeysOption() => new("--keys") { Description = "Directory of encrypted private keys (default: DIR/keys)" };

    private static Command Init(CliEnvironment env)
    {
        var dir = DirArgument();
        var keys = KeysOption();
        var rootKeys = new Option<int>("--root-keys") { Description = "Number of offline root keys", DefaultValueFactory = _ => 3 };
        var threshold = new Option<int>("--threshold") { Description = "Root keys needed to sign a new root", DefaultValueFactory = _ => 2 };
        var keyType = new Option<string>("--key-type") { Description = "ecdsa (ecdsa-sha2-nistp256) or ed25519", DefaultValueFactory = _ => "ecdsa" };
        var iterations = new Option<int>("--kdf-iterations") { Description = "PBKDF2 iterations for the key files", DefaultValueFactory = _ => KeyEncryption.DefaultIterations };
        var command = new Command("init", "Create a repository: offline root keys (default 2 of 3), online targets/snapshot/timestamp keys, first metadata");
        command.Arguments.Add(dir);
        foreach (var option in new Option[] { keys, rootKeys, threshold, keyType, iterations })
            command.Options.Add(option);
        command.SetAction(parse =>
        {
            var directory = env.ResolvePath(parse.GetValue(dir)!);
            var count = parse.GetValue(rootKeys);
            var needed = parse.GetValue(threshold);
            var rounds = parse.GetValue(iterations);
            if (count is < 1 or > 16)
                throw new CliException($"--root-keys must be between 1 and 16, was {count}");
            if (needed < 1 || needed > count)
                throw new CliException($"--threshold must be between 1 and --root-keys ({count}), was {needed}");
            if (rounds is < KeyEncryption.MinimumIterations or > KeyEncryption.MaximumIterations)
                throw new CliException($"--kdf-iterations must be between {KeyEncryption.MinimumIterations} and {KeyEncryption.MaximumIterations}, was {rounds}");
            var algorithm = ParseKeyType(parse.GetValue(keyType)!);
            if (File.Exists(Path.Combine(directory, "metadata", "root.json")))
                throw new CliException($"{directory}: already holds a repository (metadata/root.json exists)");
            var passphrase = Passphrase(env, forNewKeys: true);
            var keyStore = new RepositoryKeyStore(KeysDirectory(env, parse.GetValue(keys), directory));

            var roots = Enumerable.Range(0, count).Select(_ => SigningKey.Generate(algorithm)).ToList();
            using var ring = new KeyRing([.. roots, SigningKey.Generate(algorithm), SigningKey.Generate(algorithm), SigningKey.Generate(algorithm)]);
            var all = ring.Keys.ToList();
            var (targetsKey, snapshotKey, timestampKey) = (all[count], all[count + 1], all[count + 2]);
            // Keys first: a repository whose keys were not saved could never be signed again.
            foreach (var key in roots)
                keyStore.Save(key, Roles.Root, passphrase, rounds);
            keyStore.Save(targetsKey, Roles.Targets, passphrase, rounds);
            keyStore.Save(snapshotKey, Roles.Snapshot, passphrase, rounds);
            keyStore.Save(timestampKey, Roles.Timestamp, passphrase, rounds);
            var repository = TufRepository.Create(new FileSystemRepositoryStore(directory), roots, needed, targetsKey, snapshotKey, timestampKey, env.Time);

            Say(env, $"initialised {directory}: root {needed} of {count} ({KeyTypeName(algorithm)}), consistent snapshots");
            Say(env, $"root keys (keep offline): {Path.Combine(keyStore.Directory, "offline")}");
            Say(env, $"pin this root at enrollment: {Path.Combine(directory, "metadata", "1.root.json")} (sha256 {Hex.Sha256(repository.Root.Raw)})");
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command AddTarget(CliEnvironment env)
    {
        var dir = DirArgument();
        var file = new Argument<string>("FILE") { Description = "File to publish (a channel file)" };
        var name = new Option<string?>("--name") { Description = "Target path in the repository (default: the file name)" };
        var keys = KeysOption();
        var command = new Command("add-target", "Publish a file as a target, then sign new targets, snapshot and timestamp metadata");
        command.Arguments.Add(dir);
        command.Arguments.Add(file);
        command.Options.Add(name);
        command.Options.Add(keys);
        command.SetAction(parse =>
        {
            var directory = RequireRepository(env, parse.GetValue(dir)!);
            var path = env.ResolvePath(parse.GetValue(file)!);
            if (!File.Exists(path))
                throw new CliException($"{path}: no such file");
            if (new FileInfo(path).Length > MaxTargetFileBytes)
                throw new CliException($"{path}: larger than {MaxTargetFileBytes} bytes");
            var targetPath = parse.GetValue(name) ?? Path.GetFileName(path);
            var content = File.ReadAllBytes(path);
            return WithRepository(env, directory, parse.GetValue(keys), [Roles.Targets, Roles.Snapshot, Roles.Timestamp], (repository, ring) =>
            {
                var info = repository.AddTarget(targetPath, content, ring);
                Say(env, $"added {targetPath}: {info.Length} bytes, sha256 {info.Sha256}; targets v{repository.Targets.Signed.Version}, snapshot v{repository.Snapshot.Signed.Version}, timestamp v{repository.Timestamp.Signed.Version}");
            });
        });
        return command;
    }

    private static Command AddKnownBad(CliEnvironment env)
    {
        var dir = DirArgument();
        var hash = new Argument<string>("SHA256") { Description = "Content hash agents must never load" };
        var reason = new Option<string>("--reason") { Description = "Why (shown to operators)", DefaultValueFactory = _ => "marked known-bad" };
        var keys = KeysOption();
        var command = new Command("add-known-bad", "Add a content hash to the signed known-bad list and publish it");
        command.Arguments.Add(dir);
        command.Arguments.Add(hash);
        command.Options.Add(reason);
        command.Options.Add(keys);
        command.SetAction(parse =>
        {
            var directory = RequireRepository(env, parse.GetValue(dir)!);
            var sha256 = parse.GetValue(hash)!;
            if (!Hex.IsSha256(sha256))
                throw new CliException($"\"{sha256}\" is not a SHA-256 (64 hex digits)");
            return WithRepository(env, directory, parse.GetValue(keys), [Roles.Targets, Roles.Snapshot, Roles.Timestamp], (repository, ring) =>
            {
                var list = repository.AddKnownBad(sha256, parse.GetValue(reason)!, ring);
                Say(env, $"known-bad list: {list.Entries.Count} hash(es); targets v{repository.Targets.Signed.Version}");
            });
        });
        return command;
    }

    private static Command Sign(CliEnvironment env)
    {
        var dir = DirArgument();
        var keys = KeysOption();
        var root = new Option<bool>("--root") { Description = "Also sign a new root version with a threshold of the offline root keys" };
        var command = new Command("sign", "Re-sign targets, snapshot and timestamp with new versions and fresh expiry dates");
        command.Arguments.Add(dir);
        command.Options.Add(keys);
        command.Options.Add(root);
        command.SetAction(parse =>
        {
            var directory = RequireRepository(env, parse.GetValue(dir)!);
            var withRoot = parse.GetValue(root);
            string[] roles = withRoot ? [Roles.Root, Roles.Targets, Roles.Snapshot, Roles.Timestamp] : [Roles.Targets, Roles.Snapshot, Roles.Timestamp];
            return WithRepository(env, directory, parse.GetValue(keys), roles, (repository, ring) =>
            {
                if (withRoot)
                    repository.RenewRoot(ring);
                repository.ResignOnlineRoles(ring);
                Say(env, $"signed: root v{repository.Root.Signed.Version}, targets v{repository.Targets.Signed.Version}, snapshot v{repository.Snapshot.Signed.Version}, timestamp v{repository.Timestamp.Signed.Version}");
            });
        });
        return command;
    }

    private static Command RotateKey(CliEnvironment env)
    {
        var dir = DirArgument();
        var role = new Argument<string>("ROLE") { Description = "root, targets, snapshot or timestamp" };
        var replace = new Option<string?>("--replace") { Description = "Key id (or its first characters) to replace; default: the role's first key" };
        var keyType = new Option<string>("--key-type") { Description = "ecdsa or ed25519", DefaultValueFactory = _ => "ecdsa" };
        var iterations = new Option<int>("--kdf-iterations") { Description = "PBKDF2 iterations for the new key file", DefaultValueFactory = _ => KeyEncryption.DefaultIterations };
        var keys = KeysOption();
        var command = new Command("rotate-key", "Replace a key of a role: new root signed by old and new root keys, then the role re-signed");
        command.Arguments.Add(dir);
        command.Arguments.Add(role);
        foreach (var option in new Option[] { replace, keyType, iterations, keys })
            command.Options.Add(option);
        command.SetAction(parse =>
        {
            var directory = RequireRepository(env, parse.GetValue(dir)!);
            var roleName = parse.GetValue(role)!;
            if (!Roles.IsTopLevel(roleName))
                throw new CliException($"unknown role \"{roleName}\": use root, targets, snapshot or timestamp");
            var algorithm = ParseKeyType(parse.GetValue(keyType)!);
            var rounds = parse.GetValue(iterations);
            if (rounds is < KeyEncryption.MinimumIterations or > KeyEncryption.MaximumIterations)
                throw new CliException($"--kdf-iterations must be between {KeyEncryption.MinimumIterations} and {KeyEncryption.MaximumIterations}, was {rounds}");
            var keysDirectory = KeysDirectory(env, parse.GetValue(keys), directory);
            return WithRepository(env, directory, parse.GetValue(keys), [Roles.Root, Roles.Targets, Roles.Snapshot, Roles.Timestamp], (repository, ring) =>
            {
                var current = repository.Root.Signed.For(roleName).KeyIds;
                var prefix = parse.GetValue(replace);
                var old = prefix is null ? current[0] : current.FirstOrDefault(id => id.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
                    ?? throw new CliException($"no {roleName} key id starts with \"{prefix}\"");
                var newKey = SigningKey.Generate(algorithm);
                var keyStore = new RepositoryKeyStore(keysDirectory);
                keyStore.Save(newKey, roleName, Passphrase(env, forNewKeys: false), rounds);
                repository.RotateKey(roleName, newKey, ring, old);
                keyStore.Retire(old);
                Say(env, $"rotated {roleName}: {old[..16]} -> {newKey.KeyId[..16]}; root v{repository.Root.Signed.Version}");
            });
        });
        return command;
    }

    private static Command RefreshTimestamp(CliEnvironment env)
    {
        var dir = DirArgument();
        var keys = KeysOption();
        var command = new Command("refresh-timestamp", "Sign a new timestamp with a fresh expiry (run it more often than the timestamp expires)");
        command.Arguments.Add(dir);
        command.Options.Add(keys);
        command.SetAction(parse =>
        {
            var directory = RequireRepository(env, parse.GetValue(dir)!);
            return WithRepository(env, directory, parse.GetValue(keys), [Roles.Timestamp], (repository, ring) =>
            {
                repository.RefreshTimestamp(ring);
                Say(env, $"timestamp v{repository.Timestamp.Signed.Version}, expires {SignedPart.FormatExpires(repository.Timestamp.Signed.Expires)}");
            });
        });
        return command;
    }

    private static Command Verify(CliEnvironment env)
    {
        var dir = DirArgument();
        var command = new Command("verify", "Check the repository as a client pinned to its first root would: signatures, versions, expiry, every target's length and hash");
        command.Arguments.Add(dir);
        command.SetAction(async (parse, cancellationToken) =>
        {
            var directory = RequireRepository(env, parse.GetValue(dir)!);
            try
            {
                var report = await RepositoryVerifier.VerifyAsync(new FileSystemRepositoryStore(directory), env.Time, cancellationToken);
                Say(env, $"ok: root v{report.RootVersion}, targets v{report.TargetsVersion} ({report.TargetCount} targets, {report.KnownBadCount} known-bad), snapshot v{report.SnapshotVersion}, timestamp v{report.TimestampVersion}");
                return ExitCodes.Ok;
            }
            catch (TrustException ex)
            {
                env.Error.WriteLine($"refused: {Describe(ex)}");
                return ExitCodes.Rejected;
            }
        });
        return command;
    }

    private static Command Serve(CliEnvironment env)
    {
        var dir = DirArgument();
        var urls = new Option<string>("--urls") { Description = "Where to listen", DefaultValueFactory = _ => "http://127.0.0.1:8470" };
        var command = new Command("serve", "Serve the repository over HTTP at /metadata/… and /targets/… until stopped");
        command.Arguments.Add(dir);
        command.Options.Add(urls);
        command.SetAction(async (parse, cancellationToken) =>
        {
            var directory = RequireRepository(env, parse.GetValue(dir)!);
            var url = parse.GetValue(urls)!;
            if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
                throw new CliException($"--urls: \"{url}\" is not an http(s) URL");
            var builder = WebApplication.CreateSlimBuilder();
            builder.Logging.ClearProviders();
            builder.WebHost.UseUrls(url);
            await using var app = builder.Build();
            app.MapTufRepository(new FileSystemRepositoryStore(directory));
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, env.Cancellation);
            try
            {
                await app.StartAsync(linked.Token);
            }
            catch (IOException ex)
            {
                throw new CliException($"cannot listen on {url}: {ex.Message}");
            }
            Say(env, $"serving {directory} at {string.Join(", ", app.Urls)}");
            try
            {
                await Task.Delay(Timeout.Infinite, linked.Token);
            }
            catch (OperationCanceledException)
            {
                // Stopped by Ctrl+C or the caller.
            }
            await app.StopAsync(CancellationToken.None);
            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>Writes one unwrapped line (Spectre would wrap at the console width, splitting hashes and paths).</summary>
    private static void Say(CliEnvironment env, string line) => env.Out.Profile.Out.Writer.WriteLine(line);

    private static int WithRepository(CliEnvironment env, string directory, string? keysOption, string[] roles, Action<TufRepository, KeyRing> action)
    {
        try
        {
            var store = new FileSystemRepositoryStore(directory);
            var repository = TufRepository.Open(store, env.Time);
            var passphrase = Passphrase(env, forNewKeys: false);
            using var ring = new RepositoryKeyStore(KeysDirectory(env, keysOption, directory)).Load(passphrase, repository.Root.Signed, roles);
            action(repository, ring);
            return ExitCodes.Ok;
        }
        catch (TrustException ex)
        {
            throw new CliException($"{directory}: {Describe(ex)}");
        }
        catch (RepositoryException ex)
        {
            throw new CliException($"{directory}: {ex.Message}");
        }
        catch (KeyDecryptionException ex)
        {
            throw new CliException(ex.Message);
        }
    }

    private static string Describe(TrustException ex) => ex switch
    {
        HashMismatchException h => $"target {h.What}: {h.Check} ({ex.Failure})",
        EndlessDataException e => $"{e.What}: more than {e.Limit} bytes ({ex.Failure})",
        _ => ex.Message,
    };

    private static string RequireRepository(CliEnvironment env, string dir)
    {
        var directory = env.ResolvePath(dir);
        if (!Directory.Exists(directory))
            throw new CliException($"{directory}: no such directory");
        if (!File.Exists(Path.Combine(directory, "metadata", "1.root.json")))
            throw new CliException($"{directory}: not a repository (metadata/1.root.json missing; run `ringfence repo init`)");
        return directory;
    }

    private static string KeysDirectory(CliEnvironment env, string? option, string repository) =>
        option is null ? Path.Combine(repository, "keys") : env.ResolvePath(option);

    private static string Passphrase(CliEnvironment env, bool forNewKeys)
    {
        var passphrase = env.GetVariable(PassphraseVariable);
        if (string.IsNullOrEmpty(passphrase))
        {
            env.Error.Write("key passphrase: ");
            passphrase = env.In.ReadLine();
        }
        if (string.IsNullOrEmpty(passphrase))
            throw new CliException($"no key passphrase: set {PassphraseVariable} or type it on standard input");
        if (forNewKeys && passphrase.Length < MinimumPassphraseLength)
            throw new CliException($"the key passphrase must have at least {MinimumPassphraseLength} characters");
        return passphrase;
    }

    private static KeyAlgorithm ParseKeyType(string keyType) => keyType.ToLowerInvariant() switch
    {
        "ecdsa" or "ecdsa-sha2-nistp256" => KeyAlgorithm.EcdsaP256,
        "ed25519" => KeyAlgorithm.Ed25519,
        _ => throw new CliException($"--key-type: \"{keyType}\" is not ecdsa or ed25519"),
    };

    private static string KeyTypeName(KeyAlgorithm algorithm) => algorithm == KeyAlgorithm.EcdsaP256 ? KeySchemes.EcdsaScheme : KeySchemes.Ed25519Scheme;
}
