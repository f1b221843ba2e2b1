using Ringfence.Content;

namespace Ringfence.Content.Tests.Formats;

public class ContentJsonTests
{
    [Fact]
    public void ReadChannelFile_SeveralSchemaErrors_ReportsEveryOneWithPath()
    {
        const string json = """
            {
              "id": "C-1",
              "templateType": "ipc",
              "version": "one",
              "colour": "blue",
              "instances": [
                { "id": "a", "action": "detect", "severity": "apocalyptic", "criteria": ["*", {"exact": "x", "glob": "y"}, "?", {"range": [5]}] }
              ]
            }
            """;

        var result = ContentJson.ReadChannelFile(json);

        result.Succeeded.ShouldBeFalse();
        result.Errors.Select(e => e.Path).ShouldBe(
        [
            "$.version", "$.colour", "$.instances[0].severity",
            "$.instances[0].criteria[1]", "$.instances[0].criteria[2]", "$.instances[0].criteria[3].range",
        ], ignoreOrder: true);
    }

    [Fact]
    public void ReadChannelFile_RetireTrue_ReadsAndWritesTheMarker()
    {
        var file = ContentJson.ReadChannelFile("""{ "id": "C-00000291", "templateType": "ipc", "version": 2, "retire": true, "instances": [] }""").GetValueOrThrow();

        file.Retire.ShouldBeTrue();
        ContentJson.WriteChannelFile(file).ShouldContain("\"retire\": true");
        ContentJson.WriteChannelFile(file with { Retire = false }).ShouldNotContain("retire");
    }

    [Fact]
    public void ReadChannelFile_RetireNotABoolean_SchemaErrorAtPath()
    {
        var read = ContentJson.ReadChannelFile("""{ "id": "C-00000291", "templateType": "ipc", "version": 2, "retire": "yes", "instances": [] }""");

        read.Succeeded.ShouldBeFalse();
        read.Errors.ShouldContain(e => e.Path == "$.retire");
    }

    [Theory]
    [InlineData("""{ "id\udfff": "c", "templateType": "ipc", "version": 1, "instances": [] }""")]
    [InlineData("""{ "id": "C-\ud800291", "templateType": "ipc", "version": 1, "instances": [] }""")]
    [InlineData("""{ "id": "c", "templateType": "ipc", "version": 1, "instances": [], "description": "\udfff\ud800" }""")]
    public void ReadChannelFile_EscapedLoneSurrogate_FormatErrorNotInvalidOperation(string json)
    {
        // Regression (bench/fuzz): JsonDocument parsed it and reading the string threw InvalidOperationException, which
        // the CLI and the server's publish inspector do not expect.
        var ex = Should.Throw<ContentFormatException>(() => ContentJson.ReadChannelFile(json));

        ex.Message.ShouldContain("lone UTF-16 surrogate");
    }

    [Fact]
    public void ReadChannelFile_EscapedSurrogatePair_Reads() =>
        ContentJson.ReadChannelFile("""{ "id": "c", "templateType": "ipc", "version": 1, "retire": true, "instances": [], "description": "\ud83d\ude00 \u00e9" }""")
            .GetValueOrThrow().Description.ShouldBe("\U0001F600 é");

    [Fact]
    public void ReadChannelFile_MalformedJson_FormatErrorWithLine()
    {
        var ex = Should.Throw<ContentFormatException>(() => ContentJson.ReadChannelFile("{\n  \"id\": \"x\",\n  oops\n}"));

        ex.Message.ShouldStartWith("malformed JSON at line 3");
        ex.Message.ShouldNotContain("\n");
    }

    [Fact]
    public void ReadChannelFile_OverSizeLimit_FormatError() =>
        Should.Throw<ContentFormatException>(() => ContentJson.ReadChannelFile(new string(' ', 200), ContentLimits.Default with { MaxFileBytes = 100 }));

    [Fact]
    public void ReadChannelFile_DeepNesting_FormatErrorNotStackOverflow() =>
        Should.Throw<ContentFormatException>(() => ContentJson.ReadChannelFile(new string('[', 10_000) + new string(']', 10_000)));

    [Fact]
    public void ReadChannelFile_CriterionForms_ParseToTheRightKinds()
    {
        const string json = """
            { "id": "c", "templateType": "t", "version": 1, "instances": [ { "id": "i", "action": "a", "severity": "low", "criteria": [
              "*", {"exact": "x", "ignoreCase": true}, {"exact": 5}, {"glob": "*.exe"}, {"regex": "^a$"}, {"range": [1, 2]},
              {"set": ["a", "b"]}, {"set": [1, 2]}, {"set": [], "integers": true} ] } ] }
            """;

        var criteria = ContentJson.ReadChannelFile(json).GetValueOrThrow().Instances[0].Criteria;

        criteria.ShouldBe(
        [
            Criterion.Wildcard, Criterion.Exact("x", true), Criterion.Exact(5), Criterion.Glob("*.exe"), Criterion.Regex("^a$"),
            Criterion.Range(1, 2), Criterion.Set(["a", "b"]), Criterion.Set([1L, 2L]), Criterion.Set(Array.Empty<long>()),
        ]);
    }

    [Fact]
    public void ReadFleet_UnknownOsAndBadVersion_ReportsBoth()
    {
        const string json = """{ "name": "f", "agentBuilds": [ { "id": "b", "os": "beos", "version": "seven", "contracts": { "ipc": -1 } } ], "hosts": [] }""";

        var result = ContentJson.ReadFleet(json);

        result.Errors.Select(e => e.Path).ShouldBe(["$.agentBuilds[0].os", "$.agentBuilds[0].version", "$.agentBuilds[0].contracts.ipc"], ignoreOrder: true);
    }

    [Fact]
    public void ReadCorpus_MixedValues_StringsAndIntegers()
    {
        var events = ContentJson.ReadCorpus("""{ "events": [ { "name": "e", "templateType": "t", "values": ["a", 5], "expectMatches": ["i"] } ] }""").GetValueOrThrow();

        events.ShouldHaveSingleItem().Values.ShouldBe([InputValue.Of("a"), InputValue.Of(5)]);
        events[0].ExpectMatches.ShouldBe(["i"]);
    }
}
