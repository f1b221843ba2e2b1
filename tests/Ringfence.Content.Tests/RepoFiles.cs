namespace Ringfence.Content.Tests;

/// <summary>Finds files of the repository (examples, docs) from the test's output directory.</summary>
internal static class RepoFiles
{
    public static string Root
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Ringfence.slnx")))
                dir = dir.Parent;
            return dir?.FullName ?? throw new InvalidOperationException("repository root (Ringfence.slnx) not found");
        }
    }

    public static string Read(string relative) => File.ReadAllText(Path.Combine(Root, relative));
}
