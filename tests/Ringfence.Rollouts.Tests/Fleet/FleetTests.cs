using System.Text.Json;
using Ringfence.Rollouts.Fleet;

namespace Ringfence.Rollouts.Tests.Fleet;

public class FleetTests
{
    private static readonly DateTimeOffset Summer = new(2024, 7, 19, 4, 9, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset Winter = new(2024, 1, 19, 4, 9, 0, TimeSpan.Zero);

    [Theory]
    [InlineData("UTC", 0)]
    [InlineData("Z", 0)]
    [InlineData("+05:30", 330)]
    [InlineData("-04:00", -240)]
    [InlineData("UTC+10", 600)]
    [InlineData("GMT-3:30", -210)]
    [InlineData("+14", 840)]
    public void TryParseFixed_Offsets_GiveMinutes(string zone, int minutes)
    {
        TimeZones.TryParseFixed(zone, out var parsed).ShouldBeTrue();
        parsed.ShouldBe((short)minutes);
    }

    [Theory]
    [InlineData("")]
    [InlineData("+")]
    [InlineData("+15")]
    [InlineData("+05:75")]
    [InlineData("5")]
    [InlineData("UTC+ab")]
    [InlineData("Europe/Paris")]
    public void TryParseFixed_NotAnOffset_IsFalse(string zone)
    {
        TimeZones.TryParseFixed(zone, out _).ShouldBeFalse();
    }

    [Fact]
    public void OffsetMinutes_IanaZone_FollowsDaylightSaving()
    {
        TimeZones.OffsetMinutes("Europe/Paris", Summer).ShouldBe((short)120);
        TimeZones.OffsetMinutes("Europe/Paris", Winter).ShouldBe((short)60);
        TimeZones.OffsetMinutes("Australia/Sydney", Summer).ShouldBe((short)600);
    }

    [Fact]
    public void OffsetMinutes_UnknownZone_ThrowsOneClearLine()
    {
        var e = Should.Throw<ArgumentException>(() => TimeZones.OffsetMinutes("Mars/Olympus", Summer));

        e.Message.ShouldContain("unknown time zone 'Mars/Olympus'");
    }

    [Fact]
    public void StableKey_SameName_SameKeyAndNeverZero()
    {
        StableKey.Of("host-1").ShouldBe(StableKey.Of("host-1"));
        StableKey.Of("host-1").ShouldNotBe(StableKey.Of("host-2"));
        StableKey.Of("").ShouldNotBe(0UL);
        StableKey.Of(new string('x', 5000)).ShouldNotBe(StableKey.Of(new string('x', 4999)));
    }

    [Fact]
    public void Host_ToFacts_CarriesKeysOffsetAndTags()
    {
        var host = new Host("h-1", "Acme Air", "airline", OsFamily.Windows, 19045, 7110, "eu-west", "Europe/Paris", HostTags.Critical, "check-in");

        var facts = host.ToFacts(Summer);

        facts.HostKey.ShouldBe(StableKey.Of("h-1"));
        facts.OrganisationKey.ShouldBe(StableKey.Of("Acme Air"));
        facts.GroupKey.ShouldBe(StableKey.Of("check-in"));
        facts.UtcOffsetMinutes.ShouldBe((short)120);
        facts.Tags.ShouldBe(HostTags.Critical);
        facts.Configuration.ShouldBe(new ConfigurationKey(7110, 19045));
    }

    [Fact]
    public void Host_WithoutGroup_HasGroupKeyZero()
    {
        new Host("h", "o", "bank", OsFamily.Linux, 1, 2, "r", "UTC").ToFacts(Summer).GroupKey.ShouldBe(0UL);
    }

    [Fact]
    public void HostFacts_JsonRoundTrip_IsEqual()
    {
        var facts = new HostFacts(1, 2, 3, OsFamily.MacOs, 4, 5, -300, HostTags.Dogfood | HostTags.Server);

        JsonSerializer.Deserialize<HostFacts>(JsonSerializer.Serialize(facts)).ShouldBe(facts);
    }

    [Fact]
    public void ConfigurationKey_Packed_IsDistinctPerPair()
    {
        new ConfigurationKey(1, 2).Packed.ShouldNotBe(new ConfigurationKey(2, 1).Packed);
        new ConfigurationKey(7110, -1).Packed.ShouldNotBe(new ConfigurationKey(7109, int.MaxValue).Packed);
    }
}
