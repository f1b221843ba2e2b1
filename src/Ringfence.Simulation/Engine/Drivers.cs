using Ringfence.Rollouts.Health;
using Ringfence.Rollouts.Reconcile;

namespace Ringfence.Simulation.Engine;

/// <summary>A decision as the report shows it: when, what, which ring, why (with the gate's evidence when there is one).</summary>
public sealed record DecisionRecord(double Minute, string Kind, int Ring, string Reason, GateEvidence? Evidence = null);

/// <summary>What a strategy's control plane did at one tick.</summary>
internal readonly record struct TickOutcome(IReadOnlyList<int> RingsOpened, bool Halted, bool RolledBack);

/// <summary>
/// The control plane of one strategy, called at minute 0 and then once per virtual minute. Global push is a fixed
/// script; the Ringfence strategies wrap the real <see cref="Reconciler"/>.
/// </summary>
internal interface IRolloutDriver
{
    TickOutcome Tick(double minute, RingObservation observation);

    IReadOnlyList<DecisionRecord> Decisions { get; }

    /// <summary>Index of the ring being deployed or baked (for the observation).</summary>
    int CurrentRing { get; }

    /// <summary>Whether new hosts may still take the content.</summary>
    bool Exposing { get; }

    /// <summary>From when the fixed (rolled-back) content can be downloaded; +∞ while not known.</summary>
    double FixTime { get; }

    /// <summary>Whether the driver looks at telemetry (global push does not: the engine skips reporting events).</summary>
    bool Observes { get; }
}

/// <summary>What the engine observed of the current ring, aggregated since the ring started.</summary>
internal readonly record struct RingObservation(int Ring, int RingEligibleHosts, int RingExposedHosts, HealthSample Health, PeerStats Peer);

/// <summary>Per-host crash counts the Mann-Whitney judge compares (exposed vs control), and the static threshold's rate.</summary>
internal readonly record struct PeerStats(long ExposedHosts, long ExposedHostsCrashed, long ControlHosts, long ControlHostsCrashed);

/// <summary>global-push, as on 19 July 2024: everybody at once, reverted by hand after a fixed delay.</summary>
internal sealed class GlobalPushDriver(double revertAfterMinutes) : IRolloutDriver
{
    private readonly List<DecisionRecord> _decisions = [];
    private bool _started;
    private bool _reverted;

    public IReadOnlyList<DecisionRecord> Decisions => _decisions;

    public int CurrentRing => 0;

    public bool Exposing => _started && !_reverted;

    /// <summary>The revert is scripted, so its time is known from the start.</summary>
    public double FixTime => revertAfterMinutes;

    public bool Observes => false;

    public TickOutcome Tick(double minute, RingObservation observation)
    {
        if (!_started)
        {
            _started = true;
            _decisions.Add(new DecisionRecord(minute, "RingStarted", 0, "released to every host at once"));
            return new TickOutcome([0], false, false);
        }
        if (!_reverted && minute >= revertAfterMinutes)
        {
            _reverted = true;
            _decisions.Add(new DecisionRecord(minute, "RolledBack", 0, $"content reverted by hand {revertAfterMinutes:0} minutes after release"));
            return new TickOutcome([], true, true);
        }
        return new TickOutcome([], false, false);
    }
}
