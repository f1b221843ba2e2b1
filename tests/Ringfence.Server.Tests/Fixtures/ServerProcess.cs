using System.Diagnostics;
using System.Text.RegularExpressions;

namespace Ringfence.Server.Tests.Fixtures;

/// <summary>
/// `ringfence serve` as a real child process (the built CLI next to the tests), for crash and fail-over tests:
/// it can be killed with SIGKILL and restarted on the same storage.
/// </summary>
public sealed partial class ServerProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly TaskCompletionSource<Uri> _url = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly System.Text.StringBuilder _output = new();

    public Uri BaseAddress { get; private set; } = null!;
    public int Pid => _process.Id;
    public string NodeId { get; }

    private ServerProcess(Process process, string nodeId)
    {
        _process = process;
        NodeId = nodeId;
    }

    public static async Task<ServerProcess> StartAsync(TestStorage storage, string nodeId, IReadOnlyDictionary<string, string>? settings = null)
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "ringfence.dll");
        var psi = new ProcessStartInfo("dotnet", [dll, "serve", "--urls", "http://127.0.0.1:0", "--data", storage.DataDirectory])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = storage.DataDirectory,
        };
        psi.Environment["RINGFENCE__PROVIDER"] = storage.Provider.ToString();
        if (storage.ConnectionString is { } cs)
            psi.Environment["RINGFENCE__CONNECTIONSTRING"] = cs;
        psi.Environment["RINGFENCE__NODEID"] = nodeId;
        psi.Environment["RINGFENCE__TUFKEYITERATIONS"] = TestStorage.FastKeyIterations.ToString(System.Globalization.CultureInfo.InvariantCulture);
        psi.Environment["RINGFENCE__BOOTSTRAPADMINKEY"] = ServerHarness.AdminKey;
        psi.Environment["RINGFENCE__BOOTSTRAPENROLLMENTTOKEN"] = ServerHarness.EnrollmentToken;
        psi.Environment["Logging__LogLevel__Default"] = "Warning";
        foreach (var (k, v) in settings ?? new Dictionary<string, string>())
            psi.Environment["RINGFENCE__" + k.ToUpperInvariant()] = v;
        var process = Process.Start(psi)!;
        var server = new ServerProcess(process, nodeId);
        process.OutputDataReceived += (_, e) => server.OnLine(e.Data);
        process.ErrorDataReceived += (_, e) => server.OnLine(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var done = await Task.WhenAny(server._url.Task, Task.Delay(TimeSpan.FromSeconds(60)), process.WaitForExitAsync());
        if (done != server._url.Task)
        {
            server.Kill();
            throw new InvalidOperationException("ringfence serve did not start: " + server.Output);
        }
        server.BaseAddress = await server._url.Task;
        return server;
    }

    public string Output
    {
        get
        {
            lock (_output)
                return _output.ToString();
        }
    }

    private void OnLine(string? line)
    {
        if (line is null)
            return;
        lock (_output)
            _output.AppendLine(line);
        if (ServingLine().Match(line) is { Success: true } m)
            _url.TrySetResult(new Uri(m.Groups[1].Value));
    }

    /// <summary>SIGKILL: no shutdown code runs, the lease is not released.</summary>
    public void Kill()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: false);
            _process.WaitForExit(10_000);
        }
    }

    public async ValueTask DisposeAsync()
    {
        Kill();
        await Task.CompletedTask;
        _process.Dispose();
    }

    [GeneratedRegex(@"serving on (http://\S+/)")]
    private static partial Regex ServingLine();
}
