using Ringfence.Agent.Runtime;

namespace Ringfence.Server.Tests.AgentProcess;

/// <summary>The agents' build catalog from the repository's examples (fleet manifest and template types).</summary>
internal static class ExampleCatalog
{
    public static AgentBuildCatalog Load()
    {
        var examples = FindExamples();
        return AgentBuildCatalog.FromJson(File.ReadAllText(Path.Combine(examples, "fleet.json")), File.ReadAllText(Path.Combine(examples, "template-types.json")));
    }

    public static string FindExamples()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "examples");
            if (File.Exists(Path.Combine(candidate, "fleet.json")))
                return candidate;
        }
        throw new DirectoryNotFoundException("examples/ not found above " + AppContext.BaseDirectory);
    }
}
