using Microsoft.AspNetCore.Hosting.Server;
using Ringfence.Server.Controller;
using Ringfence.Server.Rollouts;

namespace Ringfence.Server.Dashboard;

/// <summary>The dashboard's own singletons, built once by <see cref="DashboardEndpoints.MapDashboard"/> from the server's services.</summary>
internal sealed class DashboardRuntime : IDisposable
{
    public DashboardRuntime(IServiceProvider services)
    {
        Time = services.GetService<TimeProvider>() ?? TimeProvider.System;
        // Sign-in sessions run on the wall clock: a compressed demo clock must not sign operators out in minutes.
        Sessions = new DashboardSessions(TimeProvider.System);
        Api = new OperatorApiClient(services.GetRequiredService<IServer>());
        AttributedHalt = Ringfence.Rollouts.Rings.RolloutDefaults.Gate.AttributionHosts;
        HeartbeatSeconds = services.GetService<Hosting.RingfenceServerOptions>()?.CheckInIntervalSeconds ?? 60;
    }

    /// <summary>The server's clock (bake timers are in the controller's time).</summary>
    public TimeProvider Time { get; }
    public DashboardSessions Sessions { get; }
    public OperatorApiClient Api { get; }
    public int AttributedHalt { get; }
    /// <summary>Host time one heartbeat stands for (an agent sends one per check-in interval): the rate charts' host-hours.</summary>
    public double HeartbeatSeconds { get; }

    /// <summary>How often a live page re-renders its regions on the server (wall clock).</summary>
    public TimeSpan LivePeriod { get; init; } = TimeSpan.FromSeconds(2);

    public void Dispose() => Api.Dispose();
}
