namespace Ringfence.Agent.StateMachine;

/// <summary>Which agent is modelled.</summary>
public enum AgentModel : byte
{
    /// <summary>Ringfence's agent: breadcrumb, boot counter, last-known-good revert and quarantine.</summary>
    SelfHealing = 0,
    /// <summary>The 2024 agent: no bounds check, no sentinel; boot-loops until a fix arrives or a person repairs it.</summary>
    Legacy2024 = 1,
}

/// <summary>Agent state machine options, with defaults and ranges in one place.</summary>
/// <param name="Model">Self-healing or legacy.</param>
/// <param name="BootFailureLimit">K: crashes in a row while evaluating content before it is reverted.</param>
/// <param name="HealthWindow">After this long without a crash, new content becomes last-known-good.</param>
/// <param name="ManualRepairTime">Technician time per host for a manual repair (legacy).</param>
/// <param name="QuickMachineRecovery">Legacy hosts have a recovery channel like Windows' Quick Machine Recovery.</param>
/// <param name="RecoveryAfterFailedBoots">Failed boots in a row before the recovery environment starts.</param>
/// <param name="FixFetchProbability">
/// Legacy: chance per boot that the agent downloads the fixed content before it loads the bad one (the race of
/// 19 July; hosts on a good network sometimes won it after several restarts).
/// </param>
public sealed record AgentOptions(
    AgentModel Model = AgentModel.SelfHealing,
    int BootFailureLimit = AgentOptions.DefaultBootFailureLimit,
    TimeSpan? HealthWindow = null,
    TimeSpan? ManualRepairTime = null,
    bool QuickMachineRecovery = false,
    int RecoveryAfterFailedBoots = AgentOptions.DefaultRecoveryAfterFailedBoots,
    double FixFetchProbability = AgentOptions.DefaultFixFetchProbability)
{
    public const int DefaultBootFailureLimit = 3;
    public const int MaxBootFailureLimit = 100;
    public const int DefaultRecoveryAfterFailedBoots = 3;
    public const double DefaultFixFetchProbability = 0.1;
    public static readonly TimeSpan DefaultHealthWindow = TimeSpan.FromMinutes(30);
    public static readonly TimeSpan DefaultManualRepairTime = TimeSpan.FromMinutes(15);

    public static AgentOptions Default { get; } = new();

    public static AgentOptions Legacy { get; } = new(AgentModel.Legacy2024);

    public TimeSpan EffectiveHealthWindow => HealthWindow ?? DefaultHealthWindow;

    public TimeSpan EffectiveManualRepairTime => ManualRepairTime ?? DefaultManualRepairTime;

    /// <summary>Every problem at once; empty when valid.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (!Enum.IsDefined(Model))
        {
            errors.Add($"model: unknown model {(int)Model}");
        }

        if (BootFailureLimit is < 1 or > MaxBootFailureLimit)
        {
            errors.Add($"bootFailureLimit: must be between 1 and {MaxBootFailureLimit}, got {BootFailureLimit}");
        }

        if (EffectiveHealthWindow <= TimeSpan.Zero || EffectiveHealthWindow > TimeSpan.FromDays(7))
        {
            errors.Add($"healthWindow: must be more than 0 and at most 7 days, got {EffectiveHealthWindow}");
        }

        if (EffectiveManualRepairTime < TimeSpan.Zero || EffectiveManualRepairTime > TimeSpan.FromDays(1))
        {
            errors.Add($"manualRepairTime: must be between 0 and 1 day, got {EffectiveManualRepairTime}");
        }

        if (RecoveryAfterFailedBoots is < 1 or > MaxBootFailureLimit)
        {
            errors.Add($"recoveryAfterFailedBoots: must be between 1 and {MaxBootFailureLimit}, got {RecoveryAfterFailedBoots}");
        }

        if (double.IsNaN(FixFetchProbability) || FixFetchProbability is < 0 or > 1)
        {
            errors.Add($"fixFetchProbability: must be between 0 and 1, got {FixFetchProbability}");
        }

        return errors;
    }
}
