using Ringfence.Rollouts.Health;
using Ringfence.Rollouts.Policies;
using Ringfence.Rollouts.Rings;
using static Ringfence.Rollouts.Tests.TestData;

namespace Ringfence.Rollouts.Tests.Options;

public class OptionsValidationTests
{
    [Fact]
    public void Defaults_AreValid()
    {
        RolloutOptions.Default.Validate().ShouldBeEmpty();
        HealthGateOptions.Default.Validate().ShouldBeEmpty();
        RingPlan.Default.Validate().ShouldBeEmpty();
        CoverageOptions.Default.Validate().ShouldBeEmpty();
        Spec().Validate().ShouldBeEmpty();
    }

    [Fact]
    public void RolloutOptions_OutOfRange_ReturnsEveryError()
    {
        var errors = new RolloutOptions(0, TimeSpan.FromDays(-1), TimeSpan.Zero).Validate();

        errors.Select(e => e.Path).ShouldBe(["fastTrackBakeFactor", "fastTrackMinimumBake", "deployTimeout"]);
    }

    [Fact]
    public void HealthGateOptions_OutOfRange_ReturnsEveryError()
    {
        var errors = new HealthGateOptions(0, 0.9, 1, 0.5, double.NaN, 0, -1, 2).Validate();

        errors.Count.ShouldBe(8);
    }

    [Fact]
    public void RingPlan_BadRings_ReturnsEveryErrorWithPaths()
    {
        var plan = new RingPlan(
        [
            new RingSpec("", RingSelection.ByPercent(50), 0, TimeSpan.FromMinutes(-1)),
            new RingSpec("a", RingSelection.ByPercent(10), 1, TimeSpan.Zero, HealthGateOptions.Default with { AttributionHosts = 0 }),
            new RingSpec("a", RingSelection.EarlyAdopters(), 1, TimeSpan.Zero),
        ]);

        var paths = plan.Validate().Select(e => e.Path).ToList();

        paths.ShouldBe(
        [
            "rings[0].name", "rings[0].minimumHosts", "rings[0].bakeTime", "rings[1].selection.percent",
            "rings[1].gate.attributionHosts", "rings[2].name", "rings[2].selection",
        ]);
    }

    [Fact]
    public void RolloutSpec_Invalid_ReturnsEveryErrorWithPaths()
    {
        var spec = Spec() with { RolloutId = "", ContentVersion = 0, ContentName = " ", ValidatedAgentBuilds = [], Plan = new RingPlan([]), Options = new RolloutOptions(2) };

        spec.Validate().Select(e => e.Path).ShouldBe(["rolloutId", "contentVersion", "contentName", "validatedAgentBuilds", "plan.rings", "options.fastTrackBakeFactor"]);
    }

    [Fact]
    public void PolicySet_Invalid_ReturnsEveryErrorWithPaths()
    {
        var policies = new PolicySet(
            new Dictionary<string, CustomerPolicy> { ["Acme"] = new((ReleaseChannel)7, TimeSpan.FromDays(-1)) },
            new Dictionary<string, CustomerPolicy> { ["icu"] = new(MaintenanceWindows: [new MaintenanceWindow((DayOfWeek)9, new TimeOnly(1, 0), TimeSpan.Zero)]) });

        policies.Validate().Select(e => e.Path).ShouldBe(
        [
            "organisations['Acme'].channel", "organisations['Acme'].pinDelay",
            "hostGroups['icu'].maintenanceWindows[0].day", "hostGroups['icu'].maintenanceWindows[0].duration",
        ]);
    }

    [Fact]
    public void BakeTime_FastTrack_ShortenedButNeverBelowTheFloorNorAboveTheOriginal()
    {
        var spec = Spec(emergency: true);
        var tiny = spec with { Plan = new RingPlan([new RingSpec("all", RingSelection.ByPercent(100), 1, TimeSpan.FromMinutes(2))]) };

        spec.BakeTime(0).ShouldBe(TimeSpan.FromMinutes(7.5));
        spec.BakeTime(1).ShouldBe(TimeSpan.FromMinutes(15));
        tiny.BakeTime(0).ShouldBe(TimeSpan.FromMinutes(2));
        Spec().BakeTime(1).ShouldBe(TimeSpan.FromMinutes(60));
    }

    [Fact]
    public void MaintenanceWindow_Daily_CoversEveryDay()
    {
        MaintenanceWindow.Daily(new TimeOnly(2, 0), TimeSpan.FromHours(1)).Select(w => w.Day).ShouldBe(Enum.GetValues<DayOfWeek>(), ignoreOrder: true);
    }
}
