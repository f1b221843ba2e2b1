using System.Security.Cryptography;
using Ringfence.Agent.Runtime;
using Ringfence.Agent.StateMachine;
using Ringfence.Content;
using Ringfence.Protocol;

namespace Ringfence.Agent.Tests.Runtime;

/// <summary>A tiny build catalog and channel files, made in code, for runtime tests.</summary>
internal static class TestContent
{
    public static readonly TemplateType Type = new("proc", "Process start", [TemplateField.Path("image"), TemplateField.String("command_line"), TemplateField.Integer("pid")]);

    public static readonly AgentBuildCatalog Catalog = new(
        [new AgentBuild("win-test", AgentOs.Windows, AgentVersion.Parse("7.13"), [new TemplateContract("proc", 3)])],
        [Type]);

    public static readonly HostProfile Host = new("test-host", new HostConfiguration("win-test", "windows", "22631"));

    public static (ContentRef Ref, byte[] Bytes) Channel(long version)
    {
        var file = new ChannelFile("C-test", "proc", version,
        [
            new TemplateInstance($"rule-{version}", "detect", Severity.High, [Criterion.Glob(@"C:\temp\*"), Criterion.Wildcard, Criterion.Wildcard]),
        ]);
        var bytes = ChannelFileBinary.Write(file);
        var sha = Convert.ToHexStringLower(SHA256.HashData(bytes));
        return (new ContentRef("C-test", version, sha, $"channels/C-test/C-test-{version:D6}.rfc"), bytes);
    }

    /// <summary>Writes the state of an enrolled host running <paramref name="lastKnownGood"/>, with <paramref name="active"/> under evaluation when it differs.</summary>
    public static AgentStateDocument SeedEnrolledHost(string directory, long lastKnownGood, long active, DateTimeOffset now)
    {
        var store = new AgentStateStore(directory);
        var good = Channel(lastKnownGood);
        store.SaveContent(good.Ref.Sha256, good.Bytes);
        var machine = AgentState.Initial(lastKnownGood);
        var contents = new List<ContentRef> { good.Ref };
        if (active != lastKnownGood)
        {
            var next = Channel(active);
            store.SaveContent(next.Ref.Sha256, next.Bytes);
            machine = AgentMachine.Offer(machine, active, now, Ringfence.Agent.StateMachine.AgentOptions.Default).State;
            contents.Add(next.Ref);
        }
        var state = new AgentStateDocument
        {
            Hostname = Host.Hostname,
            Configuration = Host.Configuration,
            HostId = "h_test",
            Credential = "rfh.h_test.secret",
            TrustedRoot = "{}",
            Channels = new(StringComparer.Ordinal) { ["C-test"] = new ChannelDocument { Machine = machine, Contents = contents } },
        };
        store.Save(state);
        return state;
    }
}

/// <summary>A directory removed when the test ends.</summary>
internal sealed class TempDirectory : IDisposable
{
    public TempDirectory()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "ringfence-agent-test-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // best effort
        }
    }
}
