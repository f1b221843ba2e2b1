using System.Data.Common;
using Dapper;
using Ringfence.Server.Tuf;
using Ringfence.Trust.Repository;

namespace Ringfence.Server.Storage;

/// <summary>
/// The repository's files in the <c>tuf_files</c> table, read and written inside the caller's transaction, so a publish
/// or a halt changes the database and the signed metadata together or not at all.
/// </summary>
public sealed class DatabaseRepositoryStore(DbConnection connection, DbTransaction transaction, long now) : IRepositoryStore
{
    public byte[]? Read(string path)
    {
        var text = connection.QueryFirstOrDefault<string>("SELECT content_base64 FROM tuf_files WHERE path = @path", new { path }, transaction);
        return text is null ? null : Convert.FromBase64String(text);
    }

    public void Write(string path, byte[] bytes)
    {
        if (!FileSystemRepositoryStore.IsRepositoryPath(path))
            throw new ArgumentException($"not a repository path: \"{path}\"", nameof(path));
        connection.Execute(
            """
            INSERT INTO tuf_files (path, content_base64, written_at) VALUES (@path, @content, @now)
            ON CONFLICT (path) DO UPDATE SET content_base64 = excluded.content_base64, written_at = excluded.written_at
            """,
            new { path, content = Convert.ToBase64String(bytes), now }, transaction);
    }
}
