namespace Ringfence.Protocol;

/// <summary>The HTTP routes of the control plane, shared so agent and server cannot drift apart.</summary>
public static class Routes
{
    public const string Enroll = "/v1/agent/enroll";
    public const string CheckIn = "/v1/agent/check-in";
    public const string Telemetry = "/v1/agent/telemetry";

    /// <summary>TUF repository root: {n}.root.json, timestamp.json, snapshot.json, targets.json, targets/{sha256}.{name}.</summary>
    public const string Tuf = "/tuf";

    public const string ChannelFiles = "/v1/channel-files";
    public const string Rollouts = "/v1/rollouts";
    public const string KillSwitch = "/v1/kill-switch";
    public const string Fleet = "/v1/fleet";
    public const string Decisions = "/v1/decisions";
    public const string Audit = "/v1/audit";
    public const string AuditVerify = "/v1/audit/verify";
    /// <summary>GET: the newest signed checkpoint (keep a copy: `ringfence audit verify --expect-head` checks against it). POST (admin): sign one now.</summary>
    public const string AuditCheckpoint = "/v1/audit/checkpoint";
    public const string Hosts = "/v1/hosts";
    public const string KnownBad = "/v1/known-bad";
    public const string ApiKeys = "/v1/api-keys";
    public const string EnrollmentTokens = "/v1/enrollment-tokens";
    public const string WhoAmI = "/v1/whoami";
    public const string OpenApi = "/openapi/v1.json";
    public const string Health = "/healthz";

    /// <summary>Operator API key header (alternative: "Authorization: Bearer &lt;key&gt;").</summary>
    public const string ApiKeyHeader = "X-Api-Key";

    /// <summary>Base of the ProblemDetails "type" URIs: {ProblemTypeBase}{code}.</summary>
    public const string ProblemTypeBase = "https://ringfence.dev/problems/";

    public static string ApiKey(string id) => $"{ApiKeys}/{Uri.EscapeDataString(id)}";
    public static string ApiKeyRevoke(string id) => $"{ApiKey(id)}/revoke";
    public static string Host(string id) => $"{Hosts}/{Uri.EscapeDataString(id)}";
    public static string HostRevoke(string id) => $"{Host(id)}/revoke";

    public static string Rollout(string id) => $"{Rollouts}/{Uri.EscapeDataString(id)}";
}
