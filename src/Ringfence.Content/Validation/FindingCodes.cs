namespace Ringfence.Content;

/// <summary>
/// Stable validator codes. Never renumber or reuse one: CI scripts and people grep for them.
/// Documented in docs/validation.md (keep <see cref="All"/> and that file in step; a test checks it).
/// </summary>
public static class FindingCodes
{
    // Static: schema, types, limits, regexes (RF1xxx)
    public const string SchemaViolation = "RF1001";
    public const string UnknownTemplateType = "RF1002";
    public const string CriteriaCountMismatch = "RF1003";
    public const string KindNotAllowed = "RF1004";
    public const string ValueTypeMismatch = "RF1005";
    public const string DuplicateInstanceId = "RF1006";
    public const string SizeLimitExceeded = "RF1007";
    public const string RegexInvalid = "RF1008";
    public const string RegexUnsafe = "RF1009";
    public const string EmptyRange = "RF1010";
    public const string EmptyChannelFile = "RF1011";
    public const string InvalidTemplateType = "RF1012";
    public const string RetiresChannel = "RF1013";
    public const string RetireWithInstances = "RF1014";

    // Fleet contract (RF2xxx)
    public const string FieldNotSupplied = "RF2001";
    public const string FieldUnreachable = "RF2002";
    public const string NoTargetedBuild = "RF2003";
    public const string ContractExceedsType = "RF2004";
    public const string InvalidFleet = "RF2005";

    // Replay (RF3xxx)
    public const string ReplayFault = "RF3001";
    public const string CorpusEventInvalid = "RF3002";
    public const string ReplayUnexpectedMatch = "RF3003";

    // Fuzz (RF4xxx)
    public const string FuzzFault = "RF4001";

    /// <summary>Every code with its default severity and a one-line summary.</summary>
    public static IReadOnlyList<(string Code, FindingSeverity Severity, string Summary)> All { get; } =
    [
        (SchemaViolation, FindingSeverity.Error, "JSON authoring file does not follow its schema"),
        (UnknownTemplateType, FindingSeverity.Error, "channel file names a template type that is not defined"),
        (CriteriaCountMismatch, FindingSeverity.Error, "instance has a different number of criteria than its type has fields"),
        (KindNotAllowed, FindingSeverity.Error, "criterion kind not allowed on that field"),
        (ValueTypeMismatch, FindingSeverity.Error, "criterion value does not fit the field type (integer vs string, unknown enum value)"),
        (DuplicateInstanceId, FindingSeverity.Error, "two instances share an id"),
        (SizeLimitExceeded, FindingSeverity.Error, "a size limit is exceeded"),
        (RegexInvalid, FindingSeverity.Error, "regex does not compile or needs the backtracking engine"),
        (RegexUnsafe, FindingSeverity.Error, "regex exceeded its time limit on adversarial input"),
        (EmptyRange, FindingSeverity.Error, "integer range with min greater than max"),
        (EmptyChannelFile, FindingSeverity.Error, "channel file has no instances and does not retire its channel"),
        (InvalidTemplateType, FindingSeverity.Error, "template type definition is invalid"),
        (RetiresChannel, FindingSeverity.Warning, "channel file retires its channel: its rollout needs two distinct approvers"),
        (RetireWithInstances, FindingSeverity.Error, "channel file is marked as retiring its channel but has instances"),
        (FieldNotSupplied, FindingSeverity.Error, "non-wildcard criterion on a field that targeted builds do not supply (Channel File 291)"),
        (FieldUnreachable, FindingSeverity.Warning, "wildcard on a field that targeted builds do not supply: never evaluated there"),
        (NoTargetedBuild, FindingSeverity.Warning, "no build in the fleet loads this channel file"),
        (ContractExceedsType, FindingSeverity.Warning, "a build supplies more values than the template type has fields"),
        (InvalidFleet, FindingSeverity.Error, "fleet manifest is inconsistent"),
        (ReplayFault, FindingSeverity.Error, "a sample event made the real interpreter fault"),
        (CorpusEventInvalid, FindingSeverity.Warning, "a sample event does not fit its template type"),
        (ReplayUnexpectedMatch, FindingSeverity.Warning, "a sample event matched different instances than expected"),
        (FuzzFault, FindingSeverity.Error, "a fuzzed event made the real interpreter fault"),
    ];
}
