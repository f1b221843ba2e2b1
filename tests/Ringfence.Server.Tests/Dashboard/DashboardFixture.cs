using System.Net.Http.Headers;
using System.Net.Http.Json;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using Ringfence.Protocol;
using Ringfence.Server.Hosting;
using Ringfence.Server.Storage;

namespace Ringfence.Server.Tests.Dashboard;

/// <summary>
/// One real server on a free loopback port with seeded data, shared by the dashboard tests: operator keys per role,
/// a fleet with one configuration no early ring covers, two rollouts the health gate halted on crash breadcrumbs
/// (with decision evidence), a progressing rollout and the audit entries all of that wrote. Chromium is started
/// lazily, only for the browser tests.
/// </summary>
public sealed class DashboardFixture : IAsyncLifetime
{
    public const string AdminKey = "rfk_test_admin_0123456789abcdefghijklmnopqrstuv";
    public const string EnrollmentToken = "rfe_test_enroll_0123456789abcdefghijklmnop";
    public const string UncoveredBuild = "7.10.17706";
    public const string UncoveredOsBuild = "6.1";

    private readonly string _dataDirectory = Path.Combine(Path.GetTempPath(), "ringfence-dashboard-" + Guid.NewGuid().ToString("N"));
    private IPlaywright? _playwright;
    private IBrowser? _browser;
    private readonly SemaphoreSlim _browserLock = new(1, 1);
    // A check-in reports every channel a host runs, so each seeded host keeps the content of earlier seeds.
    private readonly Dictionary<string, List<ChannelState>> _running = [];

    public RunningServer Server { get; private set; } = null!;
    public Uri BaseAddress => Server.BaseAddress;
    public string ViewerKey { get; private set; } = "";
    public string ApproverKey { get; private set; } = "";
    /// <summary>Halted and rolled back by the gate (the engine's meaning of a failed gate); viewer and forged-action tests read it.</summary>
    public string HaltedRolloutId { get; private set; } = "";
    /// <summary>Halted by an operator after two hosts crashed; the approver test resumes it.</summary>
    public string ResumableRolloutId { get; private set; } = "";

    /// <summary>Where screenshots go: artifacts/test-results/dashboard under the repository root.</summary>
    public static string ArtifactsDirectory { get; } = MakeArtifactsDirectory();

    public async Task InitializeAsync()
    {
        Server = await RingfenceServer.StartAsync(new RingfenceServerOptions
        {
            Urls = "http://127.0.0.1:0",
            DataDirectory = _dataDirectory,
            TufKeyIterations = Fixtures.TestStorage.FastKeyIterations,
            BootstrapAdminKey = AdminKey,
            BootstrapEnrollmentToken = EnrollmentToken,
            ControllerPeriod = TimeSpan.FromMilliseconds(200),
            OperatorRequestsPerSecond = 1000,
            AgentRequestsPerSecond = 1000,
        }, TimeProvider.System,
            // The validator is not what these tests are about: seeded channel files only need a channel and a version.
            b => b.Services.AddSingleton<Ringfence.Server.Services.IChannelFileInspector, Ringfence.Server.Services.MinimalChannelFileInspector>());
        using var admin = Client(AdminKey);
        ViewerKey = (await PostAsync<ApiKeyCreated>(admin, Routes.ApiKeys, new CreateApiKeyRequest("vera-viewer", OperatorRole.Viewer))).Key;
        ApproverKey = (await PostAsync<ApiKeyCreated>(admin, Routes.ApiKeys, new CreateApiKeyRequest("ada-approver", OperatorRole.Approver))).Key;

        var hosts = await EnrollFleetAsync();
        HaltedRolloutId = await SeedHaltedRolloutAsync(admin, "291", hosts, byGate: true);
        ResumableRolloutId = await SeedHaltedRolloutAsync(admin, "292", hosts, byGate: false);
        // A rollout still moving, for the list.
        await PublishAsync(admin, "293", 1);
        var moving = await PostAsync<RolloutDto>(admin, Routes.Rollouts, new CreateRolloutRequest("293", 1, Reason: "weekly detection update"));
        using var approver = Client(ApproverKey);
        await PostAsync<RolloutDto>(approver, Routes.Rollout(moving.Id) + "/approve", new RolloutActionRequest("looks good"));
    }

    private sealed record SeedHost(string HostId, string Credential, string Hostname, HostConfiguration Configuration);

    /// <summary>
    /// 30 + 10 + 6 hosts in three common configurations and one host alone in a rare one. The first host of each common
    /// configuration enrolls in the dogfood group, so the default plan's internal ring covers those and only the rare one is uncovered.
    /// </summary>
    private async Task<List<SeedHost>> EnrollFleetAsync()
    {
        using var http = new HttpClient { BaseAddress = BaseAddress };
        var hosts = new List<SeedHost>();
        var configs = new (HostConfiguration Config, int Count)[]
        {
            (new HostConfiguration("7.11.18110", "windows", "22631"), 30),
            (new HostConfiguration("7.11.18110", "windows", "19045"), 10),
            (new HostConfiguration("7.11.18110", "macos", "14.5"), 6),
            (new HostConfiguration(UncoveredBuild, "linux", UncoveredOsBuild), 1),
        };
        foreach (var (config, count) in configs)
        {
            for (var i = 0; i < count; i++)
            {
                var name = $"{config.Os}-{config.OsBuild}-{i:D2}";
                var dogfood = i == 0 && config.AgentBuild != UncoveredBuild;
                var enrolled = await PostAsync<EnrollResponse>(http, Routes.Enroll, new EnrollRequest(EnrollmentToken, name, config, dogfood ? ["dogfood"] : null));
                hosts.Add(new SeedHost(enrolled.HostId, enrolled.Credential, name, config));
            }
        }
        return hosts;
    }

    private static async Task<ChannelFileDto> PublishAsync(HttpClient admin, string channel, long version) =>
        await PostAsync<ChannelFileDto>(admin, Routes.ChannelFiles,
            new PublishChannelFileRequest($$"""{"channel":"{{channel}}","version":{{version}},"instances":[{"id":"ipc-42","template":"ipc","fields":21}]}"""));

    /// <summary>
    /// Publishes, approves, exposes dogfood hosts and reports their boot-loop crashes naming the content. By the gate: three
    /// hosts (the attribution limit), and the gate halts and rolls back, as the engine defines a failed gate. Otherwise two
    /// hosts (below the limit), and an operator halts it: halted, resumable.
    /// </summary>
    private async Task<string> SeedHaltedRolloutAsync(HttpClient admin, string channel, List<SeedHost> hosts, bool byGate)
    {
        var file = await PublishAsync(admin, channel, 1);
        var rollout = await PostAsync<RolloutDto>(admin, Routes.Rollouts, new CreateRolloutRequest(channel, 1,
            Rings: [new RingSpec("dogfood", 1, 30), new RingSpec("canary", 5, 60), new RingSpec("general", 100, 0)], Reason: "new IPC detection rules"));
        using var approver = Client(ApproverKey);
        await PostAsync<RolloutDto>(approver, Routes.Rollout(rollout.Id) + "/approve", new RolloutActionRequest("reviewed"));

        // Exposure and crashes come after the approval opened the first ring, as they would on a real fleet.
        var now = TimeProvider.System.GetUtcNow();
        TelemetryEvent[] heartbeat(string ch, long? version, string? sha) => byGate ? [new TelemetryEvent(TelemetryKind.Heartbeat, now, ch, version, sha)] : [];
        var exposed = hosts.Where(h => h.Hostname.EndsWith("-00", StringComparison.Ordinal) && h.Configuration.AgentBuild != UncoveredBuild)
            .Take(byGate ? Ringfence.Rollouts.Rings.RolloutDefaults.Gate.AttributionHosts : 2).ToList();
        foreach (var h in exposed)
        {
            using var agent = AgentClient(h.Credential);
            if (!_running.TryGetValue(h.HostId, out var channels))
                _running[h.HostId] = channels = [];
            channels.Add(new ChannelState(channel, 1, file.Sha256, null));
            await PostAsync<CheckInResponse>(agent, Routes.CheckIn, new CheckInRequest(h.HostId, h.Configuration, [.. channels], new HostHealth(2, 2)));
            await PostAsync<TelemetryAck>(agent, Routes.Telemetry, new TelemetryBatch(h.HostId, $"seed-{channel}-{h.HostId}",
            [
                .. heartbeat(channel, 1, file.Sha256),
                new TelemetryEvent(TelemetryKind.Crash, now.AddSeconds(1), channel, 1, file.Sha256, "ipc-42", BootCrash: true, Detail: "page fault reading input value 21 of 20"),
                new TelemetryEvent(TelemetryKind.Revert, now.AddSeconds(2), channel, 1, file.Sha256, Detail: "reverted to last-known-good after 2 failed boots"),
            ]));
        }
        // One control host crashes too, for the chart's baseline. By the gate, every host also heartbeats (the gate's
        // host-hours come from heartbeats); the operator-halted rollout has none, so its charts show the hosts × time fallback.
        var control = hosts.First(h => h.Hostname == "windows-22631-05");
        foreach (var h in hosts.Where(h => !exposed.Contains(h) && (byGate || h == control)))
        {
            using var agent = AgentClient(h.Credential);
            List<TelemetryEvent> events = [.. heartbeat(channel, null, null)];
            if (h == control)
                events.Add(new TelemetryEvent(TelemetryKind.Crash, now.AddSeconds(1), channel, Detail: "unrelated driver crash"));
            await PostAsync<TelemetryAck>(agent, Routes.Telemetry, new TelemetryBatch(h.HostId, $"seed-control-{channel}-{h.HostId}", events));
        }

        if (byGate)
        {
            await WaitForAsync(async () => (await GetAsync<RolloutDto>(admin, Routes.Rollout(rollout.Id))).Status == RolloutStatus.RolledBack,
                $"the gate to halt and roll back rollout {rollout.Id}");
        }
        else
        {
            await PostAsync<RolloutDto>(approver, Routes.Rollout(rollout.Id) + "/halt", new RolloutActionRequest("two lab hosts crashed in ipc-42"));
        }
        return rollout.Id;
    }

    public HttpClient Client(string key)
    {
        var http = new HttpClient { BaseAddress = BaseAddress };
        http.DefaultRequestHeaders.Add(Routes.ApiKeyHeader, key);
        return http;
    }

    private HttpClient AgentClient(string credential)
    {
        var http = new HttpClient { BaseAddress = BaseAddress };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", credential);
        return http;
    }

    /// <summary>The wire context, but writing nulls: its required nullable members must be present to read back.</summary>
    private static readonly System.Text.Json.JsonSerializerOptions Json = new(ProtocolJsonContext.Default.Options)
    {
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.Never,
    };

    public static async Task<T> GetAsync<T>(HttpClient http, string path)
    {
        using var response = await http.GetAsync(new Uri(path, UriKind.Relative));
        var body = await response.Content.ReadAsStringAsync();
        response.IsSuccessStatusCode.ShouldBeTrue($"GET {path}: {(int)response.StatusCode} {body}");
        return (T)System.Text.Json.JsonSerializer.Deserialize(body, typeof(T), Json)!;
    }

    public static async Task<T> PostAsync<T>(HttpClient http, string path, object body)
    {
        using var content = JsonContent.Create(body, body.GetType(), options: Json);
        using var response = await http.PostAsync(new Uri(path, UriKind.Relative), content);
        var text = await response.Content.ReadAsStringAsync();
        response.IsSuccessStatusCode.ShouldBeTrue($"POST {path}: {(int)response.StatusCode} {text}");
        return (T)System.Text.Json.JsonSerializer.Deserialize(text, typeof(T), Json)!;
    }

    /// <summary>Polls a condition until it holds or the deadline passes (no fixed sleeps standing in for synchronisation).</summary>
    public static async Task WaitForAsync(Func<Task<bool>> condition, string what, int seconds = 30)
    {
        var deadline = TimeProvider.System.GetTimestamp() + (seconds * TimeProvider.System.TimestampFrequency);
        while (!await condition())
        {
            if (TimeProvider.System.GetTimestamp() > deadline)
                throw new TimeoutException($"timed out after {seconds} s waiting for {what}");
            await Task.Delay(100);
        }
    }

    /// <summary>Debian's chromium, headless; Playwright never downloads a browser here.</summary>
    public async Task<IBrowser> BrowserAsync()
    {
        await _browserLock.WaitAsync();
        try
        {
            if (_browser is not null)
                return _browser;
            Environment.SetEnvironmentVariable("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1");
            _playwright = await Playwright.CreateAsync();
            _browser = await _playwright.Chromium.LaunchAsync(new()
            {
                ExecutablePath = "/usr/bin/chromium",
                Args = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run"],
            });
            return _browser;
        }
        finally
        {
            _browserLock.Release();
        }
    }

    public async Task<IPage> NewPageAsync(int width = 1280, int height = 900)
    {
        var browser = await BrowserAsync();
        var context = await browser.NewContextAsync(new() { ViewportSize = new() { Width = width, Height = height }, BaseURL = BaseAddress.ToString() });
        return await context.NewPageAsync();
    }

    public async Task SignInAsync(IPage page, string key)
    {
        await page.GotoAsync("/signin");
        await page.GetByLabel("Operator API key").FillAsync(key);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Navigation, new() { Name = "Main" })).ToBeVisibleAsync();
    }

    public static async Task ScreenshotAsync(IPage page, string name)
    {
        var path = Path.Combine(ArtifactsDirectory, name + ".png");
        await page.ScreenshotAsync(new() { Path = path, FullPage = true });
        File.Exists(path).ShouldBeTrue();
        // RINGFENCE_UPDATE_DOCS_IMAGES=1 refreshes the README's screenshots from the same run.
        if (Environment.GetEnvironmentVariable("RINGFENCE_UPDATE_DOCS_IMAGES") == "1" && RepositoryRoot() is { } root && name.StartsWith("dashboard-", StringComparison.Ordinal))
        {
            Directory.CreateDirectory(Path.Combine(root, "docs", "images"));
            File.Copy(path, Path.Combine(root, "docs", "images", name + ".png"), overwrite: true);
        }
    }

    private static string? RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Ringfence.slnx")))
                return dir.FullName;
        return null;
    }

    private static string MakeArtifactsDirectory()
    {
        var dir = Path.Combine(RepositoryRoot() ?? AppContext.BaseDirectory, "artifacts", "test-results", "dashboard");
        Directory.CreateDirectory(dir);
        return dir;
    }

    public async Task DisposeAsync()
    {
        if (_browser is not null)
            await _browser.CloseAsync();
        _playwright?.Dispose();
        await Server.DisposeAsync();
        _browserLock.Dispose();
        try
        {
            Directory.Delete(_dataDirectory, recursive: true);
        }
        catch (IOException)
        {
            // SQLite may still hold the WAL file for a moment; the temp directory is harmless.
        }
    }
}

[CollectionDefinition(Name)]
public sealed class DashboardCollection : ICollectionFixture<DashboardFixture>
{
    public const string Name = "Dashboard";
}
