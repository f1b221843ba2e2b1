using Ringfence.Trust.Repository;

namespace Ringfence.Server.Tuf;

/// <summary>
/// A TUF repository in a directory: <c>DIR/metadata/…</c> and <c>DIR/targets/…</c>. Writes go to a temporary file and are
/// renamed into place, so a reader (or a crash) never sees half a file. Paths that could escape the directory are refused.
/// </summary>
public sealed class FileSystemRepositoryStore : IRepositoryStore
{
    public FileSystemRepositoryStore(string directory)
    {
        Directory = Path.GetFullPath(directory);
    }

    public string Directory { get; }

    public byte[]? Read(string path)
    {
        var full = Resolve(path);
        return full is not null && File.Exists(full) ? File.ReadAllBytes(full) : null;
    }

    /// <summary>Opens a file for streaming (large targets); null when missing or the path is not a repository path.</summary>
    public FileInfo? Find(string path)
    {
        var full = Resolve(path);
        return full is not null && File.Exists(full) ? new FileInfo(full) : null;
    }

    public void Write(string path, byte[] bytes)
    {
        var full = Resolve(path) ?? throw new ArgumentException($"not a repository path: \"{path}\"", nameof(path));
        System.IO.Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        var temporary = full + ".tmp-" + Environment.ProcessId;
        File.WriteAllBytes(temporary, bytes);
        File.Move(temporary, full, overwrite: true);
    }

    /// <summary>The absolute path for a relative repository path under metadata/ or targets/, or null if it is not one.</summary>
    public string? Resolve(string path)
    {
        if (!IsRepositoryPath(path))
            return null;
        var full = Path.GetFullPath(Path.Combine(Directory, path));
        return full.StartsWith(Directory + Path.DirectorySeparatorChar, StringComparison.Ordinal) ? full : null;
    }

    /// <summary>metadata/NAME or targets/A/B/NAME with safe segments only.</summary>
    public static bool IsRepositoryPath(string path)
    {
        if (string.IsNullOrEmpty(path) || path.Length > 512)
            return false;
        var segments = path.Split('/');
        if (segments.Length < 2 || segments[0] is not ("metadata" or "targets"))
            return false;
        if (segments[0] == "metadata" && segments.Length != 2)
            return false;
        foreach (var segment in segments)
        {
            if (segment.Length == 0 || segment is "." or ".." || segment.StartsWith('.'))
                return false;
            if (segment.AsSpan().ContainsAnyExcept("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-+"))
                return false;
        }
        return true;
    }
}
