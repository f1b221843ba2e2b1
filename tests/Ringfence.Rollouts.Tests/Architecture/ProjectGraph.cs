using System.Xml.Linq;

namespace Ringfence.Rollouts.Tests.Architecture;

/// <summary>
/// The solution's project references as a graph: project name (e.g. "Ringfence.Rollouts") to the projects its csproj
/// names in ProjectReference. Read from the csproj files, so the test sees what the build will see.
/// </summary>
internal sealed class ProjectGraph(IReadOnlyDictionary<string, IReadOnlySet<string>> references)
{
    public IReadOnlyDictionary<string, IReadOnlySet<string>> References { get; } = references;

    /// <summary>Reads every src/*/*.csproj under the repository that holds this test run.</summary>
    public static ProjectGraph LoadSources()
    {
        var src = Path.Combine(RepositoryRoot(), "src");
        var graph = new Dictionary<string, IReadOnlySet<string>>(StringComparer.Ordinal);
        foreach (var csproj in Directory.EnumerateFiles(src, "*.csproj", SearchOption.AllDirectories))
        {
            var refs = XDocument.Load(csproj).Descendants("ProjectReference")
                .Select(e => (string?)e.Attribute("Include") ?? throw new InvalidDataException($"{csproj}: a ProjectReference has no Include"))
                .Select(p => Path.GetFileNameWithoutExtension(p.Replace('\\', '/')))
                .ToHashSet(StringComparer.Ordinal);
            graph.Add(Path.GetFileNameWithoutExtension(csproj), refs);
        }
        return new ProjectGraph(graph);
    }

    /// <summary>Every project <paramref name="project"/> reaches through references, directly or not, with the path to it.</summary>
    public IReadOnlyDictionary<string, string> Reachable(string project)
    {
        var paths = new Dictionary<string, string>(StringComparer.Ordinal);
        var queue = new Queue<(string Name, string Path)>([(project, project)]);
        while (queue.TryDequeue(out var current))
        {
            foreach (var next in References.GetValueOrDefault(current.Name) ?? new HashSet<string>())
            {
                var path = current.Path + " → " + next;
                if (paths.TryAdd(next, path))
                    queue.Enqueue((next, path));
            }
        }
        return paths;
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Ringfence.slnx")))
                return dir.FullName;
        }
        throw new DirectoryNotFoundException($"no Ringfence.slnx above {AppContext.BaseDirectory}");
    }
}
