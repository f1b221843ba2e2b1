using System.Net;
using System.Security.Cryptography;
using System.Text;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Ringfence.Agent.Updates;
using Ringfence.Protocol;
using Ringfence.Server.Hosting;
using Ringfence.Server.Tests.Fixtures;
using Ringfence.Server.Tuf;
using Ringfence.Trust;
using Ringfence.Trust.Client;

namespace Ringfence.Server.Tests.Tuf;

/// <summary>The server's signed repository, checked with the agent-side TUF client over real loopback HTTP.</summary>
public sealed class ServerTufRepositoryTests
{
    private static string ChannelFile(string channel, long version) => $$"""{"channel":"{{channel}}","version":{{version}},"note":"signed"}""";

    private static async Task<(string Root, TufUpdater Client)> ClientAsync(ServerHarness h, TimeProvider? time = null)
    {
        var enrolled = await h.SendOkAsync<EnrollResponse>(HttpMethod.Post, Routes.Enroll, null,
            new EnrollRequest(ServerHarness.EnrollmentToken, "tuf-" + Guid.NewGuid().ToString("N")[..8], new HostConfiguration("7.11.18110", "windows", "22631")));
        var fetcher = new HttpRepositoryFetcher(h.Http, new Uri(h.Server.BaseAddress, "tuf/"));
        return (enrolled.TrustedRoot, new TufUpdater(fetcher, new InMemoryTrustedMetadataStore(), Encoding.UTF8.GetBytes(enrolled.TrustedRoot), time ?? h.Time));
    }

    [Theory]
    [MemberData(nameof(TestStorage.Providers), MemberType = typeof(TestStorage))]
    public async Task Publish_ChannelFile_IsASignedTargetAgentsVerify(string provider)
    {
        await using var h = await ServerHarness.StartAsync(provider);
        var content = ChannelFile("291", 3);
        var published = await h.SendOkAsync<ChannelFileDto>(HttpMethod.Post, Routes.ChannelFiles, ServerHarness.AdminKey, new PublishChannelFileRequest(content));
        var (root, client) = await ClientAsync(h);

        root.ShouldContain("\"_type\":\"root\"");
        await client.RefreshAsync();
        var bytes = await client.DownloadTargetAsync(published.TargetName);

        Encoding.UTF8.GetString(bytes).ShouldBe(content);
        Convert.ToHexStringLower(SHA256.HashData(bytes)).ShouldBe(published.Sha256);
        (await client.DownloadKnownBadListAsync()).Entries.ShouldBeEmpty();
    }

    [Theory]
    [MemberData(nameof(TestStorage.Providers), MemberType = typeof(TestStorage))]
    public async Task Rollback_Rollout_PutsItsHashOnTheSignedKnownBadListAndAHaltAloneDoesNot(string provider)
    {
        await using var h = await ServerHarness.StartAsync(provider);
        var file = await h.SendOkAsync<ChannelFileDto>(HttpMethod.Post, Routes.ChannelFiles, ServerHarness.AdminKey, new PublishChannelFileRequest(ChannelFile("301", 9)));
        var rollout = await h.SendOkAsync<RolloutDto>(HttpMethod.Post, Routes.Rollouts, ServerHarness.AdminKey,
            new CreateRolloutRequest("301", 9, Rings: [new("canary", 50, 30), new("general", 100, 0)]));
        await h.SendOkAsync<RolloutDto>(HttpMethod.Post, Routes.Rollout(rollout.Id) + "/approve", ServerHarness.AdminKey, new RolloutActionRequest());
        await h.SendOkAsync<RolloutDto>(HttpMethod.Post, Routes.Rollout(rollout.Id) + "/halt", ServerHarness.AdminKey, new RolloutActionRequest("odd"));

        // A halt keeps hosts on what they run: the content is not refused.
        var (_, client) = await ClientAsync(h);
        await client.RefreshAsync();
        (await client.DownloadKnownBadListAsync()).Contains(file.Sha256).ShouldBeFalse();

        await h.SendOkAsync<RolloutDto>(HttpMethod.Post, Routes.Rollout(rollout.Id) + "/rollback", ServerHarness.AdminKey, new RolloutActionRequest("bad"));
        var (_, fresh) = await ClientAsync(h);
        await fresh.RefreshAsync();
        var listed = await fresh.DownloadKnownBadListAsync();
        listed.Contains(file.Sha256).ShouldBeTrue();
        listed.Find(file.Sha256)!.Reason.ShouldContain("bad");
    }

    [Theory]
    [MemberData(nameof(TestStorage.Providers), MemberType = typeof(TestStorage))]
    public async Task Publish_RefusedVersion_SignsNothing(string provider)
    {
        await using var h = await ServerHarness.StartAsync(provider);
        await h.SendOkAsync<ChannelFileDto>(HttpMethod.Post, Routes.ChannelFiles, ServerHarness.AdminKey, new PublishChannelFileRequest(ChannelFile("291", 5)));
        var before = await h.Server.Services.GetRequiredService<ServerTufRepository>().OpenAsync(CancellationToken.None);

        using var response = await h.Http.SendAsync(h.Request(HttpMethod.Post, Routes.ChannelFiles, ServerHarness.AdminKey, new PublishChannelFileRequest(ChannelFile("291", 4))));

        response.StatusCode.ShouldBe(HttpStatusCode.Conflict);
        var after = await h.Server.Services.GetRequiredService<ServerTufRepository>().OpenAsync(CancellationToken.None);
        after.Targets.Signed.Version.ShouldBe(before.Targets.Signed.Version);
        after.Timestamp.Signed.Version.ShouldBe(before.Timestamp.Signed.Version);
    }

    [Theory]
    [MemberData(nameof(TestStorage.Providers), MemberType = typeof(TestStorage))]
    public async Task Controller_TimestampHalfExpired_ResignsItSoAgentsKeepVerifying(string provider)
    {
        await using var h = await ServerHarness.StartAsync(provider);
        var file = await h.SendOkAsync<ChannelFileDto>(HttpMethod.Post, Routes.ChannelFiles, ServerHarness.AdminKey, new PublishChannelFileRequest(ChannelFile("291", 1)));
        var tuf = h.Server.Services.GetRequiredService<ServerTufRepository>();
        var before = (await tuf.OpenAsync(CancellationToken.None)).Timestamp.Signed.Version;

        h.Time.Advance(TimeSpan.FromHours(1));
        await h.RunControllerAsync();
        (await tuf.OpenAsync(CancellationToken.None)).Timestamp.Signed.Version.ShouldBe(before, "nothing is due an hour in");

        h.Time.Advance(TimeSpan.FromHours(12));
        await h.RunControllerAsync();
        (await tuf.OpenAsync(CancellationToken.None)).Timestamp.Signed.Version.ShouldBeGreaterThan(before);

        // 25 hours after publishing, the first timestamp has expired; the re-signed one still verifies.
        h.Time.Advance(TimeSpan.FromHours(12));
        var (_, client) = await ClientAsync(h);
        await client.RefreshAsync();
        (await client.DownloadTargetAsync(file.TargetName)).Length.ShouldBe((int)file.Length);
    }

    [Theory]
    [MemberData(nameof(TestStorage.Providers), MemberType = typeof(TestStorage))]
    public async Task Serve_TamperedTargetInStorage_AgentRefusesIt(string provider)
    {
        await using var h = await ServerHarness.StartAsync(provider);
        var file = await h.SendOkAsync<ChannelFileDto>(HttpMethod.Post, Routes.ChannelFiles, ServerHarness.AdminKey, new PublishChannelFileRequest(ChannelFile("291", 2)));
        await using (var c = await h.Database.OpenAsync())
        {
            var path = await c.ExecuteScalarAsync<string>("SELECT path FROM tuf_files WHERE path LIKE @p", new { p = $"targets/%{file.Sha256}%" });
            path.ShouldNotBeNull();
            var forged = Encoding.UTF8.GetBytes(ChannelFile("291", 2).Replace("signed", "forged", StringComparison.Ordinal));
            (await c.ExecuteAsync("UPDATE tuf_files SET content_base64 = @b WHERE path = @path", new { b = Convert.ToBase64String(forged), path })).ShouldBe(1);
        }
        var (_, client) = await ClientAsync(h);
        await client.RefreshAsync();

        var refused = await Should.ThrowAsync<TrustException>(() => client.DownloadTargetAsync(file.TargetName));

        refused.Failure.ShouldBe(TrustFailure.HashMismatch);
    }

    [Theory]
    [MemberData(nameof(TestStorage.Providers), MemberType = typeof(TestStorage))]
    public async Task Serve_Paths_ImmutableFilesAreCachedForeverAndBadPathsAre404(string provider)
    {
        await using var h = await ServerHarness.StartAsync(provider);
        using var versioned = await h.Http.GetAsync("tuf/metadata/1.root.json");
        versioned.StatusCode.ShouldBe(HttpStatusCode.OK);
        versioned.Headers.CacheControl!.ToString().ShouldContain("immutable");
        using var timestamp = await h.Http.GetAsync("tuf/metadata/timestamp.json");
        timestamp.StatusCode.ShouldBe(HttpStatusCode.OK);
        timestamp.Headers.CacheControl!.NoCache.ShouldBeTrue();
        foreach (var bad in new[] { "tuf/metadata/..%2Fetc%2Fpasswd", "tuf/targets/.hidden", "tuf/metadata/9.root.json", "tuf/targets/" + new string('a', 600) })
        {
            using var response = await h.Http.GetAsync(bad);
            response.StatusCode.ShouldBe(HttpStatusCode.NotFound, bad);
            response.Content.Headers.ContentType!.MediaType.ShouldBe("application/problem+json", bad);
        }
    }

    [Fact]
    public async Task Restart_SameDatabase_KeepsTheRootAndSignsWithTheStoredKeys()
    {
        using var storage = new TestStorage("sqlite");
        var time = new ManualTime(new DateTimeOffset(2024, 7, 19, 4, 0, 0, TimeSpan.Zero));
        var options = Options(storage, passphrase: null);
        string root;
        await using (var first = await RingfenceServer.StartAsync(options, time, Quiet))
            root = await first.Services.GetRequiredService<ServerTufRepository>().TrustedRootAsync(CancellationToken.None);

        await using var second = await RingfenceServer.StartAsync(options, time, Quiet);
        var tuf = second.Services.GetRequiredService<ServerTufRepository>();
        (await tuf.TrustedRootAsync(CancellationToken.None)).ShouldBe(root);
        using var http = new HttpClient { BaseAddress = second.BaseAddress };
        using var request = new HttpRequestMessage(HttpMethod.Post, Routes.ChannelFiles) { Content = new StringContent(
            System.Text.Json.JsonSerializer.Serialize(new PublishChannelFileRequest(ChannelFile("291", 1)), ServerHarness.Json), Encoding.UTF8, "application/json") };
        request.Headers.Add(Routes.ApiKeyHeader, ServerHarness.AdminKey);
        using var response = await http.SendAsync(request);

        response.IsSuccessStatusCode.ShouldBeTrue(await response.Content.ReadAsStringAsync());
        (await tuf.OpenAsync(CancellationToken.None)).Targets.Signed.Targets.Keys.ShouldContain(k => k.StartsWith("channels/291/", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Start_WrongKeyPassphrase_FailsNamingTheKeys()
    {
        using var storage = new TestStorage("sqlite");
        var time = new ManualTime(new DateTimeOffset(2024, 7, 19, 4, 0, 0, TimeSpan.Zero));
        await (await RingfenceServer.StartAsync(Options(storage, "the-right-passphrase"), time, Quiet)).DisposeAsync();

        var failure = await Should.ThrowAsync<Ringfence.Trust.Keys.KeyDecryptionException>(() => RingfenceServer.StartAsync(Options(storage, "not-the-passphrase"), time, Quiet));

        failure.Message.ShouldContain("tuf_keys");
        failure.Message.ShouldContain("wrong passphrase");
    }

    private static RingfenceServerOptions Options(TestStorage storage, string? passphrase) => storage.Options(new RingfenceServerOptions
    {
        Urls = "http://127.0.0.1:0",
        BootstrapAdminKey = ServerHarness.AdminKey,
        BootstrapEnrollmentToken = ServerHarness.EnrollmentToken,
        RunController = false,
        TufKeyPassphrase = passphrase,
    }) with { Urls = "http://127.0.0.1:0" };

    private static void Quiet(Microsoft.AspNetCore.Builder.WebApplicationBuilder b)
    {
        b.Logging.ClearProviders();
        b.Services.AddSingleton<Ringfence.Server.Services.IChannelFileInspector, Ringfence.Server.Services.MinimalChannelFileInspector>();
    }
}
