using System.Data.Common;
using System.Reflection;
using Dapper;
using Microsoft.Data.Sqlite;
using Npgsql;
using Ringfence.Server.Hosting;

namespace Ringfence.Server.Storage;

/// <summary>
/// Opens connections to SQLite or PostgreSQL and applies the numbered migrations. All SQL in the server is
/// written to run unchanged on both (TEXT/BIGINT columns, ON CONFLICT, @named parameters).
/// </summary>
public sealed class Database
{
    static Database() => DefaultTypeMap.MatchNamesWithUnderscores = true;

    public Database(StorageProvider provider, string connectionString, SqliteSynchronous synchronous = SqliteSynchronous.Full)
    {
        Provider = provider;
        ConnectionString = connectionString;
        Synchronous = synchronous;
        _pragmas = $"PRAGMA journal_mode=WAL; PRAGMA busy_timeout=30000; PRAGMA synchronous={(synchronous == SqliteSynchronous.Full ? "FULL" : "NORMAL")};";
        if (provider == StorageProvider.Postgres)
            _dataSource = NpgsqlDataSource.Create(connectionString);
    }

    private readonly NpgsqlDataSource? _dataSource;

    private readonly string _pragmas;

    public StorageProvider Provider { get; }

    /// <summary>SQLite's sync mode for this database (see <see cref="RingfenceServerOptions.SqliteSynchronous"/>).</summary>
    public SqliteSynchronous Synchronous { get; }
    public string ConnectionString { get; }

    /// <summary>Builds the database for the options: the SQLite file lives in the data directory.</summary>
    public static Database FromOptions(RingfenceServerOptions options)
    {
        if (options.Provider == StorageProvider.Postgres)
            return new Database(StorageProvider.Postgres, options.ConnectionString!);
        if (!string.IsNullOrWhiteSpace(options.ConnectionString))
            return new Database(StorageProvider.Sqlite, options.ConnectionString, options.SqliteSynchronous);
        Directory.CreateDirectory(options.DataDirectory);
        var file = Path.Combine(Path.GetFullPath(options.DataDirectory), "ringfence.db");
        return new Database(StorageProvider.Sqlite, new SqliteConnectionStringBuilder
        {
            DataSource = file,
            Pooling = true,
            DefaultTimeout = 30,
        }.ToString(), options.SqliteSynchronous);
    }

    public async Task<DbConnection> OpenAsync(CancellationToken ct = default)
    {
        if (_dataSource is not null)
            return await _dataSource.OpenConnectionAsync(ct);
        var connection = new SqliteConnection(ConnectionString);
        await connection.OpenAsync(ct);
        // WAL lets readers run beside the single writer; busy_timeout waits for the write lock instead of failing.
        // synchronous=FULL syncs the WAL at every commit, so what is acknowledged survives an OS crash or power loss
        // (NORMAL syncs only at checkpoints: it survives kill -9, not power loss). Cost: docs/benchmarks.md.
        await connection.ExecuteAsync(_pragmas);
        return connection;
    }

    /// <summary>
    /// Runs <paramref name="work"/> in a transaction (SQLite: BEGIN IMMEDIATE, so writers queue instead of deadlocking).
    /// Not reentrant: <paramref name="work"/> must not call it again.
    /// </summary>
    public Task<T> InTransactionAsync<T>(Func<DbConnection, DbTransaction, Task<T>> work, CancellationToken ct = default) =>
        InTransactionAsync(work, synced: true, ct);

    /// <summary>
    /// Like <see cref="InTransactionAsync{T}(Func{DbConnection, DbTransaction, Task{T}}, CancellationToken)"/>, for state
    /// that its sender repeats anyway (a host's reported state, re-sent at every check-in; last-seen times): on SQLite
    /// this commit is not synced (synchronous=NORMAL on this connection only), which costs a writing check-in most of
    /// its time under FULL (docs/benchmarks.md). Power loss can drop such commits made after the last synced one, never
    /// one before it: the WAL is synced in order, and every synced commit syncs the frames before it. The next check-in
    /// writes the state again. Never use it for telemetry, decisions or audit entries.
    /// </summary>
    public Task<T> InUnsyncedTransactionAsync<T>(Func<DbConnection, DbTransaction, Task<T>> work, CancellationToken ct = default) =>
        InTransactionAsync(work, synced: false, ct);

    private async Task<T> InTransactionAsync<T>(Func<DbConnection, DbTransaction, Task<T>> work, bool synced, CancellationToken ct)
    {
        if (Provider != StorageProvider.Sqlite)
            return await RunTransactionAsync(work, synced, ct);
        // SQLite has one writer at a time. Queue this process's writers here instead of in SQLite's busy handler, which
        // sleeps and retries: under load that sleeping, not the writes, set the throughput and the tail latency.
        await _sqliteWriter.WaitAsync(ct);
        try
        {
            return await RunTransactionAsync(work, synced, ct);
        }
        finally
        {
            _sqliteWriter.Release();
        }
    }

    private readonly SemaphoreSlim _sqliteWriter = new(1, 1);

    private async Task<T> RunTransactionAsync<T>(Func<DbConnection, DbTransaction, Task<T>> work, bool synced, CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct);
        // Per connection, and OpenAsync sets the configured mode again when the pooled connection is reused.
        if (!synced && Provider == StorageProvider.Sqlite && Synchronous == SqliteSynchronous.Full)
            await connection.ExecuteAsync("PRAGMA synchronous=NORMAL;");
        await using var tx = Provider == StorageProvider.Sqlite
            ? ((SqliteConnection)connection).BeginTransaction(deferred: false)
            : await connection.BeginTransactionAsync(ct);
        var result = await work(connection, tx);
        await tx.CommitAsync(ct);
        return result;
    }

    /// <summary>
    /// Settings under which an acknowledged commit could be lost on power loss: SQLite's synchronous mode in force on
    /// a real connection, PostgreSQL's synchronous_commit (off loses recent commits) and fsync (off risks the
    /// cluster). Empty when commits are durable. The server logs each at start.
    /// </summary>
    public async Task<IReadOnlyList<string>> DurabilityWarningsAsync(CancellationToken ct = default)
    {
        var warnings = new List<string>();
        await using var c = await OpenAsync(ct);
        if (Provider == StorageProvider.Sqlite)
        {
            // 2 = FULL, 3 = EXTRA; 1 = NORMAL, 0 = OFF.
            var mode = await c.ExecuteScalarAsync<long>("PRAGMA synchronous");
            if (mode < 2)
                warnings.Add($"SQLite synchronous={mode} (not FULL): an OS crash or power loss can drop acknowledged writes");
            return warnings;
        }
        var synchronousCommit = await c.ExecuteScalarAsync<string>("SHOW synchronous_commit");
        if (synchronousCommit == "off")
            warnings.Add("PostgreSQL synchronous_commit=off: a crash can drop acknowledged writes; set it to on");
        var fsync = await c.ExecuteScalarAsync<string>("SHOW fsync");
        if (fsync == "off")
            warnings.Add("PostgreSQL fsync=off: an OS crash or power loss can lose or corrupt data; set it to on");
        return warnings;
    }

    public static bool IsUniqueViolation(Exception ex) => ex switch
    {
        SqliteException s => s.SqliteErrorCode == 19, // SQLITE_CONSTRAINT
        PostgresException p => p.SqlState == PostgresErrorCodes.UniqueViolation,
        _ => false,
    };

    /// <summary>The migrations shipped with this build, in order: (version, SQL).</summary>
    public static IReadOnlyList<(int Version, string Sql)> Migrations { get; } = LoadMigrations();

    public static int LatestVersion => Migrations[^1].Version;

    private static List<(int, string)> LoadMigrations()
    {
        var assembly = typeof(Database).Assembly;
        var list = new List<(int, string)>();
        foreach (var name in assembly.GetManifestResourceNames().Where(n => n.EndsWith(".sql", StringComparison.Ordinal)))
        {
            // Resource names end with "Migrations.0001_initial.sql".
            var file = name[(name.IndexOf("Migrations.", StringComparison.Ordinal) + "Migrations.".Length)..];
            var version = int.Parse(file[..4], System.Globalization.CultureInfo.InvariantCulture);
            using var stream = assembly.GetManifestResourceStream(name)!;
            using var reader = new StreamReader(stream);
            list.Add((version, reader.ReadToEnd()));
        }
        list.Sort((a, b) => a.Item1.CompareTo(b.Item1));
        return list;
    }

    /// <summary>
    /// Brings the schema up to <paramref name="targetVersion"/> (default: latest), each migration in its own
    /// transaction with its schema_version row, so a crash leaves a consistent version. Several nodes starting at
    /// once serialise on a PostgreSQL advisory lock (SQLite: the write lock).
    /// </summary>
    public async Task<int> MigrateAsync(TimeProvider time, int? targetVersion = null, CancellationToken ct = default)
    {
        var target = targetVersion ?? LatestVersion;
        await using var connection = await OpenAsync(ct);
        if (Provider == StorageProvider.Postgres)
            await connection.ExecuteAsync("SELECT pg_advisory_lock(7340001)");
        try
        {
            await connection.ExecuteAsync("CREATE TABLE IF NOT EXISTS schema_version (version BIGINT PRIMARY KEY, applied_at BIGINT NOT NULL)");
            var current = await CurrentVersionAsync(connection);
            foreach (var (version, sql) in Migrations)
            {
                if (version <= current || version > target)
                    continue;
                await using var tx = Provider == StorageProvider.Sqlite
                    ? ((SqliteConnection)connection).BeginTransaction(deferred: false)
                    : await connection.BeginTransactionAsync(ct);
                // Re-check inside the transaction: another process may have applied it meanwhile (SQLite).
                var now = await connection.ExecuteScalarAsync<long?>("SELECT MAX(version) FROM schema_version", transaction: tx) ?? 0;
                if (now >= version)
                {
                    await tx.RollbackAsync(ct);
                    continue;
                }
                await connection.ExecuteAsync(sql, transaction: tx);
                await connection.ExecuteAsync("INSERT INTO schema_version (version, applied_at) VALUES (@version, @at)",
                    new { version = (long)version, at = time.GetUtcNow().ToUnixTimeMilliseconds() }, tx);
                await tx.CommitAsync(ct);
            }
            return (int)await CurrentVersionAsync(connection);
        }
        finally
        {
            if (Provider == StorageProvider.Postgres)
                await connection.ExecuteAsync("SELECT pg_advisory_unlock(7340001)");
        }
    }

    private static async Task<long> CurrentVersionAsync(DbConnection connection) =>
        await connection.ExecuteScalarAsync<long?>("SELECT MAX(version) FROM schema_version") ?? 0;
}
