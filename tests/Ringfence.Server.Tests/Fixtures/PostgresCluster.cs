using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace Ringfence.Server.Tests.Fixtures;

/// <summary>
/// A private PostgreSQL 15 cluster on a free loopback port, started once per test run (as user postgres when
/// running as root) and stopped when the test process exits. Each test gets its own database.
/// </summary>
public sealed class PostgresCluster
{
    private const string Bin = "/usr/lib/postgresql/15/bin";
    private static readonly Lazy<PostgresCluster> LazyInstance = new(Start, LazyThreadSafetyMode.ExecutionAndPublication);
    private static int _databaseCounter;

    public static PostgresCluster Instance => LazyInstance.Value;

    public int Port { get; }
    public string DataDirectory { get; }

    private PostgresCluster(int port, string dataDirectory)
    {
        Port = port;
        DataDirectory = dataDirectory;
    }

    public string ConnectionString(string database) =>
        $"Host=127.0.0.1;Port={Port};Username=postgres;Database={database};Pooling=true;Maximum Pool Size=20;Timeout=15";

    /// <summary>Creates a fresh, empty database and returns its connection string.</summary>
    public string CreateDatabase()
    {
        var name = $"rf_{Environment.ProcessId}_{Interlocked.Increment(ref _databaseCounter)}";
        using var connection = new NpgsqlConnection(ConnectionString("postgres"));
        connection.Open();
        using var command = new NpgsqlCommand($"CREATE DATABASE {name}", connection);
        command.ExecuteNonQuery();
        return ConnectionString(name);
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static PostgresCluster Start()
    {
        if (!File.Exists(Path.Combine(Bin, "initdb")))
            throw new InvalidOperationException($"PostgreSQL 15 is not installed ({Bin}/initdb missing); test.sh installs it with apt-get");
        var dir = Path.Combine(Path.GetTempPath(), $"ringfence-pg-{Environment.ProcessId}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        var asRoot = Environment.UserName == "root";
        if (asRoot)
            Run("chown", $"postgres:postgres {dir}");
        RunAs(asRoot, "initdb", $"-D {dir} -U postgres --auth=trust --no-sync -E UTF8");
        var port = FreePort();
        RunAs(asRoot, "pg_ctl", $"-D {dir} -o \"-p {port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={dir} -c fsync=off -c max_connections=200\" -w -l {dir}/log.txt start");
        var cluster = new PostgresCluster(port, dir);
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try
            {
                RunAs(asRoot, "pg_ctl", $"-D {dir} -m immediate -w stop");
                Directory.Delete(dir, recursive: true);
            }
            catch (Exception)
            {
                // Best effort at exit: the directory is under /tmp.
            }
        };
        return cluster;
    }

    private static void RunAs(bool asRoot, string tool, string args)
    {
        if (asRoot)
            Run("runuser", $"-u postgres -- {Bin}/{tool} {args}");
        else
            Run($"{Bin}/{tool}", args);
    }

    private static void Run(string file, string args)
    {
        var psi = new ProcessStartInfo("/bin/sh", ["-c", $"{file} {args}"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(60_000))
        {
            process.Kill(entireProcessTree: true);
            throw new InvalidOperationException($"{file} {args}: timed out");
        }
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{file} {args}: exit {process.ExitCode}: {stderr.Result} {stdout.Result}");
    }
}
