using Ringfence.Rollouts.Health;
using Ringfence.Rollouts.Reconcile;
using Ringfence.Rollouts.Rings;

namespace Ringfence.Rollouts.Tests;

/// <summary>Small fixtures shared by the rollout tests.</summary>
internal static class TestData
{
    public static readonly DateTimeOffset T0 = new(2024, 7, 19, 4, 9, 0, TimeSpan.Zero);

    public static readonly int[] Builds = [7100, 7110];

    /// <summary>Dogfood (30 min), canary 10 % (60 min), everyone (30 min).</summary>
    public static RingPlan Plan3(HealthGateOptions? gate = null) => new(
    [
        new RingSpec("dogfood", RingSelection.Dogfood(), 2, TimeSpan.FromMinutes(30), gate),
        new RingSpec("canary", RingSelection.ByPercent(10), 5, TimeSpan.FromMinutes(60), gate),
        new RingSpec("all", RingSelection.ByPercent(100), 1, TimeSpan.FromMinutes(30), gate),
    ]);

    public static RolloutSpec Spec(bool emergency = false, RolloutOptions? options = null, RingPlan? plan = null) =>
        new("r-291", 291, "C-00000291", Builds, plan ?? Plan3(), emergency, options);

    /// <summary>Plenty of exposure, no events at all.</summary>
    public static HealthSample Healthy => new(1000, 0, 0, 0, 10_000, 0, 0, 0, 0);

    public static RolloutObservation Observe(int ring, int exposed = 100, HealthSample? health = null, int eligible = -1) =>
        new(ring, eligible, exposed, health ?? Healthy);

    public static RolloutInputs With(params OperatorCommand[] commands) => new(commands);

    public static RolloutInputs With(RolloutObservation observation) => new(null, observation);

    public static OperatorCommand Cmd(OperatorCommandKind kind, string actor = "alice") => new(kind, actor, "test");

    /// <summary>A validated rollout.</summary>
    public static RolloutState Validated(RolloutSpec spec) =>
        Reconciler.Reconcile(spec, RolloutState.Create(spec.RolloutId), RolloutInputs.None, T0).State;

    /// <summary>A rollout deploying ring 0 since <see cref="T0"/>.</summary>
    public static RolloutState Deploying(RolloutSpec spec) =>
        Reconciler.Reconcile(spec, Validated(spec), With(Cmd(OperatorCommandKind.Approve)), T0).State;

    /// <summary>A rollout baking ring <paramref name="ring"/>, bake started at <paramref name="since"/>.</summary>
    public static RolloutState Baking(int ring, DateTimeOffset since) =>
        new("r-291", RolloutPhase.Baking, ring, 10, RingStartedAt: since, BakeStartedAt: since, FirstApprover: "alice");
}
