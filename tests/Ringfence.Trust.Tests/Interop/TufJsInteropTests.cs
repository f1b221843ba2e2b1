using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Logging;
using Ringfence.Agent.Updates;
using Ringfence.Server.Tuf;
using Ringfence.Trust.Client;
using Ringfence.Trust.Keys;
using Ringfence.Trust.Metadata;
using Ringfence.Trust.Repository;

namespace Ringfence.Trust.Tests.Interop;

/// <summary>
/// The reference JavaScript client, tuf-js (pinned in tests/interop/package.json), against a repository built by Ringfence and
/// served over loopback HTTP by the server's endpoint mapping. tuf-js must accept the genuine repository and refuse each tampered
/// variant; our own client (over the same HTTP) must agree.
/// </summary>
public sealed class TufJsInteropTests : IAsyncLifetime, IDisposable
{
    private const string Target = "channels/C-00000291-00000000-00000032.rfc";
    private static readonly byte[] ChannelFile = Encoding.UTF8.GetBytes("RFC1 channel 291: IPC template instances, 21 fields, non-wildcard criteria\n");

    private readonly InMemoryRepositoryStore _store = new();
    private readonly KeyRing _keys;
    private readonly TufRepository _repository;
    private readonly string _work = Directory.CreateTempSubdirectory("ringfence-interop-").FullName;
    private WebApplication? _app;
    private string _baseUrl = "";

    public TufJsInteropTests()
    {
        var roots = Enumerable.Range(0, 3).Select(_ => SigningKey.Generate(KeyAlgorithm.EcdsaP256)).ToList();
        var online = Enumerable.Range(0, 3).Select(_ => SigningKey.Generate(KeyAlgorithm.Ed25519)).ToList();
        _repository = TufRepository.Create(_store, roots, 2, online[0], online[1], online[2], TimeProvider.System);
        _keys = new KeyRing([.. roots, .. online]);
        _repository.AddTarget(Target, ChannelFile, _keys);
    }

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        _app = builder.Build();
        _app.MapTufRepository(_store);
        await _app.StartAsync();
        _baseUrl = _app.Urls.Single().TrimEnd('/');
    }

    public async Task DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
    }

    public void Dispose()
    {
        _keys.Dispose();
        Directory.Delete(_work, recursive: true);
    }

    [Fact]
    public async Task TufJs_GenuineRepository_RefreshesAndVerifiesChannelFile()
    {
        var result = await RunTufJs(NewClientDir());

        result.GetProperty("ok").GetBoolean().ShouldBeTrue(result.ToString());
        result.GetProperty("sha256").GetString().ShouldBe(Hex.Sha256(ChannelFile));
        result.GetProperty("length").GetInt64().ShouldBe(ChannelFile.Length);
        (await OurClient(new InMemoryTrustedMetadataStore())).Content!.Bytes.ShouldBe(ChannelFile);
    }

    [Fact]
    public async Task TufJs_TargetChangedAfterSigning_Refused()
    {
        var info = _repository.Targets.Signed.Targets[Target];
        var path = TufUpdater.TargetFilePath(Target, info, consistentSnapshot: true);
        var changed = (byte[])ChannelFile.Clone();
        changed[10] ^= 0x01;
        _store.Write(path, changed);

        var result = await RunTufJs(NewClientDir());

        result.GetProperty("ok").GetBoolean().ShouldBeFalse(result.ToString());
        result.GetProperty("error").GetString().ShouldBe("LengthOrHashMismatchError", result.ToString());
        (await OurClient(new InMemoryTrustedMetadataStore())).Failure.ShouldBe(TrustFailure.HashMismatch);
    }

    [Fact]
    public async Task TufJs_MetadataResignedWithUnknownKey_Refused()
    {
        using var unknown = SigningKey.Generate(KeyAlgorithm.EcdsaP256);
        var resigned = MetadataCodec.Sign(_repository.Timestamp.Signed with { Version = _repository.Timestamp.Signed.Version + 1 }, [unknown]);
        _store.Write("metadata/timestamp.json", resigned.Raw);

        var result = await RunTufJs(NewClientDir());

        result.GetProperty("ok").GetBoolean().ShouldBeFalse(result.ToString());
        result.GetProperty("error").GetString().ShouldBe("UnsignedMetadataError", result.ToString());
        (await OurClient(new InMemoryTrustedMetadataStore())).Failure.ShouldBe(TrustFailure.ThresholdNotMet);
    }

    [Fact]
    public async Task TufJs_OldTimestampServedAgain_Refused()
    {
        var oldTimestamp = _store.Read("metadata/timestamp.json")!;
        _repository.RefreshTimestamp(_keys);
        var clientDir = NewClientDir();
        var ours = new InMemoryTrustedMetadataStore();
        (await RunTufJs(clientDir)).GetProperty("ok").GetBoolean().ShouldBeTrue();
        (await OurClient(ours)).IsVerified.ShouldBeTrue();

        _store.Write("metadata/timestamp.json", oldTimestamp);
        var result = await RunTufJs(clientDir);

        result.GetProperty("ok").GetBoolean().ShouldBeFalse(result.ToString());
        result.GetProperty("error").GetString().ShouldBe("BadVersionError", result.ToString());
        (await OurClient(ours)).Failure.ShouldBe(TrustFailure.RollbackAttack);
    }

    private async Task<UpdateVerification> OurClient(ITrustedMetadataStore store)
    {
        using var http = new HttpClient();
        var verifier = new ContentUpdateVerifier(new HttpRepositoryFetcher(http, new Uri(_baseUrl)), store,
            _store.Read("metadata/1.root.json")!, TimeProvider.System);
        return await verifier.VerifyAsync(Target);
    }

    /// <summary>A tuf-js client directory with the root pinned at enrollment.</summary>
    private string NewClientDir()
    {
        var dir = Path.Combine(_work, Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path.Combine(dir, "metadata"));
        Directory.CreateDirectory(Path.Combine(dir, "targets"));
        File.WriteAllBytes(Path.Combine(dir, "metadata", "root.json"), _store.Read("metadata/1.root.json")!);
        return dir;
    }

    private async Task<JsonElement> RunTufJs(string clientDir)
    {
        var interop = InteropDirectory();
        var start = new ProcessStartInfo("node")
        {
            WorkingDirectory = interop,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var arg in new[] { Path.Combine(interop, "refresh.js"), _baseUrl, Path.Combine(clientDir, "metadata"), Path.Combine(clientDir, "targets"), Target })
            start.ArgumentList.Add(arg);
        using var process = Process.Start(start) ?? throw new InvalidOperationException("node did not start");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        var line = (await stdout).Trim();
        if (line.Length == 0)
            throw new InvalidOperationException($"tuf-js printed nothing; stderr: {await stderr}");
        using var doc = JsonDocument.Parse(line);
        return doc.RootElement.Clone();
    }

    /// <summary>tests/interop with tuf-js installed; a clear failure (not a pass) when `npm ci` has not been run.</summary>
    private static string InteropDirectory()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var interop = Path.Combine(dir.FullName, "tests", "interop");
            if (!File.Exists(Path.Combine(interop, "package.json")))
                continue;
            if (!File.Exists(Path.Combine(interop, "node_modules", "tuf-js", "package.json")))
                Assert.Fail($"tuf-js is not installed: run `npm ci` in {interop} (test.sh does this)");
            return interop;
        }
        Assert.Fail("tests/interop/package.json not found above " + AppContext.BaseDirectory);
        return "";
    }
}
