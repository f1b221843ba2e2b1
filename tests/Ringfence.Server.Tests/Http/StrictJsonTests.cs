using System.Text;
using System.Text.Json;
using Ringfence.Protocol;

namespace Ringfence.Server.Tests.Http;

/// <summary>The strict request reader (Ringfence.Protocol.StrictJson, used by the server's JsonBody): path and one-line reason.</summary>
public sealed class StrictJsonTests
{
    private static StrictJsonError? Error<T>(string json, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type) where T : class =>
        StrictJson.Read(Encoding.UTF8.GetBytes(json), type).Error;

    [Fact]
    public void Read_UnknownMember_NamesItsPath()
    {
        var error = Error("""{"enabled": true, "reason": "typo"}""", ProtocolJsonContext.Default.KillSwitchRequest)!;
        error.ToString().ShouldStartWith("$.enabled: unknown member");
    }

    [Fact]
    public void Read_MissingRequiredMember_NamesItsPath()
    {
        Error("""{"reason": "x"}""", ProtocolJsonContext.Default.KillSwitchRequest)!.ToString().ShouldStartWith("$.engaged: required");
        Error("""{"name": "k"}""", ProtocolJsonContext.Default.CreateApiKeyRequest)!.ToString().ShouldStartWith("$.role: required");
        var nested = Error("""{"hostId":"h","idempotencyKey":"k","events":[{}]}""", ProtocolJsonContext.Default.TelemetryBatch)!.ToString();
        nested.ShouldContain("$.events[0].kind: required");
        nested.ShouldContain("$.events[0].at: required");
    }

    [Fact]
    public void Read_NullArrayElement_NamesItsIndex()
    {
        Error("""{"channel":"1","version":1,"rings":[{"name":"a","percent":50,"bakeMinutes":1},null]}""", ProtocolJsonContext.Default.CreateRolloutRequest)!
            .Path.ShouldBe("$.rings[1]");
        Error("""{"enrollmentToken":"t","hostname":"h","configuration":{"agentBuild":"a","os":"b","osBuild":"c"},"groups":[null]}""", ProtocolJsonContext.Default.EnrollRequest)!
            .ToString().ShouldBe("$.groups[0]: null is not allowed here");
    }

    [Fact]
    public void Read_DuplicateKey_IsRefused()
    {
        var error = Error("""{"engaged": true, "engaged": false}""", ProtocolJsonContext.Default.KillSwitchRequest)!;
        error.Path.ShouldBe("$.engaged");
        error.Reason.ShouldBe("duplicate member");
    }

    [Theory]
    [InlineData("""{"engaged": "yes"}""", "$.engaged: expected true or false")]
    [InlineData("""{"engaged": null}""", "$.engaged: null is not allowed here")]
    [InlineData("""{"Engaged": true}""", "$.Engaged: unknown member")]
    [InlineData("""[true]""", "$: expected an object")]
    public void Read_WrongShape_OneLineWithoutDotNetNames(string json, string expected)
    {
        var text = Error(json, ProtocolJsonContext.Default.KillSwitchRequest)!.ToString();
        text.ShouldStartWith(expected);
        text.ShouldNotContain("Ringfence.");
        text.ShouldNotContain("System.");
        text.ShouldNotContain("\n");
    }

    [Theory]
    [InlineData("""{"name":"k","role":7}""", "$.role: expected one of viewer, publisher, approver, admin")]
    [InlineData("""{"name":"k","role":"god"}""", "$.role: expected one of viewer, publisher, approver, admin")]
    public void Read_EnumByNumberOrUnknownName_IsRefused(string json, string expected) =>
        Error(json, ProtocolJsonContext.Default.CreateApiKeyRequest)!.ToString().ShouldStartWith(expected);

    [Fact]
    public void Read_HugeNumber_NamesRange()
    {
        var text = Error("""{"channel":"1","version":1e400}""", ProtocolJsonContext.Default.CreateRolloutRequest)!.ToString();
        text.ShouldStartWith("$.version: expected an integer within");
    }

    [Fact]
    public void Read_InvalidUtf8_IsAnError()
    {
        var bytes = "{\"reason\": \""u8.ToArray().Concat(new byte[] { 0xff, 0xfe }).Concat("\"}"u8.ToArray()).ToArray();
        var (value, error) = StrictJson.Read(bytes, ProtocolJsonContext.Default.RolloutActionRequest);
        value.ShouldBeNull();
        error.ShouldNotBeNull();
        error.Path.ShouldStartWith("$");
    }

    [Fact]
    public void Read_OmittedOptionalMembers_ReadAsDefaults()
    {
        // Clients omit nulls when writing: every nullable member of a request must be optional.
        var written = JsonSerializer.Serialize(new CheckInRequest("h", new HostConfiguration("a", "b", "c"), [new ChannelState("1")], new HostHealth(0, 0)),
            ProtocolJsonContext.Default.CheckInRequest);
        var (value, error) = StrictJson.Read(Encoding.UTF8.GetBytes(written), ProtocolJsonContext.Default.CheckInRequest);
        error.ShouldBeNull(written);
        value!.Channels[0].ActiveHash.ShouldBeNull();
    }

    [Fact]
    public void LenientContext_AnswerWithAddedMember_StillReads()
    {
        // What the agent does with the server's answers: a newer server may add members.
        var answer = JsonSerializer.Deserialize("""{"targets":[],"knownBadListVersion":1,"repositoryVersion":2,"nextCheckInSeconds":60,"killSwitchEngaged":false,"addedLater":{"x":1}}""",
            ProtocolJsonContext.Default.CheckInResponse)!;
        answer.RepositoryVersion.ShouldBe(2);
    }
}
