using BenchmarkDotNet.Attributes;
using Ringfence.Rollouts.Fleet;
using Ringfence.Rollouts.Policies;
using Ringfence.Rollouts.Reconcile;
using Ringfence.Rollouts.Resolution;
using Ringfence.Rollouts.Rings;

namespace Ringfence.Benchmarks.Rollouts;

/// <summary>
/// Target resolution throughput: one rollout in its canary ring plus a completed one, customer policies for a
/// tenth of the organisations (maintenance windows, channels, pins, critical groups). Reported per resolution.
/// Target: at least 2 M resolutions per second per core (at most 500 ns each).
/// </summary>
[MemoryDiagnoser]
public class TargetResolutionBenchmarks
{
    private const int Hosts = 4096;
    private static readonly DateTimeOffset Now = new(2024, 7, 19, 4, 30, 0, TimeSpan.Zero);
    private HostFacts[] _hosts = [];
    private long[] _current = [];
    private TargetResolver _resolver = null!;
    private TargetResolver _noPolicies = null!;

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(42);
        var builds = new[] { 7090, 7100, 7110, 7120 };
        _hosts = new HostFacts[Hosts];
        _current = new long[Hosts];
        for (var i = 0; i < Hosts; i++)
        {
            var org = random.Next(500);
            _hosts[i] = new HostFacts(
                StableKey.Of($"host-{i}"),
                StableKey.Of($"org-{org}"),
                random.Next(4) == 0 ? StableKey.Of($"org-{org}/group-{random.Next(3)}") : 0,
                OsFamily.Windows,
                19045 + random.Next(3),
                builds[random.Next(builds.Length)],
                (short)((random.Next(25) - 12) * 60),
                random.Next(20) == 0 ? HostTags.Critical : HostTags.None);
            _current[i] = 290;
        }

        var completed = new RolloutEntry(
            new RolloutSpec("r-290", 290, "C-00000290", builds, RingPlan.Default),
            new RolloutState("r-290", RolloutPhase.Completed, 5, 20, CompletedAt: Now.AddDays(-2)));
        var active = new RolloutEntry(
            new RolloutSpec("r-291", 291, "C-00000291", builds, RingPlan.Default),
            new RolloutState("r-291", RolloutPhase.Baking, 2, 6, RingStartedAt: Now.AddMinutes(-20), BakeStartedAt: Now.AddMinutes(-10)));
        var organisations = new Dictionary<string, CustomerPolicy>();
        for (var o = 0; o < 500; o += 10)
        {
            organisations[$"org-{o}"] = (o / 10 % 4) switch
            {
                0 => new CustomerPolicy(MaintenanceWindows: MaintenanceWindow.Daily(new TimeOnly(1, 0), TimeSpan.FromHours(4))),
                1 => new CustomerPolicy(ReleaseChannel.Early),
                2 => new CustomerPolicy(ReleaseChannel.Late, PinDelay: TimeSpan.FromDays(1)),
                _ => new CustomerPolicy(Critical: true),
            };
        }

        _resolver = TargetResolver.Create(new ResolverSnapshot([completed, active], new PolicySet(organisations), BaselineVersion: 289));
        _noPolicies = TargetResolver.Create(new ResolverSnapshot([completed, active], BaselineVersion: 289));
    }

    /// <summary>
    /// The machine is shared (load averages of 20+ on 2 cores while several helpers build), so wall-clock means are
    /// inflated by waiting for a core. This also prints the process CPU time per resolution, which is what
    /// "resolutions per second per core" means. The loop allocates nothing, so no GC thread adds CPU time.
    /// </summary>
    [GlobalCleanup]
    public void ReportCpuTime()
    {
        const int rounds = 500;
        var process = System.Diagnostics.Process.GetCurrentProcess();
        foreach (var (name, resolver) in new[] { ("with policies", _resolver), ("no policies", _noPolicies) })
        {
            process.Refresh();
            var before = process.TotalProcessorTime;
            long sum = 0;
            for (var round = 0; round < rounds; round++)
            {
                for (var i = 0; i < _hosts.Length; i++)
                {
                    sum += resolver.Resolve(in _hosts[i], _current[i], Now).ContentVersion;
                }
            }

            process.Refresh();
            var ns = (process.TotalProcessorTime - before).TotalNanoseconds / ((double)rounds * Hosts);
            Console.WriteLine($"// CPU time per resolution ({name}): {ns:F1} ns = {1000 / ns:F2} M resolutions/s per core (checksum {sum})");
        }
    }

    [Benchmark(OperationsPerInvoke = Hosts)]
    public long Resolve_WithPolicies()
    {
        long sum = 0;
        var hosts = _hosts;
        for (var i = 0; i < hosts.Length; i++)
        {
            sum += _resolver.Resolve(in hosts[i], _current[i], Now).ContentVersion;
        }

        return sum;
    }

    [Benchmark(OperationsPerInvoke = Hosts)]
    public long Resolve_NoPolicies()
    {
        long sum = 0;
        var hosts = _hosts;
        for (var i = 0; i < hosts.Length; i++)
        {
            sum += _noPolicies.Resolve(in hosts[i], _current[i], Now).ContentVersion;
        }

        return sum;
    }

    [Benchmark(OperationsPerInvoke = Hosts)]
    public long StableBucket_Only()
    {
        long sum = 0;
        var hosts = _hosts;
        for (var i = 0; i < hosts.Length; i++)
        {
            sum += StableBucket.Of(hosts[i].HostKey, 12345UL);
        }

        return sum;
    }
}
