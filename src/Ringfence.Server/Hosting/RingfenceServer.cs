using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Ringfence.Protocol;
using Ringfence.Server.Auth;
using Ringfence.Server.Controller;
using Ringfence.Server.Dashboard;
using Ringfence.Server.Endpoints;
using Ringfence.Server.Http;
using Ringfence.Server.Services;
using Ringfence.Server.Storage;

namespace Ringfence.Server.Hosting;

/// <summary>
/// Builds and starts the control plane in-process. `ringfence serve`, `ringfence demo` and the tests all use it:
/// <code>
/// await using var server = await RingfenceServer.StartAsync(new RingfenceServerOptions { Urls = "http://127.0.0.1:0" }, time);
/// var client = new HttpClient { BaseAddress = server.BaseAddress };
/// </code>
/// </summary>
public static class RingfenceServer
{
    /// <summary>Options from the "Ringfence" configuration section (appsettings.json, RINGFENCE__* environment variables).</summary>
    public static RingfenceServerOptions BindOptions(IConfiguration configuration) =>
        configuration.GetSection("Ringfence").Get<RingfenceServerOptions>() ?? new RingfenceServerOptions();

    /// <summary>The web application with every service and route, not yet started. <paramref name="configure"/> may add services (e.g. a real content validator).</summary>
    public static WebApplication CreateBuilder(RingfenceServerOptions options, TimeProvider? time = null, Action<WebApplicationBuilder>? configure = null)
    {
        if (options.Validate() is { Count: > 0 } errors)
            throw new ArgumentException("invalid server options: " + string.Join("; ", errors), nameof(options));
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [] });
        builder.WebHost.UseUrls(options.Urls);
        builder.WebHost.ConfigureKestrel(k => k.Limits.MaxRequestBodySize = options.MaxRequestBodyBytes);
        AddServices(builder.Services, options, time ?? TimeProvider.System);
        configure?.Invoke(builder);
        var app = builder.Build();
        MapAll(app);
        return app;
    }

    public static void AddServices(IServiceCollection services, RingfenceServerOptions options, TimeProvider time)
    {
        var nodeId = options.NodeId ?? $"{Environment.MachineName}-{Environment.ProcessId}";
        services.AddSingleton(options);
        services.AddSingleton(time);
        services.AddSingleton(_ => Database.FromOptions(options));
        services.AddSingleton<OperatorAuth>();
        services.AddSingleton<HostAuth>();
        services.AddSingleton<CredentialLifecycle>();
        services.AddHostedService<CredentialRevocationWatcher>();
        services.AddSingleton<Audit.AuditSigner>();
        services.AddSingleton<Audit.AuditCheckpointer>();
        services.AddSingleton<TargetSnapshotHolder>();
        services.AddSingleton<Rollouts.RolloutTransitions>();
        services.AddSingleton<ControlPlane>();
        services.AddSingleton(_ => Content.BuildCatalog.Load(options));
        services.AddSingleton<IChannelFileInspector, Content.FleetAwareInspector>();
        services.AddSingleton<Tuf.ServerTufRepository>();
        services.AddSingleton<ITrustedRootSource, Tuf.TufTrustedRootSource>();
        services.AddSingleton(sp => new LeaderLease(sp.GetRequiredService<Database>(), time, nodeId, options.LeaseDuration));
        services.AddSingleton<RolloutController>();
        services.AddSingleton<ControllerService>();
        if (options.RunController)
        {
            services.AddHostedService(sp => sp.GetRequiredService<ControllerService>());
            services.AddHostedService<Audit.AuditCheckpointService>();
        }
        services.AddHostedService<SnapshotRefresher>();
        services.AddRingfenceRateLimits(options, time);
        services.AddProblemDetails();
        services.ConfigureHttpJsonOptions(o => o.SerializerOptions.TypeInfoResolverChain.Insert(0, ProtocolJsonContext.Default));
        services.AddOpenApi("v1");
    }

    private static void MapAll(WebApplication app)
    {
        var options = app.Services.GetRequiredService<RingfenceServerOptions>();
        // Before anything reads the client address or the scheme (rate limits, Secure cookies).
        app.UseTrustedForwardedHeaders(options);
        app.UseSecurityHeaders();
        // Unhandled failures and bare status codes (404 route, 405 method) become ProblemDetails with a stable type.
        app.UseExceptionHandler(new ExceptionHandlerOptions
        {
            StatusCodeSelector = ex => ex is BadHttpRequestException bad ? bad.StatusCode : StatusCodes.Status500InternalServerError,
            ExceptionHandler = async http =>
            {
                var ex = http.Features.Get<IExceptionHandlerFeature>()?.Error;
                var status = ex is BadHttpRequestException bad ? bad.StatusCode : 500;
                await Problems.Create(status, status == 413 ? "payload-too-large" : status < 500 ? "bad-request" : "internal",
                    status < 500 ? "Bad request" : "Internal error", status < 500 ? ex?.Message : "see the server log").ExecuteAsync(http);
            },
        });
        app.UseStatusCodePages(async context =>
        {
            var http = context.HttpContext;
            var status = http.Response.StatusCode;
            var code = status switch { 404 => "not-found", 405 => "method-not-allowed", 413 => "payload-too-large", _ => "http-" + status };
            await Problems.Create(status, code, status == 404 ? "Not found" : "Request refused", $"{http.Request.Method} {http.Request.Path}").ExecuteAsync(http);
        });
        app.UseRequestTargetLimit();
        app.UseHeadAsGet();
        // Explicit, so that HEAD is routed as GET (the implicit routing would run first and answer 405).
        app.UseRouting();
        app.UseRateLimiter();
        app.MapOpenApi(Routes.OpenApi);
        app.MapGet(Routes.Health, () => TypedResults.Ok("ok")).ExcludeFromDescription();
        app.MapAgentApi();
        app.MapServerTufRepository();
        app.MapOperatorApi();
        app.MapDashboard();
    }

    /// <summary>Migrates the schema, creates the bootstrap secrets, loads the target snapshot and starts listening.</summary>
    public static async Task<RunningServer> StartAsync(RingfenceServerOptions options, TimeProvider? time = null, Action<WebApplicationBuilder>? configure = null, CancellationToken ct = default)
    {
        var app = CreateBuilder(options, time, configure);
        try
        {
            var services = app.Services;
            var clock = services.GetRequiredService<TimeProvider>();
            await services.GetRequiredService<Database>().MigrateAsync(clock, ct: ct);
            var startLog = services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(RingfenceServer));
            foreach (var warning in await services.GetRequiredService<Database>().DurabilityWarningsAsync(ct))
                StartLog.NotDurable(startLog, warning);
            await services.GetRequiredService<Tuf.ServerTufRepository>().InitializeAsync(ct);
            await services.GetRequiredService<Audit.AuditSigner>().InitializeAsync(ct);
            await services.GetRequiredService<TargetSnapshotHolder>().RefreshAsync(ct);
            await app.StartAsync(ct);
            // Only once listening: a start that cannot bind its port must not store secrets it never got to print.
            var (adminKey, enrollmentToken) = await services.GetRequiredService<ControlPlane>().BootstrapAsync(ct);
            var usableAdminKeys = await Auth.AdminKeys.CountUsableAsync(services.GetRequiredService<Database>(), clock, ct);
            var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
            return new RunningServer(app, new Uri(address.Replace("[::]", "127.0.0.1", StringComparison.Ordinal) + "/"), adminKey, enrollmentToken, usableAdminKeys);
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }
    }
}

/// <summary>A started server. Dispose to stop it.</summary>
public sealed class RunningServer(WebApplication app, Uri baseAddress, string? generatedAdminKey, string? generatedEnrollmentToken, long usableAdminKeys = 1) : IAsyncDisposable
{
    public WebApplication App => app;
    public Uri BaseAddress => baseAddress;
    public IServiceProvider Services => app.Services;

    /// <summary>The admin key generated at first start (null when one was configured or already existed). Shown once.</summary>
    public string? GeneratedAdminKey => generatedAdminKey;

    /// <summary>The enrollment token generated at first start (null when configured or already existing). Shown once.</summary>
    public string? GeneratedEnrollmentToken => generatedEnrollmentToken;

    /// <summary>
    /// Admin keys neither revoked nor expired once the server started. Zero means nobody can administer it: `ringfence
    /// serve` then says to issue one with `ringfence admin issue-key`.
    /// </summary>
    public long UsableAdminKeys => usableAdminKeys;

    public Task WaitForShutdownAsync(CancellationToken ct) => app.WaitForShutdownAsync(ct);

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync();
        await app.DisposeAsync();
    }
}

internal static partial class StartLog
{
    [LoggerMessage(EventId = 1301, Level = LogLevel.Warning, Message = "Storage is not durable: {Warning}")]
    public static partial void NotDurable(ILogger logger, string warning);
}
