using System.Text.Json;
using Ringfence.Cli;
using Ringfence.Content;

namespace Ringfence.Cli.Tests.Commands;

/// <summary>Runs `ringfence content ...` in-process against the shipped examples and temporary files.</summary>
public sealed class ContentCommandsTests : IDisposable
{
    private readonly string _temp = Directory.CreateTempSubdirectory("ringfence-content-").FullName;

    public void Dispose() => Directory.Delete(_temp, recursive: true);

    private static string RepoRoot
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Ringfence.slnx")))
                dir = dir.Parent;
            return dir!.FullName;
        }
    }

    private static (int Exit, string Out, string Err) Run(string workingDirectory, params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var env = new CliEnvironment { Out = CliEnvironment.PlainConsole(output), Error = error, WorkingDirectory = workingDirectory };
        var exit = CliApp.Run(args, env);
        return (exit, output.ToString(), error.ToString());
    }

    private static (int Exit, string Out, string Err) RunInRepo(params string[] args) => Run(RepoRoot, args);

    private string Temp(string name) => Path.Combine(_temp, name);

    private static void ShouldBeOneCleanErrorLine(string err, params string[] mustContain)
    {
        var lines = err.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        lines.Length.ShouldBe(1, $"expected one error line, got: {err}");
        lines[0].ShouldStartWith("error: ");
        lines[0].ShouldNotContain("   at ");
        lines[0].ShouldNotContain("Exception");
        foreach (var text in mustContain)
            lines[0].ShouldContain(text);
    }

    // ------------------------------------------------------------------ validate

    [Fact]
    public void Validate_GoodAnd291_Exit1GoodAcceptedAnd291RejectedNamingFieldBuildsHosts()
    {
        var (exit, output, err) = RunInRepo("content", "validate", "examples/good-channel.json", "examples/channel-291.json", "--fleet", "examples/fleet.json");

        exit.ShouldBe(ExitCodes.Rejected);
        err.ShouldBeEmpty();
        output.ShouldContain("ACCEPTED");
        output.ShouldContain("REJECTED");
        var rf2001 = output.Split('\n').Single(l => l.Contains("RF2001"));
        rf2001.ShouldStartWith("error RF2001 examples/channel-291.json, instance ipc-0291, field 21 (client_image_hash)");
        rf2001.ShouldContain("win-7.11.18110, win-7.12.18210, win-7.13.18309");
        rf2001.ShouldContain("8,500,000 hosts");
        output.ShouldContain("2 file(s): 1 accepted, 1 rejected");
        output.ShouldNotContain("\u001b["); // plain when redirected
    }

    [Fact]
    public void Validate_GoodOnly_Exit0()
    {
        var (exit, output, _) = RunInRepo("content", "validate", "examples/good-channel.json", "--fleet", "examples/fleet.json");

        exit.ShouldBe(ExitCodes.Ok);
        output.ShouldContain("1 file(s): 1 accepted, 0 rejected");
    }

    [Fact]
    public void Validate_WildcardVariant_Exit0WithUnreachableWarning()
    {
        var (exit, output, _) = RunInRepo("content", "validate", "examples/channel-291-wildcard.json", "--fleet", "examples/fleet.json");

        exit.ShouldBe(ExitCodes.Ok);
        output.ShouldContain("warning RF2002");
        output.ShouldContain("field 21 (client_image_hash) is unreachable");
    }

    [Fact]
    public void Validate_Json_ReportsFindingWithFieldBuildsAndHosts()
    {
        var (exit, output, _) = RunInRepo("content", "validate", "examples/channel-291.json", "--fleet", "examples/fleet.json", "--json");

        exit.ShouldBe(ExitCodes.Rejected);
        using var doc = JsonDocument.Parse(output);
        doc.RootElement.GetProperty("accepted").GetBoolean().ShouldBeFalse();
        var finding = doc.RootElement.GetProperty("findings").EnumerateArray().First(f => f.GetProperty("code").GetString() == "RF2001");
        finding.GetProperty("instance").GetString().ShouldBe("ipc-0291");
        finding.GetProperty("field").GetInt32().ShouldBe(21);
        finding.GetProperty("hosts").GetInt64().ShouldBe(8_500_000);
        finding.GetProperty("builds").GetArrayLength().ShouldBe(3);
    }

    [Fact]
    public void Validate_RfcBinaryInput_SameVerdictAsJson()
    {
        var rfc = Temp("291.rfc");
        RunInRepo("content", "build", "examples/channel-291.json", "-o", rfc).Exit.ShouldBe(ExitCodes.Ok);

        var (exit, output, _) = RunInRepo("content", "validate", rfc, "--fleet", "examples/fleet.json");

        exit.ShouldBe(ExitCodes.Rejected);
        output.ShouldContain("RF2001");
    }

    [Fact]
    public void Validate_SchemaViolation_Exit1WithJsonPath()
    {
        var bad = Temp("bad.json");
        File.WriteAllText(bad, """{ "id": "c", "templateType": "ipc", "version": -1, "instances": [ { "id": "i", "action": "a", "severity": "huge", "criteria": [] } ] }""");

        var (exit, output, _) = RunInRepo("content", "validate", bad, "--fleet", "examples/fleet.json");

        exit.ShouldBe(ExitCodes.Rejected);
        output.ShouldContain("RF1001");
        output.ShouldContain("$.instances[0].severity");
        output.ShouldContain("$.version");
    }

    [Fact]
    public void Validate_ExplicitTypesAndCorpus_Used()
    {
        var types = Temp("types.json");
        File.Copy(Path.Combine(RepoRoot, "examples/template-types.json"), types);

        var (exit, output, _) = RunInRepo("content", "validate", "examples/good-channel.json", "--fleet", "examples/fleet.json", "--types", types, "--corpus", "examples/corpus.json");

        exit.ShouldBe(ExitCodes.Ok);
        output.ShouldContain(types);
        output.ShouldContain("examples/corpus.json (7 events)");
    }

    [Fact]
    public void Validate_MissingFleetOption_UsageExit2() =>
        RunInRepo("content", "validate", "examples/good-channel.json").Exit.ShouldBe(ExitCodes.UsageOrIo);

    [Fact]
    public void Validate_MissingFile_Exit2OneLineNamingFile()
    {
        var (exit, _, err) = RunInRepo("content", "validate", "examples/nope.json", "--fleet", "examples/fleet.json");

        exit.ShouldBe(ExitCodes.UsageOrIo);
        ShouldBeOneCleanErrorLine(err, "examples/nope.json", "not found");
    }

    [Fact]
    public void Validate_MalformedJson_Exit2OneLineWithLine()
    {
        var bad = Temp("broken.json");
        File.WriteAllText(bad, "{\n  \"id\": \"c\",\n  \"instances\": [,]\n}");

        var (exit, _, err) = RunInRepo("content", "validate", bad, "--fleet", "examples/fleet.json");

        exit.ShouldBe(ExitCodes.UsageOrIo);
        ShouldBeOneCleanErrorLine(err, bad, "malformed JSON at line 3");
    }

    [Fact]
    public void Validate_GoodAndMissingFile_Exit2ReportsTheGoodFileAndOneLineForTheMissingOne()
    {
        var (exit, output, err) = RunInRepo("content", "validate", "examples/channel-291-wildcard.json", "examples/nope.json", "--fleet", "examples/fleet.json");

        exit.ShouldBe(ExitCodes.UsageOrIo);
        ShouldBeOneCleanErrorLine(err, "examples/nope.json", "not found");
        output.ShouldContain("warning RF2002"); // the readable file's findings still appear
        output.Split('\n').ShouldContain(l => l.Contains("examples/channel-291-wildcard.json") && l.Contains("ACCEPTED"));
        output.Split('\n').ShouldContain(l => l.Contains("examples/nope.json") && l.Contains("UNREADABLE"));
        output.ShouldContain("2 file(s): 1 accepted, 0 rejected, 1 unreadable");
    }

    [Fact]
    public void Validate_RejectedThenTwoUnreadable_Exit2EveryFileReportedEachUnreadableOneLine()
    {
        var broken = Temp("broken.json");
        File.WriteAllText(broken, "{ \"id\": ");
        var directory = Temp("a-directory.json");
        Directory.CreateDirectory(directory);

        var (exit, output, err) = RunInRepo("content", "validate", broken, "examples/channel-291.json", directory, "--fleet", "examples/fleet.json");

        exit.ShouldBe(ExitCodes.UsageOrIo, "unreadable is worse than rejected");
        var lines = err.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        lines.Length.ShouldBe(2, err);
        lines[0].ShouldStartWith($"error: {broken}: malformed JSON");
        lines[1].ShouldBe($"error: {directory}: is a directory, not a file");
        output.Split('\n').Single(l => l.Contains("RF2001")).ShouldContain("examples/channel-291.json");
        output.ShouldContain("3 file(s): 0 accepted, 1 rejected, 2 unreadable");
    }

    [Fact]
    public void Validate_UnreadableWithJson_EveryFileInTheReportWithItsError()
    {
        var (exit, output, err) = RunInRepo("content", "validate", "examples/good-channel.json", "examples/nope.json", "examples/channel-291.json", "--fleet", "examples/fleet.json", "--json");

        exit.ShouldBe(ExitCodes.UsageOrIo);
        err.ShouldContain("examples/nope.json: file not found");
        using var doc = JsonDocument.Parse(output);
        var files = doc.RootElement.GetProperty("files").EnumerateArray().ToList();
        files.Select(f => f.GetProperty("file").GetString()).ShouldBe(["examples/good-channel.json", "examples/nope.json", "examples/channel-291.json"]);
        files[0].GetProperty("accepted").GetBoolean().ShouldBeTrue();
        files[1].GetProperty("unreadable").GetBoolean().ShouldBeTrue();
        files[1].GetProperty("error").GetString().ShouldBe("examples/nope.json: file not found");
        files[2].GetProperty("accepted").GetBoolean().ShouldBeFalse();
        doc.RootElement.GetProperty("findings").EnumerateArray().ShouldContain(f => f.GetProperty("code").GetString() == "RF2001");
    }

    [Fact]
    public void Validate_AcceptedAndRejected_ExitIsTheWorstCodeRejected()
    {
        var (exit, _, err) = RunInRepo("content", "validate", "examples/channel-291.json", "examples/good-channel.json", "--fleet", "examples/fleet.json");

        exit.ShouldBe(ExitCodes.Rejected);
        err.ShouldBeEmpty();
    }

    [Fact]
    public void Validate_MissingTypesBesideFleet_Exit2NamingDefaultPath()
    {
        var fleet = Temp("fleet.json");
        File.Copy(Path.Combine(RepoRoot, "examples/fleet.json"), fleet);

        var (exit, _, err) = RunInRepo("content", "validate", "examples/good-channel.json", "--fleet", fleet);

        exit.ShouldBe(ExitCodes.UsageOrIo);
        ShouldBeOneCleanErrorLine(err, "template-types.json", "not found");
    }

    // ------------------------------------------------------------------ build and inspect

    [Fact]
    public void BuildThenInspect_RoundTripsToTheSameModel()
    {
        var rfc = Temp("good.rfc");

        var build = RunInRepo("content", "build", "examples/good-channel.json", "-o", rfc, "--types", "examples/template-types.json");
        build.Exit.ShouldBe(ExitCodes.Ok);
        build.Out.ShouldContain("C-00000301");
        File.Exists(rfc + ".tmp").ShouldBeFalse();

        var inspect = RunInRepo("content", "inspect", rfc);
        inspect.Exit.ShouldBe(ExitCodes.Ok);
        inspect.Out.ShouldContain("proc-0002");
        inspect.Out.ShouldContain("verified");

        var json = RunInRepo("content", "inspect", rfc, "--json");
        json.Exit.ShouldBe(ExitCodes.Ok);
        var original = ContentJson.ReadChannelFile(File.ReadAllText(Path.Combine(RepoRoot, "examples/good-channel.json"))).GetValueOrThrow();
        ContentJson.ReadChannelFile(json.Out).GetValueOrThrow().ShouldBe(original);
    }

    [Fact]
    public void Build_ContentThatDoesNotFitType_Exit1AndNoOutputFile()
    {
        var bad = Temp("short.json");
        File.WriteAllText(bad, """{ "id": "c", "templateType": "ipc", "version": 1, "instances": [ { "id": "i", "action": "a", "severity": "low", "criteria": ["*"] } ] }""");
        var rfc = Temp("short.rfc");

        var (exit, _, err) = RunInRepo("content", "build", bad, "-o", rfc, "--types", "examples/template-types.json");

        exit.ShouldBe(ExitCodes.Rejected);
        err.ShouldContain("1 criteria but template type ipc has 21 fields");
        File.Exists(rfc).ShouldBeFalse();
    }

    [Fact]
    public void Build_SchemaError_Exit2OneLineWithJsonPath()
    {
        var bad = Temp("schema.json");
        File.WriteAllText(bad, """{ "id": "c", "templateType": "ipc", "version": 1, "instances": [ { "id": "i", "action": "a", "severity": "low", "criteria": [{"range": "x"}] } ] }""");

        var (exit, _, err) = RunInRepo("content", "build", bad, "-o", Temp("x.rfc"));

        exit.ShouldBe(ExitCodes.UsageOrIo);
        ShouldBeOneCleanErrorLine(err, "$.instances[0].criteria[0].range");
    }

    [Fact]
    public void Inspect_RandomBytes_Exit2OneLine()
    {
        var random = new Random(291);
        for (var i = 0; i < 20; i++)
        {
            var bytes = new byte[random.Next(0, 4096)];
            random.NextBytes(bytes);
            var path = Temp($"random{i}.rfc");
            File.WriteAllBytes(path, bytes);

            var (exit, output, err) = RunInRepo("content", "inspect", path);

            exit.ShouldBe(ExitCodes.UsageOrIo);
            output.ShouldBeEmpty();
            ShouldBeOneCleanErrorLine(err, path, "offset");
        }
    }

    [Fact]
    public void Inspect_WrongMagic_Exit2()
    {
        var path = Temp("magic.rfc");
        File.WriteAllText(path, "{ \"this is\": \"json\" }");

        var (exit, _, err) = RunInRepo("content", "inspect", path);

        exit.ShouldBe(ExitCodes.UsageOrIo);
        ShouldBeOneCleanErrorLine(err, "wrong magic", "offset 0");
    }

    [Theory]
    [InlineData(20)]
    [InlineData(100)]
    [InlineData(-1)]
    public void Inspect_TruncatedBinary_Exit2NamingOffset(int keep)
    {
        var full = Temp("full.rfc");
        RunInRepo("content", "build", "examples/channel-291.json", "-o", full).Exit.ShouldBe(ExitCodes.Ok);
        var bytes = File.ReadAllBytes(full);
        var path = Temp("truncated.rfc");
        File.WriteAllBytes(path, bytes[..(keep < 0 ? bytes.Length - 1 : keep)]);

        var (exit, _, err) = RunInRepo("content", "inspect", path);

        exit.ShouldBe(ExitCodes.UsageOrIo);
        ShouldBeOneCleanErrorLine(err, "truncated", "offset 8");
    }

    [Fact]
    public void Inspect_CorruptedBinary_Exit2HashMismatch()
    {
        var path = Temp("corrupt.rfc");
        RunInRepo("content", "build", "examples/channel-291.json", "-o", path).Exit.ShouldBe(ExitCodes.Ok);
        var bytes = File.ReadAllBytes(path);
        bytes[200] ^= 0x01;
        File.WriteAllBytes(path, bytes);

        var (exit, _, err) = RunInRepo("content", "inspect", path);

        exit.ShouldBe(ExitCodes.UsageOrIo);
        ShouldBeOneCleanErrorLine(err, "SHA-256");
    }

    [Fact]
    public void Inspect_FileOverSizeLimit_Exit2WithoutReading()
    {
        var path = Temp("huge.rfc");
        using (var stream = File.Create(path))
            stream.SetLength(ContentLimits.Default.MaxFileBytes + 1L); // sparse: nothing is written

        var (exit, _, err) = RunInRepo("content", "inspect", path);

        exit.ShouldBe(ExitCodes.UsageOrIo);
        ShouldBeOneCleanErrorLine(err, "over the", "limit");
    }

    [Fact]
    public void Inspect_MissingFile_Exit2() =>
        ShouldBeOneCleanErrorLine(RunInRepo("content", "inspect", "nope.rfc").Err, "nope.rfc", "not found");
}
