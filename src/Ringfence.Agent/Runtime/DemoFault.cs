namespace Ringfence.Agent.Runtime;

/// <summary>
/// The demo's fault that no validator can see: hosts on <see cref="OsBuild"/> "crash" while evaluating the content
/// whose SHA-256 is <see cref="ContentSha256"/> (for instance a driver interaction on one Windows build). Nothing
/// really crashes: the agent records it through the state machine (breadcrumb, reboot, boot counter, revert),
/// exactly as it would record a real crash found at the next boot.
/// </summary>
public sealed record DemoFault(string OsBuild, string ContentSha256)
{
    public bool Crashes(HostProfile host, string contentSha256) =>
        string.Equals(host.Configuration.OsBuild, OsBuild, StringComparison.Ordinal)
        && string.Equals(contentSha256, ContentSha256, StringComparison.OrdinalIgnoreCase);
}

/// <summary>Decides whether loading some content crashes this host; null means never.</summary>
public sealed class FaultHook
{
    private volatile DemoFault? _fault;

    /// <summary>Arms (or with null, disarms) the fault for every agent sharing this hook.</summary>
    public void Arm(DemoFault? fault) => _fault = fault;

    public bool Crashes(HostProfile host, string contentSha256) => _fault?.Crashes(host, contentSha256) == true;
}
