using Ringfence.Protocol;

namespace Ringfence.Server.Tests.Conformance;

/// <summary>A content fault, described once and run by both hosts: as a simulator fault model and by the test's wire agents.</summary>
/// <param name="Kind">A <see cref="Ringfence.Simulation.Scenarios.FaultKinds"/> value: crash-on-load, time-bomb or crash-rate.</param>
/// <param name="OsBuild">Hosts on this OS build are hit.</param>
/// <param name="DelayMinutes">time-bomb: how long after the load the host goes down (and again after each reboot).</param>
/// <param name="Factor">crash-rate: the crash rate of hosts running the content, as a multiple of the background rate.</param>
public sealed record ConformanceFault(string Kind, string OsBuild, double DelayMinutes = 0, double Factor = 1);

/// <summary>
/// One small scenario both hosts run: a fleet of <see cref="Hosts"/> over several agent builds, OS builds and
/// configurations, one rollout plan, and at most one fault. Times are virtual minutes.
/// </summary>
public sealed record ConformanceScenario
{
    public required string Name { get; init; }
    public int Hosts { get; init; } = 2000;
    public int Seed { get; init; } = 11;
    public ConformanceFault? Fault { get; init; }

    /// <summary>
    /// The plan, as an operator gives it over the API. Bakes are long against the check-in interval, so every host checks in
    /// while its ring bakes; the last ring bakes too, so its gate sees exposure before the rollout completes.
    /// </summary>
    public IReadOnlyList<RingSpec>? Rings { get; init; } = [new("canary", 5, 45), new("early", 20, 45), new("wave", 50, 45), new("all", 100, 45)];

    /// <summary>The first this many hosts enroll in the "dogfood" group: the internal ring of the server's default plan (<see cref="Rings"/> null).</summary>
    public int DogfoodHosts { get; init; }

    /// <summary>Stop once the rollout has been in this ring for two check-in intervals (null: run until it ends).</summary>
    public int? StopInRing { get; init; }

    public double CheckInMinutes { get; init; } = 15;

    /// <summary>Crashes of any host, exposed or not, per host and day: the control group's rate.</summary>
    public double BackgroundCrashesPerHostDay { get; init; } = 0.5;

    public double BootMinutes { get; init; } = 3;

    /// <summary>Longest virtual run; a rollout that has not ended by then is a failure of its own.</summary>
    public double DurationHours { get; init; } = 10;

    /// <summary>(agent build, OS, OS build, weight): 5 agent builds × 6 OS builds, 11 configurations.</summary>
    public static IReadOnlyList<(string AgentBuild, string Os, string OsBuild, double Weight)> Mix { get; } =
    [
        ("win-7.11.18110", "windows", "19045", 0.14),
        ("win-7.11.18110", "windows", "22631", 0.10),
        ("win-7.12.18210", "windows", "19045", 0.12),
        ("win-7.12.18210", "windows", "22631", 0.10),
        ("win-7.13.18309", "windows", "19045", 0.12),
        ("win-7.13.18309", "windows", "22631", 0.10),
        ("win-7.13.18309", "windows", "20348", 0.08),
        ("win-7.16.18605", "windows", "26100", 0.04),
        ("win-7.10.17807", "windows", "17763", 0.04),
        ("mac-7.15.18513", "macos", "23F79", 0.08),
        ("lin-7.14.17805", "linux", "5.14.0-427", 0.08),
    ];

    /// <summary>The fleet's configurations, drawn from <see cref="Mix"/> with <see cref="Seed"/>; every configuration gets hosts.</summary>
    public IReadOnlyList<HostConfiguration> Fleet()
    {
        var random = new Random(Seed);
        var total = Mix.Sum(m => m.Weight);
        var hosts = new List<HostConfiguration>(Hosts);
        for (var i = 0; i < Hosts; i++)
        {
            var entry = Mix[^1];
            if (i < Mix.Count)
            {
                entry = Mix[i];
            }
            else
            {
                var pick = random.NextDouble() * total;
                foreach (var m in Mix)
                {
                    if ((pick -= m.Weight) < 0)
                    {
                        entry = m;
                        break;
                    }
                }
            }
            hosts.Add(new HostConfiguration(entry.AgentBuild, entry.Os, entry.OsBuild));
        }
        return hosts;
    }
}
