using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Microsoft.Extensions.Time.Testing;
using Ringfence.Cli;

namespace Ringfence.Cli.Tests.Commands;

public sealed class RepoCommandsTests : IDisposable
{
    private const string Passphrase = "correct horse battery staple";
    private readonly string _dir = Directory.CreateTempSubdirectory("ringfence-repo-cli-").FullName;
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2024, 7, 19, 4, 9, 0, TimeSpan.Zero));
    private string? _passphrase = Passphrase;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private sealed record Result(int Exit, string Out, string Error)
    {
        public string[] ErrorLines => Error.Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }

    private Result Run(string stdin, CancellationToken cancellation, params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var env = new CliEnvironment
        {
            Out = CliEnvironment.PlainConsole(output),
            Error = error,
            In = new StringReader(stdin),
            Time = _clock,
            GetVariable = name => name == "RINGFENCE_KEY_PASSPHRASE" ? _passphrase : null,
            WorkingDirectory = _dir,
            Cancellation = cancellation,
        };
        var exit = CliApp.Run(args, env);
        return new Result(exit, output.ToString(), error.ToString());
    }

    private Result Run(params string[] args) => Run("", CancellationToken.None, args);

    private void InitWithTarget()
    {
        Run("repo", "init", "repo", "--kdf-iterations", "10000").Exit.ShouldBe(ExitCodes.Ok);
        File.WriteAllText(Path.Combine(_dir, "C-00000291.rfc"), "channel file 291 contents");
        var added = Run("repo", "add-target", "repo", "C-00000291.rfc");
        added.Exit.ShouldBe(ExitCodes.Ok, added.Error);
    }

    private string TargetFile() => Directory.GetFiles(Path.Combine(_dir, "repo", "targets"), "*.C-00000291.rfc").Single();

    [Fact]
    public void Verify_AfterInitAndAddTarget_Accepts()
    {
        InitWithTarget();

        var verify = Run("repo", "verify", "repo");

        verify.Exit.ShouldBe(ExitCodes.Ok, verify.Error);
        verify.Out.ShouldContain("ok: root v1, targets v2 (2 targets, 0 known-bad)");
        File.Exists(Path.Combine(_dir, "repo", "metadata", "2.targets.json")).ShouldBeTrue();
        Directory.GetFiles(Path.Combine(_dir, "repo", "keys", "offline")).Length.ShouldBe(3);
    }

    [Fact]
    public void Verify_OneByteOfTargetChanged_RefusedInOneLineNamingTargetAndCheck()
    {
        InitWithTarget();
        var path = TargetFile();
        var bytes = File.ReadAllBytes(path);
        bytes[5] ^= 0x20;
        File.WriteAllBytes(path, bytes);

        var verify = Run("repo", "verify", "repo");

        verify.Exit.ShouldBe(ExitCodes.Rejected);
        verify.ErrorLines.Length.ShouldBe(1, verify.Error);
        verify.ErrorLines[0].ShouldStartWith("refused: target C-00000291.rfc: sha256 hash check failed");
        verify.ErrorLines[0].ShouldContain("HashMismatch");
    }

    [Fact]
    public void Verify_TargetTruncated_RefusedNamingLengthCheck()
    {
        InitWithTarget();
        var path = TargetFile();
        File.WriteAllBytes(path, File.ReadAllBytes(path)[..4]);

        var verify = Run("repo", "verify", "repo");

        verify.Exit.ShouldBe(ExitCodes.Rejected);
        verify.ErrorLines.Single().ShouldContain("target C-00000291.rfc: length check failed");
    }

    [Fact]
    public void Verify_MalformedTimestampJson_RefusedWithPosition()
    {
        InitWithTarget();
        File.WriteAllText(Path.Combine(_dir, "repo", "metadata", "timestamp.json"), "{\"signed\": {\"_type\": ");

        var verify = Run("repo", "verify", "repo");

        verify.Exit.ShouldBe(ExitCodes.Rejected);
        verify.ErrorLines.Single().ShouldBe("refused: timestamp.json: not valid JSON at line 1, byte 21 (MalformedMetadata)");
    }

    [Fact]
    public void Verify_TimestampWithWrongFieldType_RefusedNamingJsonPath()
    {
        InitWithTarget();
        var path = Path.Combine(_dir, "repo", "metadata", "timestamp.json");
        // The signed part's own version is the file's last "version" (keys are sorted; meta's comes first).
        var text = File.ReadAllText(path);
        var at = text.LastIndexOf("\"version\":2", StringComparison.Ordinal);
        File.WriteAllText(path, text[..at] + "\"version\":\"2\"" + text[(at + "\"version\":2".Length)..]);

        var verify = Run("repo", "verify", "repo");

        verify.Exit.ShouldBe(ExitCodes.Rejected);
        verify.ErrorLines.Single().ShouldContain("timestamp.json: $.signed.version: expected number, found string");
    }

    [Fact]
    public void Verify_OversizedTimestamp_RefusedEndlessData()
    {
        InitWithTarget();
        File.WriteAllBytes(Path.Combine(_dir, "repo", "metadata", "timestamp.json"), new byte[1024 * 1024]);

        var verify = Run("repo", "verify", "repo");

        verify.Exit.ShouldBe(ExitCodes.Rejected);
        verify.ErrorLines.Single().ShouldContain("EndlessData");
    }

    [Fact]
    public void Verify_TimestampExpired_RefusedExpiredMetadata()
    {
        InitWithTarget();
        _clock.Advance(TimeSpan.FromDays(2));

        var verify = Run("repo", "verify", "repo");

        verify.Exit.ShouldBe(ExitCodes.Rejected);
        verify.ErrorLines.Single().ShouldContain("timestamp: expired at");

        Run("repo", "refresh-timestamp", "repo").Exit.ShouldBe(ExitCodes.Ok);
        Run("repo", "verify", "repo").Exit.ShouldBe(ExitCodes.Ok);
    }

    [Fact]
    public void Verify_MissingDirectory_UsageErrorInOneLine()
    {
        var verify = Run("repo", "verify", "nowhere");

        verify.Exit.ShouldBe(ExitCodes.UsageOrIo);
        verify.ErrorLines.Single().ShouldContain("nowhere: no such directory");
    }

    [Fact]
    public void Verify_DirectoryWithoutRepository_UsageError()
    {
        Directory.CreateDirectory(Path.Combine(_dir, "empty"));

        var verify = Run("repo", "verify", "empty");

        verify.Exit.ShouldBe(ExitCodes.UsageOrIo);
        verify.ErrorLines.Single().ShouldContain("not a repository");
    }

    [Fact]
    public void AddTarget_WrongPassphrase_UsageErrorAndRepositoryUnchanged()
    {
        InitWithTarget();
        var timestamp = File.ReadAllBytes(Path.Combine(_dir, "repo", "metadata", "timestamp.json"));
        _passphrase = "not the passphrase";
        File.WriteAllText(Path.Combine(_dir, "other.rfc"), "x");

        var added = Run("repo", "add-target", "repo", "other.rfc");

        added.Exit.ShouldBe(ExitCodes.UsageOrIo);
        added.ErrorLines.Single().ShouldContain("wrong passphrase");
        File.ReadAllBytes(Path.Combine(_dir, "repo", "metadata", "timestamp.json")).ShouldBe(timestamp);
    }

    [Fact]
    public void AddTarget_PassphraseFromStandardInput_Works()
    {
        InitWithTarget();
        _passphrase = null;
        File.WriteAllText(Path.Combine(_dir, "other.rfc"), "x");

        var added = Run(Passphrase + "\n", CancellationToken.None, "repo", "add-target", "repo", "other.rfc");

        added.Exit.ShouldBe(ExitCodes.Ok, added.Error);
        Run("repo", "verify", "repo").Out.ShouldContain("3 targets");
    }

    [Fact]
    public void AddTarget_NoPassphrase_UsageError()
    {
        InitWithTarget();
        _passphrase = null;
        File.WriteAllText(Path.Combine(_dir, "other.rfc"), "x");

        var added = Run("repo", "add-target", "repo", "other.rfc");

        added.Exit.ShouldBe(ExitCodes.UsageOrIo);
        added.ErrorLines.Last().ShouldContain("no key passphrase");
    }

    [Fact]
    public void AddTarget_MissingFile_UsageError()
    {
        InitWithTarget();

        var added = Run("repo", "add-target", "repo", "missing.rfc");

        added.Exit.ShouldBe(ExitCodes.UsageOrIo);
        added.ErrorLines.Single().ShouldContain("missing.rfc: no such file");
    }

    [Fact]
    public void AddTarget_TruncatedKeyFile_UsageErrorNamingTheFile()
    {
        InitWithTarget();
        var key = Directory.GetFiles(Path.Combine(_dir, "repo", "keys", "online"), "targets-*.key").Single();
        File.WriteAllBytes(key, File.ReadAllBytes(key)[..40]);

        var added = Run("repo", "add-target", "repo", "C-00000291.rfc");

        added.Exit.ShouldBe(ExitCodes.UsageOrIo);
        added.ErrorLines.Single().ShouldContain("targets-");
        added.ErrorLines.Single().ShouldContain("not a key file");
    }

    [Fact]
    public void AddTarget_BadTargetName_UsageError()
    {
        InitWithTarget();

        var added = Run("repo", "add-target", "repo", "C-00000291.rfc", "--name", "../escape.rfc");

        added.Exit.ShouldBe(ExitCodes.UsageOrIo);
        added.ErrorLines.Single().ShouldContain("'..' segment");
    }

    [Fact]
    public void Init_ThresholdAboveKeyCount_UsageError()
    {
        var init = Run("repo", "init", "repo", "--root-keys", "2", "--threshold", "3");

        init.Exit.ShouldBe(ExitCodes.UsageOrIo);
        init.ErrorLines.Single().ShouldContain("--threshold must be between 1 and --root-keys (2)");
        Directory.Exists(Path.Combine(_dir, "repo")).ShouldBeFalse();
    }

    [Fact]
    public void Init_ExistingRepository_UsageError()
    {
        InitWithTarget();

        var init = Run("repo", "init", "repo", "--kdf-iterations", "10000");

        init.Exit.ShouldBe(ExitCodes.UsageOrIo);
        init.ErrorLines.Single().ShouldContain("already holds a repository");
    }

    [Fact]
    public void Init_ShortPassphrase_UsageError()
    {
        _passphrase = "short";

        var init = Run("repo", "init", "repo", "--kdf-iterations", "10000");

        init.Exit.ShouldBe(ExitCodes.UsageOrIo);
        init.ErrorLines.Single().ShouldContain("at least 8 characters");
    }

    [Fact]
    public void Init_CustomThresholdAndEd25519_RootSaysSo()
    {
        var init = Run("repo", "init", "repo", "--root-keys", "5", "--threshold", "3", "--key-type", "ed25519", "--kdf-iterations", "10000");

        init.Exit.ShouldBe(ExitCodes.Ok, init.Error);
        using var root = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(_dir, "repo", "metadata", "1.root.json")));
        var rootRole = root.RootElement.GetProperty("signed").GetProperty("roles").GetProperty("root");
        rootRole.GetProperty("threshold").GetInt32().ShouldBe(3);
        rootRole.GetProperty("keyids").GetArrayLength().ShouldBe(5);
        root.RootElement.GetProperty("signatures").GetArrayLength().ShouldBe(5);
        Run("repo", "verify", "repo").Exit.ShouldBe(ExitCodes.Ok);
    }

    [Theory]
    [InlineData("timestamp")]
    [InlineData("snapshot")]
    [InlineData("targets")]
    [InlineData("root")]
    public void RotateKey_Role_NewRootVersionAndRepositoryStillVerifies(string role)
    {
        InitWithTarget();

        var rotated = Run("repo", "rotate-key", "repo", role, "--kdf-iterations", "10000");

        rotated.Exit.ShouldBe(ExitCodes.Ok, rotated.Error);
        rotated.Out.ShouldContain($"rotated {role}");
        File.Exists(Path.Combine(_dir, "repo", "metadata", "2.root.json")).ShouldBeTrue();
        var verify = Run("repo", "verify", "repo");
        verify.Exit.ShouldBe(ExitCodes.Ok, verify.Error);
        verify.Out.ShouldContain("root v2");
        Run("repo", "add-target", "repo", "C-00000291.rfc", "--name", "again.rfc").Exit.ShouldBe(ExitCodes.Ok);
    }

    [Fact]
    public void RotateKey_UnknownRole_UsageError()
    {
        InitWithTarget();

        var rotated = Run("repo", "rotate-key", "repo", "mirror");

        rotated.Exit.ShouldBe(ExitCodes.UsageOrIo);
        rotated.ErrorLines.Single().ShouldContain("unknown role \"mirror\"");
    }

    [Fact]
    public void Sign_WithRoot_BumpsEveryVersion()
    {
        InitWithTarget();

        var signed = Run("repo", "sign", "repo", "--root");

        signed.Exit.ShouldBe(ExitCodes.Ok, signed.Error);
        signed.Out.ShouldContain("signed: root v2, targets v3, snapshot v3, timestamp v3");
        Run("repo", "verify", "repo").Exit.ShouldBe(ExitCodes.Ok);
    }

    [Fact]
    public void AddKnownBad_Hash_ListedAndVerified()
    {
        InitWithTarget();
        var hash = Path.GetFileName(TargetFile())[..64];

        var added = Run("repo", "add-known-bad", "repo", hash, "--reason", "halted");

        added.Exit.ShouldBe(ExitCodes.Ok, added.Error);
        Run("repo", "verify", "repo").Out.ShouldContain("1 known-bad");
        Run("repo", "add-known-bad", "repo", "not-a-hash").Exit.ShouldBe(ExitCodes.UsageOrIo);
    }

    [Fact]
    public async Task Serve_Repository_ServesMetadataAndImmutableTargetsUntilCancelled()
    {
        InitWithTarget();
        var port = FreePort();
        using var stop = new CancellationTokenSource();
        var serving = Task.Run(() => Run("", stop.Token, "repo", "serve", "repo", "--urls", $"http://127.0.0.1:{port}"));
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/") };

        var timestamp = await PollAsync(http, "metadata/timestamp.json");
        var target = await http.GetAsync("targets/" + Path.GetFileName(TargetFile()));
        var missing = await http.GetAsync("targets/../keys/offline");
        stop.Cancel();
        var result = await serving;

        timestamp.Headers.CacheControl!.NoCache.ShouldBeTrue();
        target.StatusCode.ShouldBe(HttpStatusCode.OK);
        target.Headers.CacheControl!.ToString().ShouldContain("immutable");
        (await target.Content.ReadAsStringAsync()).ShouldBe("channel file 291 contents");
        missing.StatusCode.ShouldBe(HttpStatusCode.NotFound);
        result.Exit.ShouldBe(ExitCodes.Ok, result.Error);
    }

    [Fact]
    public void Serve_BadUrl_UsageError()
    {
        InitWithTarget();

        var served = Run("repo", "serve", "repo", "--urls", "ftp://x");

        served.Exit.ShouldBe(ExitCodes.UsageOrIo);
        served.ErrorLines.Single().ShouldContain("is not an http(s) URL");
    }

    private static async Task<HttpResponseMessage> PollAsync(HttpClient http, string path)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            try
            {
                var response = await http.GetAsync(path);
                if (response.IsSuccessStatusCode)
                    return response;
            }
            catch (HttpRequestException) when (clock.Elapsed < TimeSpan.FromSeconds(30))
            {
                // Not listening yet.
            }
            if (clock.Elapsed >= TimeSpan.FromSeconds(30))
                throw new TimeoutException($"{path} was not served within 30 s");
            await Task.Delay(50);
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
