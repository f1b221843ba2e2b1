using Ringfence.Agent.Runtime;
using Ringfence.Content;

namespace Ringfence.Agent.Swarm;

/// <summary>
/// The demo's fault that no validator can see: hosts on <see cref="OsBuild"/> "crash" while evaluating the content
/// whose SHA-256 is <see cref="ContentSha256"/> (for instance a driver interaction on one Windows build), on the
/// instance <see cref="InstanceId"/> (null: the file's last instance, the rule a release adds). Nothing really
/// crashes: the agent stops as a crashed host would, and its next boot finds the breadcrumb on disk.
/// </summary>
public sealed record DemoFault(string OsBuild, string ContentSha256, string? InstanceId = null)
{
    public bool Crashes(HostProfile host, string contentSha256) =>
        string.Equals(host.Configuration.OsBuild, OsBuild, StringComparison.Ordinal)
        && string.Equals(contentSha256, ContentSha256, StringComparison.OrdinalIgnoreCase);

    /// <summary>The index of the instance the host crashes on in <paramref name="file"/>.</summary>
    public int InstanceIndex(ChannelFile file)
    {
        ArgumentNullException.ThrowIfNull(file);
        if (InstanceId is null)
            return Math.Max(0, file.Instances.Count - 1);
        for (var i = 0; i < file.Instances.Count; i++)
        {
            if (string.Equals(file.Instances[i].Id, InstanceId, StringComparison.Ordinal))
                return i;
        }
        return 0;
    }
}

/// <summary>
/// The demo's crashes, shared by every agent of a swarm: at most one armed <see cref="DemoFault"/> (inside the
/// interpreter), and optionally a crash outside the interpreter for hosts running given content (a time bomb).
/// </summary>
public sealed class FaultHook : ISimulatedCrashes
{
    private volatile DemoFault? _fault;
    private volatile Func<HostProfile, IReadOnlyCollection<ContentRef>, DateTimeOffset, bool>? _outside;

    /// <summary>Arms (or with null, disarms) the fault for every agent sharing this hook.</summary>
    public void Arm(DemoFault? fault) => _fault = fault;

    /// <summary>Arms (or with null, disarms) crashes outside the interpreter.</summary>
    public void ArmOutsideInterpreter(Func<HostProfile, IReadOnlyCollection<ContentRef>, DateTimeOffset, bool>? crashes) => _outside = crashes;

    public bool Crashes(HostProfile host, string contentSha256) => _fault?.Crashes(host, contentSha256) == true;

    public int? CrashInInterpreter(HostProfile host, ContentRef content, ChannelFile file)
    {
        ArgumentNullException.ThrowIfNull(content);
        return _fault is { } fault && fault.Crashes(host, content.Sha256) ? fault.InstanceIndex(file) : null;
    }

    public bool CrashOutsideInterpreter(HostProfile host, IReadOnlyCollection<ContentRef> running, DateTimeOffset now) =>
        _outside?.Invoke(host, running, now) == true;
}
