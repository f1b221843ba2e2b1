using Ringfence.Content;

namespace Ringfence.Agent.Runtime;

/// <summary>
/// When a host that is not a real machine goes down: a simulated fleet (<c>Ringfence.Agent.Swarm</c>) or a test
/// decides. A shipping agent passes none: its crashes are real, and the next boot finds them from the flags on disk.
/// A simulated crash takes the same path as a real one: the host stops where it is, and the next boot infers it.
/// </summary>
public interface ISimulatedCrashes
{
    /// <summary>
    /// Whether the host goes down inside the interpreter while it evaluates <paramref name="content"/> for the first
    /// time: the index in <paramref name="file"/> of the instance it crashes on, or null when it does not crash.
    /// </summary>
    int? CrashInInterpreter(HostProfile host, ContentRef content, ChannelFile file);

    /// <summary>
    /// Whether the host goes down now, outside the interpreter (a driver, a time bomb, a raised crash rate), while
    /// running <paramref name="running"/>. Asked once per cycle.
    /// </summary>
    bool CrashOutsideInterpreter(HostProfile host, IReadOnlyCollection<ContentRef> running, DateTimeOffset now);
}
