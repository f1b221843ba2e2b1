using System.Reflection;
using Ringfence.Agent.Runtime;

namespace Ringfence.Cli.Demo;

/// <summary>
/// The shipped examples (examples/*.json), embedded in the tool so `ringfence demo` and `ringfence agent` work from
/// any directory: the fleet manifest and template types make the agents' build catalog; the channel files are
/// what the demo publishes.
/// </summary>
internal static class ExampleFiles
{
    public const string Fleet = "fleet.json";
    public const string TemplateTypes = "template-types.json";
    public const string GoodChannel = "good-channel.json";
    public const string Channel291 = "channel-291.json";

    public static string Read(string name)
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream("Ringfence.Examples." + name)
            ?? throw new CliException($"example {name} is not embedded in this build of ringfence");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    public static AgentBuildCatalog Catalog() => AgentBuildCatalog.FromJson(Read(Fleet), Read(TemplateTypes));
}
