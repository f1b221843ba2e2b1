namespace Ringfence.Fuzz;

/// <summary>Finds the repository (examples/, scenarios/, bench/fuzz/corpus/) from wherever the harness or a test runs.</summary>
public static class Corpus
{
    public static string RepoRoot
    {
        get
        {
            foreach (var start in new[] { AppContext.BaseDirectory, Directory.GetCurrentDirectory() })
            {
                for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
                {
                    if (File.Exists(Path.Combine(dir.FullName, "Ringfence.slnx")))
                        return dir.FullName;
                }
            }
            throw new DirectoryNotFoundException("cannot find the repository root (Ringfence.slnx) above " + AppContext.BaseDirectory);
        }
    }

    public static byte[] Read(string relativePath) => File.ReadAllBytes(Path.Combine(RepoRoot, relativePath));

    /// <summary>Every file of a folder, in name order (the seed order is part of the determinism).</summary>
    public static IEnumerable<(string Name, byte[] Bytes)> Folder(string relativePath) =>
        Directory.GetFiles(Path.Combine(RepoRoot, relativePath)).Order(StringComparer.Ordinal)
            .Select(f => (Path.GetFileNameWithoutExtension(f), File.ReadAllBytes(f)));
}
