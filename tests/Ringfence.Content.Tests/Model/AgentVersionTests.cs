using Ringfence.Content;

namespace Ringfence.Content.Tests.Model;

public class AgentVersionTests
{
    [Theory]
    [InlineData("7.11", "7.10.17807", 1)]
    [InlineData("7.11", "7.11.0", 0)]
    [InlineData("7.9", "7.11", -1)]
    [InlineData("7.11.18110", "7.11.2", 1)]
    [InlineData("8", "7.99.99999.9", 1)]
    public void CompareTo_NumericParts_ComparesNumericallyNotAsText(string a, string b, int expected) =>
        Math.Sign(AgentVersion.Parse(a).CompareTo(AgentVersion.Parse(b))).ShouldBe(expected);

    [Theory]
    [InlineData("")]
    [InlineData("7.")]
    [InlineData("7.x")]
    [InlineData("1.2.3.4.5")]
    [InlineData("-1.2")]
    [InlineData("99999999999")]
    public void TryParse_Malformed_ReturnsFalse(string text) => AgentVersion.TryParse(text, out _).ShouldBeFalse();

    [Fact]
    public void ToString_KeepsWrittenParts() => AgentVersion.Parse("7.11.18110").ToString().ShouldBe("7.11.18110");

    [Theory]
    [InlineData(">= 7.11", "7.11.18110", true)]
    [InlineData(">= 7.11", "7.10.17807", false)]
    [InlineData(">= 7.11, < 7.16", "7.13", true)]
    [InlineData(">= 7.11, < 7.16", "7.16.1", false)]
    [InlineData("> 7.11", "7.11.0", false)]
    [InlineData("<= 7.11", "7.11", true)]
    [InlineData("7.11", "7.11.0.0", true)]
    [InlineData("== 7.11", "7.12", false)]
    public void VersionRange_Contains_EvaluatesEveryTerm(string range, string version, bool expected) =>
        VersionRange.Parse(range).Contains(AgentVersion.Parse(version)).ShouldBe(expected);

    [Theory]
    [InlineData("")]
    [InlineData(">= ")]
    [InlineData(">= 7.11,")]
    [InlineData("~> 7")]
    public void VersionRange_TryParse_Malformed_ReturnsErrorMessage(string text)
    {
        VersionRange.TryParse(text, out _, out var error).ShouldBeFalse();
        error.ShouldNotBeEmpty();
    }

    [Fact]
    public void VersionRange_Text_IsNormalised() => VersionRange.Parse(">=7.11,<8").Text.ShouldBe(">= 7.11, < 8");
}
