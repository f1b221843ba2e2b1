namespace Ringfence.Agent.StateMachine;

/// <summary>Durable flags of an agent.</summary>
[Flags]
public enum AgentFlags : byte
{
    None = 0,
    /// <summary>The active content is under evaluation (health window running); the breadcrumb names it.</summary>
    Evaluating = 1,
    /// <summary>The breadcrumb shows the last crash happened inside the evaluation of the active content.</summary>
    CrashedInContent = 2,
    /// <summary>The host is up with content loaded; still set at boot means the last run did not stop cleanly.</summary>
    Running = 4,
    /// <summary>Set by the agent around calls into the content interpreter; still set at boot means it crashed there.</summary>
    InInterpreter = 8,
}

/// <summary>
/// Durable state of one agent: three slots (active, staged, last-known-good), a small quarantine set, the durable
/// boot counter and the breadcrumb (flags + <see cref="EvaluationStartedTicks"/>). A 56-byte struct of numbers so a
/// simulator can keep millions in an array; System.Text.Json round-trips it for the real agent.
/// Content versions are longs; 0 means "no content".
/// </summary>
/// <param name="Active">Content loaded now.</param>
/// <param name="Staged">Content downloaded and verified, not yet loaded.</param>
/// <param name="LastKnownGood">Content that survived its health window; what a revert goes back to.</param>
/// <param name="Quarantine0">Most recently quarantined content (never loaded again).</param>
/// <param name="Quarantine1">The one before.</param>
/// <param name="EvaluationStartedTicks">UTC ticks when the active content started its health window.</param>
/// <param name="FailedBoots">Consecutive crashes while evaluating the active content (the durable boot counter).</param>
/// <param name="Flags">Breadcrumb and run flags.</param>
public readonly record struct AgentState(
    long Active,
    long Staged,
    long LastKnownGood,
    long Quarantine0,
    long Quarantine1,
    long EvaluationStartedTicks,
    byte FailedBoots,
    AgentFlags Flags)
{
    /// <summary>A fresh agent running <paramref name="content"/> as proven content (0: none).</summary>
    public static AgentState Initial(long content) => new(content, 0, content, 0, 0, 0, 0, AgentFlags.None);

    /// <summary>The content the breadcrumb names (the active content under evaluation), or 0.</summary>
    public long Breadcrumb => (Flags & AgentFlags.Evaluating) != 0 ? Active : 0;

    public bool IsEvaluating => (Flags & AgentFlags.Evaluating) != 0;

    public bool IsQuarantined(long content) => content != 0 && (content == Quarantine0 || content == Quarantine1);

    /// <summary>Adds <paramref name="content"/> to the quarantine set (the oldest entry falls out).</summary>
    public AgentState Quarantine(long content) =>
        content == 0 || IsQuarantined(content) ? this : this with { Quarantine0 = content, Quarantine1 = Quarantine0 };
}
