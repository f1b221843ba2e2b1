namespace Ringfence.Agent.StateMachine;

/// <summary>
/// The agent state machine: pure transitions over <see cref="AgentState"/>, shared by the real agent and the
/// simulator. Nothing here does I/O; effects say what the caller must do (load, report, fetch).
/// </summary>
/// <remarks>
/// Self-healing agent: new content is activated under evaluation (the breadcrumb names it) and becomes
/// last-known-good after a health window without a crash. At boot, a breadcrumb showing a crash inside the
/// evaluation of content C, or K crashes in a row while evaluating C, reverts to last-known-good, quarantines C and
/// reports — all without network. The legacy 2024 agent has none of this: it reloads the same content at every
/// boot and only gets out by a lucky fix download during boot, a recovery channel, or a technician.
/// </remarks>
public static class AgentMachine
{
    /// <summary>The host boots. Call before anything is loaded; then act on the effects.</summary>
    public static AgentStep Boot(AgentState state, DateTimeOffset now, in BootEnvironment environment, AgentOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var s = state;
        if ((s.Flags & AgentFlags.Running) != 0)
        {
            // The last run did not stop cleanly and nobody recorded it: it crashed.
            s = Crash(s, (s.Flags & AgentFlags.InInterpreter) != 0, options).State;
        }

        s = s with { Flags = s.Flags & ~(AgentFlags.Running | AgentFlags.InInterpreter) };
        return options.Model == AgentModel.Legacy2024 ? LegacyBoot(s, now, environment, options) : SelfHealingBoot(s, options);
    }

    /// <summary>
    /// The host crashed (the simulator knows; the real agent infers it at the next <see cref="Boot"/>).
    /// <paramref name="inContentEvaluation"/>: the crash happened inside the interpreter evaluating the active content.
    /// </summary>
    public static AgentStep Crash(AgentState state, bool inContentEvaluation, AgentOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var flags = state.Flags & ~(AgentFlags.Running | AgentFlags.InInterpreter);
        var failed = state.FailedBoots == byte.MaxValue ? byte.MaxValue : (byte)(state.FailedBoots + 1);
        if (options.Model == AgentModel.Legacy2024)
        {
            // Counted for the recovery channel (the OS counts failed boots, not the agent).
            return new AgentStep(state with { Flags = flags, FailedBoots = failed }, AgentEffects.None);
        }

        if ((state.Flags & AgentFlags.Evaluating) == 0)
        {
            return new AgentStep(state with { Flags = flags }, AgentEffects.None);
        }

        if (inContentEvaluation)
        {
            flags |= AgentFlags.CrashedInContent;
        }

        return new AgentStep(state with { Flags = flags, FailedBoots = failed }, AgentEffects.None);
    }

    /// <summary>The host shuts down cleanly: no crash will be inferred at the next boot.</summary>
    public static AgentState Shutdown(AgentState state) =>
        state with { Flags = state.Flags & ~(AgentFlags.Running | AgentFlags.InInterpreter) };

    /// <summary>The real agent marks calls into the interpreter, so a crash there is attributed to the content.</summary>
    public static AgentState EnterInterpreter(AgentState state) => state with { Flags = state.Flags | AgentFlags.InInterpreter };

    /// <summary>End of an interpreter call.</summary>
    public static AgentState LeaveInterpreter(AgentState state) => state with { Flags = state.Flags & ~AgentFlags.InInterpreter };

    /// <summary>Content <paramref name="version"/> was downloaded and verified: stage it unless it is quarantined.</summary>
    public static AgentStep Stage(AgentState state, long version)
    {
        if (state.IsQuarantined(version))
        {
            return new AgentStep(state, AgentEffects.RefusedQuarantined, version);
        }

        return new AgentStep(version == state.Active ? state with { Staged = 0 } : state with { Staged = version }, AgentEffects.None);
    }

    /// <summary>Loads the staged content. New content starts its health window; the breadcrumb names it.</summary>
    public static AgentStep Activate(AgentState state, DateTimeOffset now, AgentOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var v = state.Staged;
        if (v == 0)
        {
            return new AgentStep(state, AgentEffects.None);
        }

        if (state.IsQuarantined(v))
        {
            return new AgentStep(state with { Staged = 0 }, AgentEffects.RefusedQuarantined, v);
        }

        if (v == state.Active)
        {
            return new AgentStep(state with { Staged = 0 }, AgentEffects.None);
        }

        var running = state.Flags & AgentFlags.Running;
        if (options.Model == AgentModel.Legacy2024)
        {
            // No slots, no evaluation: the new file simply replaces the old one.
            return new AgentStep(state with { Active = v, Staged = 0, LastKnownGood = v }, AgentEffects.LoadContent);
        }

        var next = v == state.LastKnownGood
            ? state with { Active = v, Staged = 0, FailedBoots = 0, EvaluationStartedTicks = 0, Flags = running }
            : state with { Active = v, Staged = 0, FailedBoots = 0, EvaluationStartedTicks = now.UtcTicks, Flags = running | AgentFlags.Evaluating };
        return new AgentStep(next, AgentEffects.LoadContent);
    }

    /// <summary>Stage and activate in one step (what a check-in that brings new content does).</summary>
    public static AgentStep Offer(AgentState state, long version, DateTimeOffset now, AgentOptions options)
    {
        var staged = Stage(state, version);
        if (staged.Has(AgentEffects.RefusedQuarantined))
        {
            return staged;
        }

        return Activate(staged.State, now, options);
    }

    /// <summary>Time passes with the host up: content that survived its health window becomes last-known-good.</summary>
    public static AgentStep Tick(AgentState state, DateTimeOffset now, AgentOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var window = options.EffectiveHealthWindow.Ticks;
        if (options.Model == AgentModel.Legacy2024)
        {
            // EvaluationStartedTicks is the last boot time here: a host that stays up long enough is no longer looping.
            return state.FailedBoots > 0 && now.UtcTicks - state.EvaluationStartedTicks >= window
                ? new AgentStep(state with { FailedBoots = 0 }, AgentEffects.None)
                : new AgentStep(state, AgentEffects.None);
        }

        if (!state.IsEvaluating || now.UtcTicks - state.EvaluationStartedTicks < window)
        {
            return new AgentStep(state, AgentEffects.None);
        }

        var promoted = state with
        {
            LastKnownGood = state.Active,
            FailedBoots = 0,
            EvaluationStartedTicks = 0,
            Flags = state.Flags & ~(AgentFlags.Evaluating | AgentFlags.CrashedInContent),
        };
        return new AgentStep(promoted, AgentEffects.PromotedLastKnownGood, state.Active);
    }

    /// <summary>
    /// The control plane rolled <paramref name="bad"/> back: leave it for last-known-good (or, when it had already
    /// become last-known-good, unload it and fetch <paramref name="fallback"/>), quarantine it and report.
    /// </summary>
    public static AgentStep Rollback(AgentState state, long bad, long fallback, AgentOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (bad == 0)
        {
            return new AgentStep(state, AgentEffects.None);
        }

        if (options.Model == AgentModel.Legacy2024)
        {
            // The 2024 agent has no slots: a rollback is simply another file replacing the bad one (the caller has
            // downloaded it), which only helps a host that stays up long enough to take it.
            return state.Active == bad
                ? new AgentStep(state with { Active = fallback, LastKnownGood = fallback, Staged = 0 }, AgentEffects.LoadContent, bad, RevertReason.ServerRollback)
                : new AgentStep(state, AgentEffects.None);
        }

        var s = state.Quarantine(bad);
        if (s.Staged == bad)
        {
            s = s with { Staged = 0 };
        }

        if (s.Active != bad)
        {
            return new AgentStep(s, AgentEffects.None, bad);
        }

        var clearEvaluation = s.Flags & ~(AgentFlags.Evaluating | AgentFlags.CrashedInContent);
        if (s.LastKnownGood != bad)
        {
            return new AgentStep(
                s with { Active = s.LastKnownGood, FailedBoots = 0, EvaluationStartedTicks = 0, Flags = clearEvaluation },
                AgentEffects.LoadContent | AgentEffects.ReportRevert, bad, RevertReason.ServerRollback);
        }

        var effects = AgentEffects.LoadContent | AgentEffects.ReportRevert | (fallback != 0 ? AgentEffects.RequestFetch : AgentEffects.None);
        return new AgentStep(
            s with { Active = 0, LastKnownGood = 0, FailedBoots = 0, EvaluationStartedTicks = 0, Flags = clearEvaluation },
            effects, bad, RevertReason.ServerRollback, fallback);
    }

    /// <summary>
    /// A technician repairs the host (safe mode, delete the bad file): it runs <paramref name="fixVersion"/> if one
    /// is published, otherwise last-known-good (self-healing) or no content (legacy). The caller books
    /// <see cref="AgentOptions.EffectiveManualRepairTime"/> of technician time; the host then boots.
    /// </summary>
    public static AgentStep ManualRepair(AgentState state, long fixVersion, AgentOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var bad = state.Active;
        var legacy = options.Model == AgentModel.Legacy2024;
        var s = legacy ? state : state.Quarantine(bad);
        var fallback = fixVersion != 0 ? fixVersion : legacy ? 0 : (s.LastKnownGood != bad ? s.LastKnownGood : 0);
        s = s with
        {
            Active = fallback,
            Staged = 0,
            LastKnownGood = legacy || fixVersion != 0 ? fallback : s.LastKnownGood,
            FailedBoots = 0,
            EvaluationStartedTicks = 0,
            Flags = AgentFlags.None,
        };
        return new AgentStep(s, AgentEffects.RepairedManually, bad);
    }

    private static AgentStep SelfHealingBoot(AgentState s, AgentOptions options)
    {
        if (s.IsEvaluating && s.Active != 0)
        {
            var crashedInContent = (s.Flags & AgentFlags.CrashedInContent) != 0;
            if (crashedInContent || s.FailedBoots >= options.BootFailureLimit)
            {
                var bad = s.Active;
                var reverted = s.Quarantine(bad) with
                {
                    Active = s.LastKnownGood,
                    Staged = s.Staged == bad ? 0 : s.Staged,
                    FailedBoots = 0,
                    EvaluationStartedTicks = 0,
                    Flags = AgentFlags.Running,
                };
                var effects = AgentEffects.LoadContent | AgentEffects.ReportRevert | (crashedInContent ? AgentEffects.ReportCrashBreadcrumb : AgentEffects.None);
                return new AgentStep(reverted, effects, bad, crashedInContent ? RevertReason.CrashBreadcrumb : RevertReason.BootLoop);
            }
        }

        return new AgentStep(s with { Flags = s.Flags | AgentFlags.Running }, AgentEffects.LoadContent);
    }

    private static AgentStep LegacyBoot(AgentState s, DateTimeOffset now, in BootEnvironment env, AgentOptions options)
    {
        var booted = s with { EvaluationStartedTicks = now.UtcTicks, Flags = s.Flags | AgentFlags.Running };
        if (env.FixVersion == 0 || env.FixVersion == s.Active || !env.NetworkAvailable)
        {
            return new AgentStep(booted, AgentEffects.LoadContent);
        }

        var fixedState = booted with { Active = env.FixVersion, LastKnownGood = env.FixVersion, Staged = 0 };
        if (options.QuickMachineRecovery && s.FailedBoots >= options.RecoveryAfterFailedBoots)
        {
            return new AgentStep(fixedState with { FailedBoots = 0 }, AgentEffects.LoadContent | AgentEffects.RecoveredByRecoveryChannel, s.Active);
        }

        if (env.RaceDraw < options.FixFetchProbability)
        {
            // The download won the race against the boot-time load of the bad file.
            return new AgentStep(fixedState, AgentEffects.LoadContent | AgentEffects.FixFetchedAtBoot, s.Active);
        }

        return new AgentStep(booted, AgentEffects.LoadContent);
    }
}
