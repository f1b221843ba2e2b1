using FsCheck;
using FsCheck.Fluent;
using Ringfence.Rollouts.Health;
using Ringfence.Rollouts.Reconcile;
using static Ringfence.Rollouts.Tests.TestData;

namespace Ringfence.Rollouts.Tests.Reconcile;

/// <summary>DESIGN.md safety invariant 2 at the engine level, over random histories.</summary>
public class SafetyInvariantTests
{
    [Fact]
    public void Reconcile_AnyHistory_NoRingStartsBeforeThePreviousBakedAndPassed()
    {
        var promotions = 0;
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(400), Prop.ForAll<int>(seed =>
        {
            var random = new Random(seed);
            var spec = Spec(emergency: random.Next(4) == 0);
            var state = RolloutState.Create(spec.RolloutId);
            var now = T0;
            for (var step = 0; step < 120; step++)
            {
                now = now.AddMinutes(random.Next(0, 25));
                var inputs = RandomInputs(random, state);
                var result = Reconciler.Reconcile(spec, state, inputs, now);
                // The state the automatic step saw: the same call with the commands but without the observation.
                var before = state;
                var afterCommands = Reconciler.Reconcile(spec, state, inputs with { Observation = null }, now).State;
                foreach (var d in result.Decisions.Where(d => d.Kind is DecisionKind.RingStarted or DecisionKind.Completed && d.Ring > 0 || d.Kind == DecisionKind.Completed))
                {
                    promotions++;
                    var previousRing = d.Kind == DecisionKind.Completed ? d.Ring : d.Ring - 1;
                    var humanAcceptedHold = d.Actor is not null && before.Phase == RolloutPhase.Paused && before.HeldByGate;
                    if (humanAcceptedHold)
                    {
                        continue;
                    }

                    // Automatic promotion: the previous ring was baking, its (possibly fast-tracked) bake is over and its gate passed.
                    var ok = afterCommands.Phase == RolloutPhase.Baking && afterCommands.Ring == previousRing
                        && afterCommands.BakeStartedAt is { } bake && now - bake >= spec.BakeTime(previousRing)
                        && d.Evidence is { Outcome: GateOutcome.Pass };
                    if (!ok)
                    {
                        throw new InvalidOperationException($"seed {seed}: {d.Kind} ring {d.Ring} at {now:O} from {afterCommands}");
                    }
                }

                state = result.State;
            }

            return true;
        }));

        promotions.ShouldBeGreaterThan(100);
    }

    private static RolloutInputs RandomInputs(Random random, RolloutState state)
    {
        var commands = new List<OperatorCommand>();
        if (random.Next(8) == 0)
        {
            commands.Add(new OperatorCommand((OperatorCommandKind)random.Next(5), random.Next(2) == 0 ? "alice" : "bob"));
        }

        if (state.Phase == RolloutPhase.Validated)
        {
            commands.Add(new OperatorCommand(OperatorCommandKind.Approve, random.Next(2) == 0 ? "alice" : "bob"));
        }

        var health = new HealthSample(
            random.Next(0, 2000), random.Next(0, 3), 0, random.Next(0, 3),
            random.Next(0, 20_000), random.Next(0, 20), 0, random.Next(0, 20),
            random.Next(30) == 0 ? 3 : 0);
        var observation = random.Next(5) == 0 ? null : new RolloutObservation(random.Next(4) == 0 ? random.Next(3) : state.Ring, -1, random.Next(0, 50), health);
        return new RolloutInputs(commands, observation, random.Next(200) == 0);
    }
}
