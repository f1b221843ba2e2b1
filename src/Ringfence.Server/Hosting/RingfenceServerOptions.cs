namespace Ringfence.Server.Hosting;

public enum StorageProvider
{
    Sqlite,
    Postgres,
}

/// <summary>
/// Everything the server needs, with defaults and ranges kept here (bound from the "Ringfence" configuration
/// section, so RINGFENCE__BOOTSTRAPADMINKEY etc. work as environment variables).
/// </summary>
public sealed record RingfenceServerOptions
{
    /// <summary>Directory for the SQLite file and the TUF signing keys (created if missing).</summary>
    public string DataDirectory { get; init; } = "ringfence-data";

    public StorageProvider Provider { get; init; } = StorageProvider.Sqlite;

    /// <summary>PostgreSQL connection string (Provider = Postgres); for SQLite, optional override of the file connection string.</summary>
    public string? ConnectionString { get; init; }

    /// <summary>Listen URLs, e.g. "http://127.0.0.1:5080". Port 0 picks a free port.</summary>
    public string Urls { get; init; } = "http://127.0.0.1:5080";

    /// <summary>Admin API key accepted at start (stored hashed). When null and no key exists, one is generated and printed once.</summary>
    public string? BootstrapAdminKey { get; init; }

    /// <summary>Enrollment token accepted at start (stored hashed). When null and none exists, one is generated and printed once.</summary>
    public string? BootstrapEnrollmentToken { get; init; }

    /// <summary>Name of this node in the leader lease (defaults to machine name + process id).</summary>
    public string? NodeId { get; init; }

    /// <summary>How often the controller reconciles.</summary>
    public TimeSpan ControllerPeriod { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>How long a leader's lease lasts without renewal; another node takes over after it expires.</summary>
    public TimeSpan LeaseDuration { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>Agents' check-in period (also sent to them).</summary>
    public int CheckInIntervalSeconds { get; init; } = 60;

    /// <summary>Largest accepted request body (channel files included).</summary>
    public long MaxRequestBodyBytes { get; init; } = 1024 * 1024;

    /// <summary>Operator requests per second per key (token bucket); agents are limited per host.</summary>
    public int OperatorRequestsPerSecond { get; init; } = 50;

    public int AgentRequestsPerSecond { get; init; } = 20;

    /// <summary>When false, the controller hosted service is not started (tests drive it by hand).</summary>
    public bool RunController { get; init; } = true;

    /// <summary>
    /// Enrollment groups whose hosts are the vendor's internal dogfood hosts (tagged Dogfood: the engine's first ring).
    /// Until hosts belong to organisations, a host is dogfood exactly when it enrolled with one of these groups.
    /// </summary>
    public IReadOnlyList<string> DogfoodGroups { get; init; } = ["dogfood"];

    /// <summary>How often every node re-reads the target snapshot (rollout state, kill switch, known-bad list).</summary>
    public TimeSpan SnapshotRefreshPeriod { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Fleet manifest JSON naming agent builds and their template contracts; null = the catalog shipped with the server.</summary>
    public string? BuildCatalogFile { get; init; }

    /// <summary>Template types JSON; null = the ones shipped with the server.</summary>
    public string? TemplateTypesFile { get; init; }

    /// <summary>Agent builds added to every publish validation besides the ones learned from check-ins.</summary>
    public IReadOnlyList<string> DeclaredBuilds { get; init; } = [];

    /// <summary>
    /// Passphrase encrypting the TUF online signing keys stored in the database (and the root keys written at first start).
    /// Required when several nodes share a database; when null, one is generated into DataDirectory/tuf-key-passphrase.
    /// </summary>
    public string? TufKeyPassphrase { get; init; }

    /// <summary>PBKDF2 iterations for the TUF key files (fewer only in tests).</summary>
    public int TufKeyIterations { get; init; } = Ringfence.Trust.Keys.KeyEncryption.DefaultIterations;

    /// <summary>Root keys generated at first start, and how many must sign a new root.</summary>
    public int TufRootKeys { get; init; } = 3;

    public int TufRootThreshold { get; init; } = 2;

    public const int MinCheckInIntervalSeconds = 1;
    public const int MaxCheckInIntervalSeconds = 24 * 3600;

    /// <summary>Every problem at once, empty when valid.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (string.IsNullOrWhiteSpace(DataDirectory))
            errors.Add("DataDirectory: required");
        if (Provider == StorageProvider.Postgres && string.IsNullOrWhiteSpace(ConnectionString))
            errors.Add("ConnectionString: required when Provider is Postgres");
        if (ControllerPeriod < TimeSpan.FromMilliseconds(50) || ControllerPeriod > TimeSpan.FromMinutes(10))
            errors.Add($"ControllerPeriod: {ControllerPeriod} is outside 00:00:00.05..00:10:00");
        if (LeaseDuration < ControllerPeriod * 2 || LeaseDuration > TimeSpan.FromHours(1))
            errors.Add($"LeaseDuration: {LeaseDuration} must be at least twice ControllerPeriod and at most 1 hour");
        if (CheckInIntervalSeconds is < MinCheckInIntervalSeconds or > MaxCheckInIntervalSeconds)
            errors.Add($"CheckInIntervalSeconds: {CheckInIntervalSeconds} is outside {MinCheckInIntervalSeconds}..{MaxCheckInIntervalSeconds}");
        if (MaxRequestBodyBytes is < 1024 or > 64L * 1024 * 1024)
            errors.Add($"MaxRequestBodyBytes: {MaxRequestBodyBytes} is outside 1024..67108864");
        if (OperatorRequestsPerSecond is < 1 or > 1_000_000)
            errors.Add($"OperatorRequestsPerSecond: {OperatorRequestsPerSecond} is outside 1..1000000");
        if (AgentRequestsPerSecond is < 1 or > 1_000_000)
            errors.Add($"AgentRequestsPerSecond: {AgentRequestsPerSecond} is outside 1..1000000");
        if (DogfoodGroups is null || DogfoodGroups.Any(string.IsNullOrWhiteSpace))
            errors.Add("DogfoodGroups: a list of non-empty group names is required");
        if (SnapshotRefreshPeriod < TimeSpan.FromMilliseconds(50) || SnapshotRefreshPeriod > TimeSpan.FromMinutes(1))
            errors.Add($"SnapshotRefreshPeriod: {SnapshotRefreshPeriod} is outside 00:00:00.05..00:01:00");
        if (TufKeyPassphrase is { Length: < 12 })
            errors.Add("TufKeyPassphrase: must be at least 12 characters");
        if (TufKeyIterations is < Ringfence.Trust.Keys.KeyEncryption.MinimumIterations or > Ringfence.Trust.Keys.KeyEncryption.MaximumIterations)
            errors.Add($"TufKeyIterations: {TufKeyIterations} is outside {Ringfence.Trust.Keys.KeyEncryption.MinimumIterations}..{Ringfence.Trust.Keys.KeyEncryption.MaximumIterations}");
        if (TufRootKeys is < 1 or > 10)
            errors.Add($"TufRootKeys: {TufRootKeys} is outside 1..10");
        if (TufRootThreshold < 1 || TufRootThreshold > TufRootKeys)
            errors.Add($"TufRootThreshold: {TufRootThreshold} is outside 1..TufRootKeys ({TufRootKeys})");
        if (BootstrapAdminKey is { Length: < 16 })
            errors.Add("BootstrapAdminKey: must be at least 16 characters");
        if (BootstrapEnrollmentToken is { Length: < 16 })
            errors.Add("BootstrapEnrollmentToken: must be at least 16 characters");
        return errors;
    }
}
