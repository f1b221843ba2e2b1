using Ringfence.Protocol;

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

    /// <summary>Excess crashes over the control rate, in standard deviations of a Poisson count, that halt.</summary>
    public double CrashSigma { get; init; } = 3;
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
    double CrashLimit,
    double BakedMinutes,
    int BakeMinutes);

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
        // A floor on the rate keeps a clean control group from making one exposed crash look infinite.
        var expected = obs.ExposedHosts * Math.Max(controlRate, 0.001);
        var limit = expected + options.CrashSigma * Math.Sqrt(Math.Max(expected, 1)) + 1;
        string verdict;
        if (obs.AttributedEvents >= options.AttributedHalt || obs.ExposedCrashes > limit)
            verdict = "failed";
        else if (baked < ring.BakeMinutes)
            verdict = "running";
        else if (obs.TargetHosts > 0 && obs.ExposedHosts < Math.Ceiling(obs.TargetHosts * options.MinExposedShare))
            verdict = "inconclusive";
        else
            verdict = "passed";
        return new GateEvidence(verdict, obs.TargetHosts, obs.ExposedHosts, obs.ControlHosts, obs.ExposedCrashes, obs.ControlCrashes,
            obs.AttributedEvents, Math.Round(expected, 3), Math.Round(limit, 3), Math.Round(baked, 2), ring.BakeMinutes);
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
                : $"{obs.ExposedCrashes} crashes among {obs.ExposedHosts} exposed hosts exceed the limit {evidence.CrashLimit} from the control rate";
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
