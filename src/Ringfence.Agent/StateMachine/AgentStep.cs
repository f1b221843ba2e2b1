namespace Ringfence.Agent.StateMachine;

/// <summary>What the caller must do after a transition. Effects are requests, never I/O done here.</summary>
[Flags]
public enum AgentEffects : ushort
{
    None = 0,
    /// <summary>Load <see cref="AgentState.Active"/> into the interpreter (0: run without content).</summary>
    LoadContent = 1,
    /// <summary>Report a revert of <see cref="AgentStep.Subject"/> (reason in <see cref="AgentStep.Reason"/>).</summary>
    ReportRevert = 2,
    /// <summary>Report a crash breadcrumb naming <see cref="AgentStep.Subject"/> (direct attribution).</summary>
    ReportCrashBreadcrumb = 4,
    /// <summary>Fetch <see cref="AgentStep.Fetch"/> from the control plane when the network allows.</summary>
    RequestFetch = 8,
    /// <summary>The active content survived its health window and is now last-known-good.</summary>
    PromotedLastKnownGood = 16,
    /// <summary>Content <see cref="AgentStep.Subject"/> is quarantined: refused.</summary>
    RefusedQuarantined = 32,
    /// <summary>Legacy: the fix was downloaded before the boot-time load (a lucky reboot).</summary>
    FixFetchedAtBoot = 64,
    /// <summary>Legacy: the recovery environment (Quick Machine Recovery) installed the fix.</summary>
    RecoveredByRecoveryChannel = 128,
    /// <summary>Legacy: a technician removed the bad content.</summary>
    RepairedManually = 256,
}

/// <summary>Why content was reverted.</summary>
public enum RevertReason : byte
{
    None = 0,
    /// <summary>The breadcrumb showed a crash inside the evaluation of the content.</summary>
    CrashBreadcrumb = 1,
    /// <summary>The content failed K boots in a row.</summary>
    BootLoop = 2,
    /// <summary>The control plane rolled it back.</summary>
    ServerRollback = 3,
}

/// <summary>Result of a transition: new state, effects, and what they are about.</summary>
/// <param name="State">The new state (persist it before acting on the effects).</param>
/// <param name="Effects">What to do.</param>
/// <param name="Subject">Content the reports are about (reverted, crashed or refused), or 0.</param>
/// <param name="Reason">Why it was reverted, if it was.</param>
/// <param name="Fetch">Content to fetch when <see cref="AgentEffects.RequestFetch"/> is set, or 0.</param>
public readonly record struct AgentStep(AgentState State, AgentEffects Effects, long Subject = 0, RevertReason Reason = RevertReason.None, long Fetch = 0)
{
    public bool Has(AgentEffects effect) => (Effects & effect) == effect;
}

/// <summary>What the host can see while it boots (the simulator draws <see cref="RaceDraw"/> from its seeded random).</summary>
/// <param name="FixVersion">Fixed content published by the control plane, or 0 when none yet.</param>
/// <param name="NetworkAvailable">Whether the network is up during boot.</param>
/// <param name="RaceDraw">A uniform draw in [0, 1) deciding the legacy race between fix download and content load.</param>
public readonly record struct BootEnvironment(long FixVersion = 0, bool NetworkAvailable = false, double RaceDraw = 1);
