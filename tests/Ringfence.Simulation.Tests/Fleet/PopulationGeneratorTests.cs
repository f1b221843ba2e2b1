using Ringfence.Simulation.Fleet;

namespace Ringfence.Simulation.Tests.Fleet;

public class PopulationGeneratorTests
{
    private static readonly Lazy<FleetModel> Fleet = new(() => PopulationGenerator.Generate(TestScenarios.July19, 0.01, 5));

    [Fact]
    public void Generate_SegmentCounts_ExactAfterScaling()
    {
        var f = Fleet.Value;
        for (var s = 0; s < f.Segments.Length; s++)
        {
            var expected = (int)Math.Round(TestScenarios.July19.Fleet.Segments[s].Count * 0.01);
            f.Segment.Count(x => x == s).ShouldBe(expected);
        }
        f.Count.ShouldBe(145_000);
    }

    [Fact]
    public void Generate_AgentBuildShares_MatchWeightsWithinTolerance()
    {
        var f = Fleet.Value;
        var windows = Enumerable.Range(0, f.Count).Where(h => f.Configs[f.Config[h]].Os == "windows").ToList();
        var share711 = windows.Count(h => f.Configs[f.Config[h]].AgentBuild == "7.11") / (double)windows.Count;
        share711.ShouldBe(0.12, 0.01);
        var share710 = windows.Count(h => f.Configs[f.Config[h]].AgentBuild == "7.10") / (double)windows.Count;
        share710.ShouldBe(0.03, 0.005);
    }

    [Fact]
    public void Generate_OfflineAndLeftOnFractions_MatchSegments()
    {
        var f = Fleet.Value;
        var ws = Enumerable.Range(0, f.Count).Where(h => f.Segments[f.Segment[h]] == "windows-workstation").ToList();
        (ws.Count(h => (f.Flags[h] & FleetModel.FlagOffline) != 0) / (double)ws.Count).ShouldBe(0.10, 0.01);
        (ws.Count(h => (f.Flags[h] & FleetModel.FlagAlwaysOn) != 0) / (double)ws.Count).ShouldBe(0.25, 0.015);
        var servers = Enumerable.Range(0, f.Count).Where(h => f.ClassOf(h) == HostClass.Server).ToList();
        servers.ShouldAllBe(h => (f.Flags[h] & FleetModel.FlagAlwaysOn) != 0);
    }

    [Fact]
    public void Generate_InternalOrganisation_IsTheDogfoodGroup()
    {
        var f = Fleet.Value;
        f.Organisations[0].Internal.ShouldBeTrue();
        Enumerable.Range(0, f.Count).Count(h => (f.Flags[h] & FleetModel.FlagInternal) != 0).ShouldBe(f.Organisations[0].Count);
    }

    [Fact]
    public void Generate_SameSeed_SameFleet_DifferentSeed_Differs()
    {
        var a = PopulationGenerator.Generate(TestScenarios.July19, 0.001, 9);
        var b = PopulationGenerator.Generate(TestScenarios.July19, 0.001, 9);
        var c = PopulationGenerator.Generate(TestScenarios.July19, 0.001, 10);
        a.Config.ShouldBe(b.Config);
        a.CheckInPhase.ShouldBe(b.CheckInPhase);
        a.Config.SequenceEqual(c.Config).ShouldBeFalse();
    }

    [Fact]
    public void IsOnline_Workstations_FollowLocalWorkingHours()
    {
        var f = Fleet.Value;
        // At release (04:09 UTC, Friday): Sydney (UTC+10) is at work, New York (UTC-4) asleep.
        var ws = Enumerable.Range(0, f.Count).Where(h => f.ClassOf(h) == HostClass.Workstation && (f.Flags[h] & (FleetModel.FlagAlwaysOn | FleetModel.FlagOffline)) == 0).ToList();
        var sydney = ws.Where(h => f.Regions[f.Region[h]] == "apac-east").ToList();
        var newYork = ws.Where(h => f.Regions[f.Region[h]] == "americas-east").ToList();
        sydney.Count(h => f.IsOnline(h, 0)).ShouldBe(sydney.Count);
        newYork.Count(h => f.IsOnline(h, 0)).ShouldBe(0);
        // Twelve hours later New York is at work and Sydney is not.
        newYork.Count(h => f.IsOnline(h, 12 * 60)).ShouldBe(newYork.Count);
        sydney.Count(h => f.IsOnline(h, 12 * 60)).ShouldBe(0);
    }

    [Fact]
    public void NextOnline_Weekend_SkipsToMonday()
    {
        var f = Fleet.Value;
        var h = Enumerable.Range(0, f.Count).First(x => f.ClassOf(x) == HostClass.Workstation && (f.Flags[x] & (FleetModel.FlagAlwaysOn | FleetModel.FlagOffline)) == 0 && f.Regions[f.Region[x]] == "europe-west");
        // Friday 20:00 UTC (22:00 Paris) → next start is Monday morning, about 58 to 62 hours later.
        var fridayEvening = (20 - 4.15) * 60;
        var next = f.NextOnline(h, fridayEvening);
        (next - fridayEvening).ShouldBeInRange(55 * 60, 63 * 60);
        f.IsOnline(h, next).ShouldBeTrue();
    }

    [Fact]
    public void NextCheckIn_OnlineHost_WithinOneInterval()
    {
        var f = Fleet.Value;
        for (var h = 0; h < 2000; h++)
        {
            if ((f.Flags[h] & FleetModel.FlagAlwaysOn) == 0 || (f.Flags[h] & FleetModel.FlagOffline) != 0)
                continue;
            var t = f.NextCheckIn(h, 100, 3);
            (t - 100).ShouldBeInRange(0, f.CheckInInterval[h] + 1e-3);
        }
    }
}
