namespace Ringfence.Agent.Runtime;

/// <summary>Writes a file so that a crash at any moment leaves either the old content or the new one, never half of each.</summary>
public static class AtomicFile
{
    private const string TempSuffix = ".tmp";

    public static void Write(string path, ReadOnlySpan<byte> bytes, bool flushToDisk = true)
    {
        // One temp name per target: a writer that died earlier left at most this file, which we overwrite.
        var temp = path + TempSuffix;
        FileStream stream;
        try
        {
            stream = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None);
        }
        catch (DirectoryNotFoundException)
        {
            // Created on first use only: checking the directory on every write cost a stat call per save.
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
            stream = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None);
        }
        using (stream)
        {
            stream.Write(bytes);
            // Flush to the disk before the rename, or a power cut could publish an empty file under the real name.
            stream.Flush(flushToDisk);
        }
        File.Move(temp, path, overwrite: true);
    }

    /// <summary>Removes a temp file left by a writer that died before its rename: it never became the real file.</summary>
    public static void DiscardLeftover(string path)
    {
        var temp = path + TempSuffix;
        if (File.Exists(temp))
            File.Delete(temp);
    }
}
