using Ringfence.Rollouts.Health;
using Ringfence.Rollouts.Reconcile;

namespace Ringfence.Simulation.Engine;

/// <summary>A comparison gate that replaces the Ringfence health gate's judgement (ring progression stays the real reconcile).</summary>
internal interface IPeerJudge
{
    string Name { get; }

    /// <summary>A reason to fail the ring, or null to let it go on.</summary>
    string? Judge(double minutesSinceRingStart, in PeerStats stats);
}

/// <summary>
/// The Ringfence strategies: the REAL <see cref="Reconciler"/> (and, through it, the real <see cref="HealthGate"/>)
/// called once per virtual minute with what the engine observed. A peer judge, when given, stands in for the gate:
/// the reconcile sees no crash signal and the judge's verdict arrives as operator halt + rollback commands.
/// </summary>
internal sealed class ReconcileDriver : IRolloutDriver
{
    private const string Releaser = "release-manager";
    private readonly RolloutSpec _spec;
    private readonly DateTimeOffset _release;
    private readonly IPeerJudge? _judge;
    private readonly List<DecisionRecord> _decisions = [];
    private RolloutState _state;
    private bool _approved;
    private double _ringStartedMinute;

    public ReconcileDriver(RolloutSpec spec, DateTimeOffset release, IPeerJudge? judge)
    {
        _spec = spec;
        _release = release;
        _judge = judge;
        _state = RolloutState.Create(spec.RolloutId);
    }

    public IReadOnlyList<DecisionRecord> Decisions => _decisions;

    public int CurrentRing => _state.Ring;

    public RolloutState State => _state;

    public double FixTime { get; private set; } = double.PositiveInfinity;

    public bool Observes => true;

    public bool Exposing => _state.Phase is RolloutPhase.Deploying or RolloutPhase.Baking or RolloutPhase.Completed;

    public TickOutcome Tick(double minute, RingObservation observation)
    {
        var now = _release.AddMinutes(minute);
        List<OperatorCommand>? commands = null;
        if (!_approved)
        {
            _approved = true;
            commands = [new OperatorCommand(OperatorCommandKind.Approve, Releaser, "released")];
        }
        else if (_judge is not null && _state.Phase is RolloutPhase.Deploying or RolloutPhase.Baking
                 && _judge.Judge(minute - _ringStartedMinute, observation.Peer) is { } why)
        {
            commands = [new OperatorCommand(OperatorCommandKind.Halt, _judge.Name, why), new OperatorCommand(OperatorCommandKind.Rollback, _judge.Name, why)];
        }

        var health = _judge is null ? observation.Health : observation.Health with
        {
            ExposedCrashes = 0,
            ExposedBootLoopReverts = 0,
            ExposedHeartbeatLosses = 0,
            ControlCrashes = 0,
            ControlBootLoopReverts = 0,
            ControlHeartbeatLosses = 0,
            AttributedCrashHosts = 0,
        };
        var inputs = new RolloutInputs(commands, new RolloutObservation(observation.Ring, observation.RingEligibleHosts, observation.RingExposedHosts, health));
        var result = Reconciler.Reconcile(_spec, _state, inputs, now);
        _state = result.State;
        var opened = new List<int>();
        var halted = false;
        var rolledBack = false;
        foreach (var d in result.Decisions)
        {
            _decisions.Add(new DecisionRecord(minute, d.Kind.ToString(), d.Ring, d.Reason, d.Evidence));
            switch (d.Kind)
            {
                case DecisionKind.RingStarted:
                    opened.Add(result.State.Ring);
                    _ringStartedMinute = minute;
                    break;
                case DecisionKind.Completed:
                    opened.Add(_spec.Plan.Rings.Count); // critical hosts: served once the rollout completed
                    break;
                case DecisionKind.Halted:
                    halted = true;
                    break;
                case DecisionKind.RolledBack:
                    halted = true;
                    rolledBack = true;
                    FixTime = Math.Min(FixTime, minute);
                    break;
                default:
                    break;
            }
        }
        return new TickOutcome(opened, halted, rolledBack);
    }
}

/// <summary>
/// Kayenta-style judge: at a fixed horizon it compares the per-host crash indicator of exposed and control hosts
/// with a one-sided Mann-Whitney U test (normal approximation with tie correction) and fails below the p-value.
/// On mostly-zero data it needs many crashes to see anything, and it only looks once, at the horizon.
/// </summary>
internal sealed class MannWhitneyJudge(double horizonMinutes, double alpha = 0.01) : IPeerJudge
{
    public string Name => "kayenta-mann-whitney";

    public string? Judge(double minutesSinceRingStart, in PeerStats s)
    {
        if (minutesSinceRingStart < horizonMinutes || s.ExposedHosts == 0 || s.ControlHosts == 0)
            return null;
        var z = Z(s.ExposedHosts, s.ExposedHostsCrashed, s.ControlHosts, s.ControlHostsCrashed);
        var p = 0.5 * Erfc(z / Math.Sqrt(2));
        return p < alpha ? $"Mann-Whitney U: exposed crash indicator higher than control (z = {z:0.00}, p = {p:0.####} < {alpha})" : null;
    }

    /// <summary>z of U for two samples of 0/1 values (n1 with c1 ones, n2 with c2 ones), one-sided "exposed larger".</summary>
    internal static double Z(double n1, double c1, double n2, double c2)
    {
        // For binary data U = c1·(n2 − c2) + 0.5·(c1·c2 + (n1 − c1)·(n2 − c2)) (ties count a half).
        var u = (c1 * (n2 - c2)) + (0.5 * ((c1 * c2) + ((n1 - c1) * (n2 - c2))));
        var mean = n1 * n2 / 2;
        var n = n1 + n2;
        var ones = c1 + c2;
        var zeros = n - ones;
        var tie = ((ones * ones * ones) - ones) + ((zeros * zeros * zeros) - zeros);
        var variance = n1 * n2 / 12 * ((n + 1) - (tie / (n * (n - 1))));
        return variance <= 0 ? 0 : (u - mean) / Math.Sqrt(variance);
    }

    // Abramowitz and Stegun 7.1.26: enough precision for a p-value threshold.
    private static double Erfc(double x)
    {
        var t = 1 / (1 + (0.3275911 * Math.Abs(x)));
        var y = t * (0.254829592 + (t * (-0.284496736 + (t * (1.421413741 + (t * (-1.453152027 + (t * 1.061405429))))))));
        var erfc = y * Math.Exp(-x * x);
        return x >= 0 ? erfc : 2 - erfc;
    }
}

/// <summary>A static threshold: fail as soon as the share of exposed hosts that crashed exceeds a limit (after a minimum sample).</summary>
internal sealed class StaticThresholdJudge(double limit, int minHosts) : IPeerJudge
{
    public string Name => "static-threshold";

    public string? Judge(double minutesSinceRingStart, in PeerStats s)
    {
        if (s.ExposedHosts < minHosts)
            return null;
        var rate = (double)s.ExposedHostsCrashed / s.ExposedHosts;
        return rate > limit ? $"crash share {rate:P2} of {s.ExposedHosts} exposed hosts is above the static limit {limit:P2}" : null;
    }
}
