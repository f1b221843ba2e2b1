using System.Text.Json;
using Ringfence.Cli.Commands;
using Ringfence.Cli.Demo;

namespace Ringfence.Cli.Tests.Commands;

public sealed class DemoCommandTests
{
    [Fact]
    public void Demo_SmallFleet_RunsToCompletionAndStopsTheBadReleases()
    {
        var dir = Path.Combine(Path.GetTempPath(), "ringfence-demo-test-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            var jsonPath = Path.Combine(dir, "outcome.json");
            var output = new StringWriter();
            var error = new StringWriter();
            var env = new CliEnvironment { Out = CliEnvironment.PlainConsole(output), Error = error, WorkingDirectory = dir };

            var exit = CliApp.Run(["demo", "--hosts", "150", "--speed", "240", "--json", jsonPath, "--data", Path.Combine(dir, "state")], env);

            var text = output.ToString();
            var outcome = JsonSerializer.Deserialize<DemoOutcome>(File.ReadAllText(jsonPath), DemoJson.Options)!;
            error.ToString().ShouldBeEmpty();
            // 1. The good release went through every ring and every host runs it.
            outcome.GoodStatus.ShouldBe("Completed", text);
            outcome.HostsOnGoodContent.ShouldBe(150, text);
            // 2. The 291 reconstruction was refused at publish time, naming field 21 and the 20-value builds with their hosts.
            outcome.Refused291.ShouldBeTrue(text);
            var finding = outcome.Findings291.First(f => f.Severity == "error" && f.AffectedBuilds is { Count: > 0 });
            (finding.Location + finding.Message).ShouldContain("21");
            finding.AffectedBuilds!.ShouldContain(b => b.AgentBuild == "win-7.11.18110" && b.Hosts > 0);
            // 3. The invisible fault: halted in an early ring, the crashed hosts reverted by themselves, nobody left on it.
            outcome.FaultyStatus.ShouldBe("Halted", text);
            outcome.FaultyHaltedInRing!.Value.ShouldBeLessThanOrEqualTo(1, text);
            outcome.Crashes.ShouldBeGreaterThan(0);
            outcome.HostsThatReverted.ShouldBeGreaterThan(0);
            outcome.HostsLeftOnFaultyContent.ShouldBe(0, text);
            outcome.RealSeconds.ShouldBeLessThan(120);
            text.ShouldContain("Ringfence demo: summary");
            exit.ShouldBe(ExitCodes.Ok, text);
        }
        finally
        {
            try
            {
                Directory.Delete(dir, recursive: true);
            }
            catch (IOException)
            {
                // best effort
            }
        }
    }

    [Theory]
    [InlineData("--hosts", "5", "--hosts 5: must be between 20 and 20000")]
    [InlineData("--speed", "0", "--speed 0: must be between 1 and 3600")]
    public void Demo_BadSettings_OneLineExit2(string option, string value, string expected)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var env = new CliEnvironment { Out = CliEnvironment.PlainConsole(output), Error = error };

        var exit = CliApp.Run(["demo", option, value], env);

        exit.ShouldBe(ExitCodes.UsageOrIo);
        error.ToString().Trim().ShouldBe("error: " + expected);
    }

    [Fact]
    public void FaultyVariant_GoodFile_SameContentNewVersionDifferentBytes()
    {
        var good = ExampleFiles.Read(ExampleFiles.GoodChannel);

        var faulty = DemoRunner.FaultyVariant(good, 18, "22631");

        using var doc = JsonDocument.Parse(faulty);
        doc.RootElement.GetProperty("version").GetInt64().ShouldBe(18);
        doc.RootElement.GetProperty("instances").GetArrayLength().ShouldBe(JsonDocument.Parse(good).RootElement.GetProperty("instances").GetArrayLength());
        faulty.ShouldNotBe(good);
    }
}
