using Ringfence.Protocol;

namespace Ringfence.Agent.Runtime;

/// <summary>Who a (real or simulated) host says it is when it enrolls and checks in.</summary>
public sealed record HostProfile(string Hostname, HostConfiguration Configuration, IReadOnlyList<string>? Groups = null);
