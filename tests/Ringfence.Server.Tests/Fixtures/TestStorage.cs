using Ringfence.Server.Hosting;
using Ringfence.Server.Storage;

namespace Ringfence.Server.Tests.Fixtures;

/// <summary>Storage for one test: a fresh SQLite directory or a fresh PostgreSQL database. The same tests run on both.</summary>
public sealed class TestStorage : IDisposable
{
    public static TheoryData<string> Providers => new() { "sqlite", "postgres" };

    public StorageProvider Provider { get; }
    public string DataDirectory { get; }
    public string? ConnectionString { get; }

    public TestStorage(string provider)
    {
        DataDirectory = Path.Combine(Path.GetTempPath(), "ringfence-test-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(DataDirectory);
        Provider = provider == "postgres" ? StorageProvider.Postgres : StorageProvider.Sqlite;
        ConnectionString = Provider == StorageProvider.Postgres ? PostgresCluster.Instance.CreateDatabase() : null;
    }

    public RingfenceServerOptions Options(RingfenceServerOptions? template = null) => (template ?? new RingfenceServerOptions()) with
    {
        DataDirectory = DataDirectory,
        Provider = Provider,
        ConnectionString = ConnectionString,
        TufKeyIterations = FastKeyIterations,
    };

    /// <summary>PBKDF2 at its minimum: tests start many servers and do not test key stretching.</summary>
    public const int FastKeyIterations = Ringfence.Trust.Keys.KeyEncryption.MinimumIterations;

    public Database Database() => Ringfence.Server.Storage.Database.FromOptions(Options());

    public void Dispose()
    {
        try
        {
            Directory.Delete(DataDirectory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
