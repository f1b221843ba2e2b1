using System.Diagnostics;
using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using Ringfence.Cli.Commands;
using Ringfence.Cli.Demo;

namespace Ringfence.Cli.Tests.Commands;

public sealed class DemoCommandTests
{
    [Fact]
    public async Task Demo_SmallFleet_RunsToCompletionAndStopsTheBadReleases()
    {
        var dir = Path.Combine(Path.GetTempPath(), "ringfence-demo-test-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            var jsonPath = Path.Combine(dir, "outcome.json");
            var buffer = new StringWriter();
            var output = TextWriter.Synchronized(buffer);
            var error = new StringWriter();
            using var stop = new CancellationTokenSource();
            var console = CliEnvironment.PlainConsole(output);
            console.Profile.Width = 240; // as `ringfence demo > file` prints it: URLs and keys stay on one line
            var env = new CliEnvironment { Out = console, Error = error, WorkingDirectory = dir, Cancellation = stop.Token };

            var run = Task.Run(() => CliApp.Run(["demo", "--hosts", "150", "--speed", "240", "--json", jsonPath, "--data", Path.Combine(dir, "state"), "--keep-serving"], env));
            // While it keeps serving, the dashboard URL it printed shows the halted release with its evidence.
            var page = await HaltedRolloutPageAsync(() => Snapshot(output, buffer), run);
            await stop.CancelAsync();
            var exit = await run;

            var text = Snapshot(output, buffer);
            // A failed gate halts and rolls back (the engine's meaning); the page says why it stopped.
            page.ShouldContain("rolled back", Case.Sensitive, text);
            page.ShouldContain("<strong>Why:</strong> health gate failed");
            page.ShouldContain("distinct hosts name this content");
            page.ShouldContain("<summary>Evidence</summary>");
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
            // 3. The invisible fault: halted and rolled back in an early ring, the crashed hosts reverted by themselves, nobody left on it.
            outcome.FaultyStatus.ShouldBe("RolledBack", text);
            outcome.HaltReason!.ShouldContain("health gate failed", Case.Sensitive, text);
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

    /// <summary>Waits for the demo's "still serving" line, signs in to the dashboard with the printed key and returns the halted rollout's page.</summary>
    private static string Snapshot(TextWriter synchronizedWriter, StringWriter buffer)
    {
        // TextWriter.Synchronized locks on the wrapper, so reading under the same lock never sees half a write.
        lock (synchronizedWriter)
            return buffer.ToString();
    }

    private static async Task<string> HaltedRolloutPageAsync(Func<string> output, Task<int> run)
    {
        Match serving = Match.Empty;
        var deadline = Stopwatch.StartNew();
        while (!(serving = Regex.Match(output(), @"Still serving at (\S+) \(operator key: (\S+),")).Success)
        {
            if (run.IsCompleted || deadline.Elapsed > TimeSpan.FromMinutes(3))
                throw new ShouldAssertException("the demo never reached --keep-serving:\n" + output());
            await Task.Delay(200);
        }
        var halted = Regex.Match(output(), @"(\S+/rollouts/ro_[0-9a-f]+) \(the halted release");
        halted.Success.ShouldBeTrue(output());
        using var handler = new HttpClientHandler { CookieContainer = new CookieContainer(), UseCookies = true, AllowAutoRedirect = false };
        using var http = new HttpClient(handler) { BaseAddress = new Uri(serving.Groups[1].Value) };
        var form = await http.GetStringAsync("signin");
        var csrf = WebUtility.HtmlDecode(Regex.Match(form, "name=\"csrf\" value=\"([^\"]+)\"").Groups[1].Value);
        using var signIn = await http.PostAsync("signin", new FormUrlEncodedContent([new("csrf", csrf), new("key", serving.Groups[2].Value)]));
        ((int)signIn.StatusCode).ShouldBeLessThan(400, await signIn.Content.ReadAsStringAsync());
        return await http.GetStringAsync(new Uri(halted.Groups[1].Value));
    }
}
