using Ringfence.Trust.Client;

namespace Ringfence.Agent.Runtime;

/// <summary>
/// The TUF client's view of the server's repository. The client asks for <c>metadata/{file}</c> and
/// <c>targets/{path}</c>; the server publishes metadata at <c>/tuf/{file}</c> and targets at <c>/tuf/targets/{path}</c>.
/// </summary>
public sealed class HttpRepositoryFetcher(AgentApiClient client) : IRepositoryFetcher
{
    private const string MetadataPrefix = "metadata/";

    public async ValueTask<byte[]?> FetchAsync(string path, long maxLength, CancellationToken cancellationToken)
    {
        var relative = path.StartsWith(MetadataPrefix, StringComparison.Ordinal) ? path[MetadataPrefix.Length..] : path;
        return await client.GetRepositoryFileAsync(relative, maxLength, cancellationToken);
    }
}

/// <summary>
/// Trusted TUF metadata kept in the agent's data directory (<c>DIR/tuf/{role}.json</c>), written atomically, so a
/// restarted agent still refuses a rollback to metadata older than what it already trusted.
/// </summary>
public sealed class DirectoryTrustedMetadataStore : ITrustedMetadataStore
{
    private readonly string _directory;

    public DirectoryTrustedMetadataStore(string directory)
    {
        _directory = directory;
        Directory.CreateDirectory(directory);
    }

    public byte[]? Load(string role)
    {
        var path = PathOf(role);
        AtomicFile.DiscardLeftover(path);
        return File.Exists(path) ? File.ReadAllBytes(path) : null;
    }

    public void Save(string role, byte[] bytes) => AtomicFile.Write(PathOf(role), bytes);

    public void Delete(string role)
    {
        var path = PathOf(role);
        if (File.Exists(path))
            File.Delete(path);
    }

    private string PathOf(string role) =>
        role.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_')
            ? Path.Combine(_directory, role + ".json")
            : throw new ArgumentException($"'{role}' is not a TUF role name", nameof(role));
}
