using Ringfence.Protocol;
using Ringfence.Rollouts.Health;

namespace Ringfence.Server.Rollouts;

/// <summary>The stored state of one rollout that reconcile reads.</summary>
public sealed record RolloutState(
    string Id,
    RolloutStatus Status,
    int CurrentRing,
    DateTimeOffset? RingEnteredAt,
    IReadOnlyList<RingSpec> Rings,
    string Sha256);

/// <summary>What the controller observed for the current ring since it was entered.</summary>
public sealed record RingObservation(
    long TargetHosts,
    long ExposedHosts,
    long ControlHosts,
    long ExposedCrashes,
    long ControlCrashes,
    /// <summary>Crash breadcrumbs, reverts and quarantines that name this rollout's content.</summary>
    long AttributedEvents);

/// <summary>Gate thresholds, with defaults in one place.</summary>
public sealed record GateOptions
{
    /// <summary>Attributed events (breadcrumbs naming the content, reverts, quarantines) that halt at once.</summary>
    public int AttributedHalt { get; init; } = 2;

    /// <summary>Least share of a ring's target hosts that must run the content before its bake can pass.</summary>
    public double MinExposedShare { get; init; } = 0.5;

    /// <summary>
    /// The crash test: the same sequential probability ratio test the simulator's gate uses (Ringfence.Rollouts), with
    /// its false-halt bound and the crash-rate ratio it is tuned to detect.
    /// </summary>
    public HealthGateOptions Statistics { get; init; } = HealthGateOptions.Default;
}

/// <summary>A decision with its evidence. The id is deterministic, so storing it twice is impossible.</summary>
public sealed record ReconcileDecision(string Id, string Kind, int Ring, string Reason, GateEvidence Evidence);

public sealed record GateEvidence(
    string Verdict,
    long TargetHosts,
    long ExposedHosts,
    long ControlHosts,
    long ExposedCrashes,
    long ControlCrashes,
    long AttributedEvents,
    double ExpectedExposedCrashes,
    /// <summary>Exposed crashes at which the sequential test would halt, given the control crashes seen so far.</summary>
    double? CrashLimit,
    double BakedMinutes,
    int BakeMinutes,
    /// <summary>Log-likelihood ratio of the crash counts (exposed vs control hosts), and the value at which it halts.</summary>
    double CrashLogLikelihoodRatio = 0,
    double HaltThreshold = 0);

public sealed record ReconcileResult(RolloutState State, IReadOnlyList<ReconcileDecision> Decisions);

/// <summary>
/// Reconcile as a pure function over stored state (argo-rollouts style): given the rollout, what was observed in
/// its current ring and the time, return the next state and the decisions that lead there. A restarted controller
/// calls it again with the same stored state and gets the same answer, so it resumes where it stopped.
/// </summary>
public static class RolloutReconciler
{
    public static string DecisionId(string rolloutId, string kind, int ring) => $"{rolloutId}:{kind}:{ring}";

    public static GateEvidence Gate(RolloutState state, RingObservation obs, DateTimeOffset now, GateOptions options)
    {
        var ring = state.Rings[state.CurrentRing];
        var baked = state.RingEnteredAt is { } entered ? (now - entered).TotalMinutes : 0;
        var controlRate = obs.ControlHosts > 0 ? (double)obs.ControlCrashes / obs.ControlHosts : 0;
        var expected = obs.ExposedHosts * controlRate;
        // Exposed and control hosts are observed over the same window, so host counts stand in for host-hours: the
        // conditional-binomial test depends only on their ratio.
        var stats = options.Statistics;
        var halt = HealthGate.HaltThreshold(stats);
        var llr = HealthGate.LogLikelihoodRatio(obs.ExposedCrashes, obs.ControlCrashes, obs.ExposedHosts, obs.ControlHosts, stats.CrashRateRatio);
        var limit = CrashLimitOf(obs, stats.CrashRateRatio, halt);
        string verdict;
        if (obs.AttributedEvents >= options.AttributedHalt || llr >= halt)
            verdict = "failed";
        else if (baked < ring.BakeMinutes)
            verdict = "running";
        else if (obs.TargetHosts > 0 && obs.ExposedHosts < Math.Ceiling(obs.TargetHosts * options.MinExposedShare))
            verdict = "inconclusive";
        else
            verdict = "passed";
        return new GateEvidence(verdict, obs.TargetHosts, obs.ExposedHosts, obs.ControlHosts, obs.ExposedCrashes, obs.ControlCrashes,
            obs.AttributedEvents, Math.Round(expected, 3), limit, Math.Round(baked, 2), ring.BakeMinutes, Math.Round(llr, 3), Math.Round(halt, 3));
    }

    /// <summary>The least exposed crash count whose log-likelihood ratio reaches <paramref name="halt"/> (none without both groups).</summary>
    private static double? CrashLimitOf(RingObservation obs, double ratio, double halt)
    {
        if (obs.ExposedHosts <= 0 || obs.ControlHosts <= 0)
            return null;
        var p0 = (double)obs.ExposedHosts / (obs.ExposedHosts + obs.ControlHosts);
        var p1 = ratio * obs.ExposedHosts / ((ratio * obs.ExposedHosts) + obs.ControlHosts);
        return Math.Ceiling((halt - (obs.ControlCrashes * Math.Log((1 - p1) / (1 - p0)))) / Math.Log(p1 / p0));
    }

    public static ReconcileResult Reconcile(RolloutState state, RingObservation obs, DateTimeOffset now, bool killSwitchEngaged, GateOptions options)
    {
        if (state.Status != RolloutStatus.Progressing)
            return new ReconcileResult(state, []);
        if (state.RingEnteredAt is null)
            return new ReconcileResult(state with { RingEnteredAt = now }, []);

        var evidence = Gate(state, obs, now, options);
        var ring = state.CurrentRing;
        if (evidence.Verdict == "failed")
        {
            var why = obs.AttributedEvents >= options.AttributedHalt
                ? $"{obs.AttributedEvents} crash breadcrumbs/reverts name this content in the {state.Rings[ring].Name} ring"
                : $"{obs.ExposedCrashes} crashes among {obs.ExposedHosts} exposed hosts against {obs.ControlCrashes} among {obs.ControlHosts} control hosts: log-likelihood ratio {evidence.CrashLogLikelihoodRatio} >= {evidence.HaltThreshold}";
            return new ReconcileResult(state with { Status = RolloutStatus.Halted },
                [new ReconcileDecision(DecisionId(state.Id, "halt", ring), "halt", ring, "health gate failed: " + why, evidence)]);
        }
        // The kill switch freezes promotion; halting (above) still happens.
        if (killSwitchEngaged || evidence.Verdict != "passed")
            return new ReconcileResult(state, []);
        if (ring == state.Rings.Count - 1)
            return new ReconcileResult(state with { Status = RolloutStatus.Completed },
                [new ReconcileDecision(DecisionId(state.Id, "complete", ring), "complete", ring, $"the {state.Rings[ring].Name} ring baked and passed; rollout complete", evidence)]);
        return new ReconcileResult(state with { CurrentRing = ring + 1, RingEnteredAt = now },
            [new ReconcileDecision(DecisionId(state.Id, "promote", ring), "promote", ring,
                $"the {state.Rings[ring].Name} ring baked {evidence.BakedMinutes} min and passed its gate; promoting to the {state.Rings[ring + 1].Name} ring", evidence)]);
    }
}
