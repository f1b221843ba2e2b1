using Ringfence.Content;

namespace Ringfence.Content.Tests.Validation;

public class ContentValidatorTests
{
    private static ValidationOptions Fast { get; } = new() { FuzzEventsPerLength = 50, AdversarialInputLength = 2_000 };

    private static ValidationReport Validate(ChannelFile file, FleetManifest? fleet = null, IReadOnlyList<SampleEvent>? corpus = null,
        IReadOnlyList<TemplateType>? types = null, ValidationOptions? options = null) =>
        ContentValidator.Validate(new ValidationRequest
        {
            Files = [new ContentDocument("channel.json", file)],
            TemplateTypes = types ?? [TestContent.Ipc21],
            Fleet = fleet,
            Corpus = corpus ?? [],
            Options = options ?? Fast,
        });

    [Fact]
    public void Validate_Channel291_RejectedNamingFieldBuildsAndHosts()
    {
        var report = Validate(TestContent.Channel291(Criterion.Regex("^[0-9a-f]{64}$")), TestContent.Fleet);

        report.Accepted.ShouldBeFalse();
        var finding = report.Findings.Where(f => f.Code == FindingCodes.FieldNotSupplied).ShouldHaveSingleItem();
        finding.Severity.ShouldBe(FindingSeverity.Error);
        finding.Location.File.ShouldBe("channel.json");
        finding.Location.InstanceId.ShouldBe("ipc-0291");
        finding.Location.FieldNumber.ShouldBe(21);
        finding.Location.FieldName.ShouldBe("f21");
        finding.Builds.ShouldBe(["win-7.11", "win-7.13"]);
        finding.HostCount.ShouldBe(8_500_000);
        finding.Message.ShouldContain("field 21 (f21)");
        finding.Message.ShouldContain("win-7.11, win-7.13");
        finding.Message.ShouldContain("8,500,000 hosts");
        report.Files.ShouldHaveSingleItem().Accepted.ShouldBeFalse();
    }

    [Fact]
    public void Validate_Channel291WithWildcard_AcceptedWithUnreachableFieldWarning()
    {
        var report = Validate(TestContent.Channel291(Criterion.Wildcard), TestContent.Fleet);

        report.Accepted.ShouldBeTrue();
        report.Findings.Where(f => f.Severity != FindingSeverity.Info).ShouldAllBe(f => f.Code == FindingCodes.FieldUnreachable);
        var warning = report.Findings.ShouldHaveSingleItem();
        warning.Severity.ShouldBe(FindingSeverity.Warning);
        warning.Location.FieldNumber.ShouldBe(21);
        warning.Builds.ShouldBe(["win-7.11", "win-7.13"]);
        warning.HostCount.ShouldBe(8_500_000);
        warning.Message.ShouldContain("unreachable");
    }

    [Fact]
    public void Validate_Channel291TargetingOnly21ValueBuilds_Accepted()
    {
        var file = TestContent.Channel291(Criterion.Exact("abc")) with { Target = new ChannelTarget([AgentOs.Windows], VersionRange.Parse(">= 7.16")) };

        Validate(file, TestContent.Fleet).Findings.ShouldBeEmpty();
    }

    [Fact]
    public void Validate_LearnedBuildShrinksContract_RejectsWhatDeclaredFleetAccepted()
    {
        // The server validates against declared builds merged with builds learned from check-ins.
        var file = TestContent.Channel291(Criterion.Exact("abc")) with { Target = new ChannelTarget([AgentOs.Windows], VersionRange.Parse(">= 7.16")) };
        var learned = new FleetManifest("learned", [new AgentBuild("win-7.16", AgentOs.Windows, AgentVersion.Parse("7.16.18605"), [new TemplateContract("ipc", 20)])], []);

        var report = Validate(file, TestContent.Fleet.Merge(learned));

        report.Findings.ShouldContain(f => f.Code == FindingCodes.FieldNotSupplied && f.Builds.SequenceEqual(new[] { "win-7.16" }) && f.HostCount == 4_000);
    }

    [Fact]
    public void Validate_SameInputAndSeed_SameReport()
    {
        var file = TestContent.Channel291(Criterion.Regex("^[0-9a-f]{64}$"));

        Validate(file, TestContent.Fleet).Findings.ShouldBe(Validate(file, TestContent.Fleet).Findings);
    }

    [Fact]
    public void Validate_ManyProblems_ReturnsEveryFindingAtOnce()
    {
        var criteria = TestContent.IpcCriteria(Criterion.Range(5, 1)).ToArray(); // range on a string field: kind not allowed
        criteria[1] = Criterion.Regex(@"(a)\1");
        criteria[2] = Criterion.Exact(5);
        var file = new ChannelFile("c", "ipc", 1,
        [
            new TemplateInstance("dup", "detect", Severity.Low, criteria),
            new TemplateInstance("dup", "detect", Severity.Low, [Criterion.Wildcard]),
        ]);

        var codes = Validate(file).Findings.Select(f => f.Code).ToList();

        codes.ShouldBe([FindingCodes.RegexInvalid, FindingCodes.ValueTypeMismatch, FindingCodes.KindNotAllowed, FindingCodes.DuplicateInstanceId, FindingCodes.CriteriaCountMismatch], ignoreOrder: true);
    }

    // ------------------------------------------------------------------ every code

    private static readonly TemplateType Narrow = new("narrow", "narrow",
        [new TemplateField("name", FieldType.String, [CriterionKind.Wildcard, CriterionKind.Exact]), TemplateField.Integer("port")]);

    private static ChannelFile NarrowFile(params Criterion[] criteria) =>
        new("n", "narrow", 1, [new TemplateInstance("i1", "detect", Severity.Low, criteria)]);

    private static readonly FleetManifest NarrowFleet = new("f",
        [new AgentBuild("b1", AgentOs.Linux, AgentVersion.Parse("1.0"), [new TemplateContract("narrow", 2)])],
        [new HostPopulation("b1", "Ubuntu", 10)]);

    public static TheoryData<string> Codes => [.. FindingCodes.All.Select(c => c.Code)];

    private static ValidationReport Trigger(string code) => code switch
    {
        FindingCodes.SchemaViolation => Validate(NarrowFile(Criterion.Wildcard, Criterion.Wildcard) with { Id = "" }, types: [Narrow]),
        FindingCodes.UnknownTemplateType => Validate(NarrowFile() with { TemplateTypeId = "nope" }, types: [Narrow]),
        FindingCodes.CriteriaCountMismatch => Validate(NarrowFile(Criterion.Wildcard), types: [Narrow]),
        FindingCodes.KindNotAllowed => Validate(NarrowFile(Criterion.Glob("a*"), Criterion.Wildcard), types: [Narrow]),
        FindingCodes.ValueTypeMismatch => Validate(NarrowFile(Criterion.Wildcard, Criterion.Exact("80")), types: [Narrow]),
        FindingCodes.DuplicateInstanceId => Validate(new ChannelFile("n", "narrow", 1,
            [new TemplateInstance("i", "a", Severity.Low, [Criterion.Wildcard, Criterion.Wildcard]), new TemplateInstance("i", "a", Severity.Low, [Criterion.Wildcard, Criterion.Wildcard])]), types: [Narrow]),
        FindingCodes.SizeLimitExceeded => Validate(TestContent.Channel291(Criterion.Regex(new string('a', 2000)))),
        FindingCodes.RegexInvalid => Validate(TestContent.Channel291(Criterion.Regex("(?<=x)a"))),
        FindingCodes.RegexUnsafe => Validate(TestContent.Channel291(Criterion.Regex("[ab]*a[ab]{30}c")),
            options: Fast with { RegexTimeLimit = TimeSpan.FromMilliseconds(1), AdversarialInputLength = 1_000_000 }),
        FindingCodes.EmptyRange => Validate(NarrowFile(Criterion.Wildcard, Criterion.Range(10, 1)), types: [Narrow]),
        FindingCodes.EmptyChannelFile => Validate(new ChannelFile("n", "narrow", 1, []), types: [Narrow]),
        FindingCodes.InvalidTemplateType => Validate(NarrowFile(), types: [Narrow with { Fields = [TemplateField.String("x"), TemplateField.String("x")] }]),
        FindingCodes.RetiresChannel => Validate(new ChannelFile("n", "narrow", 1, []) { Retire = true }, types: [Narrow]),
        FindingCodes.RetireWithInstances => Validate(NarrowFile(Criterion.Wildcard, Criterion.Wildcard) with { Retire = true }, types: [Narrow]),
        FindingCodes.FieldNotSupplied => Validate(TestContent.Channel291(Criterion.Exact("x")), TestContent.Fleet),
        FindingCodes.FieldUnreachable => Validate(TestContent.Channel291(Criterion.Wildcard), TestContent.Fleet),
        FindingCodes.NoTargetedBuild => Validate(TestContent.Channel291(Criterion.Wildcard) with { Target = new ChannelTarget([AgentOs.Linux], null) }, TestContent.Fleet),
        FindingCodes.ContractExceedsType => Validate(NarrowFile(Criterion.Wildcard, Criterion.Wildcard), types: [Narrow],
            fleet: NarrowFleet with { Builds = [NarrowFleet.Builds[0] with { Contracts = [new TemplateContract("narrow", 3)] }] }),
        FindingCodes.InvalidFleet => Validate(NarrowFile(Criterion.Wildcard, Criterion.Wildcard), types: [Narrow],
            fleet: NarrowFleet with { Hosts = [new HostPopulation("ghost", "Ubuntu", 5)] }),
        FindingCodes.ReplayFault => Validate(TestContent.Channel291(Criterion.Exact("x")), TestContent.Fleet, [new SampleEvent("ipc", TestContent.IpcEvent(21))]),
        FindingCodes.CorpusEventInvalid => Validate(NarrowFile(Criterion.Wildcard, Criterion.Wildcard), NarrowFleet, [new SampleEvent("narrow", ["only one"])], [Narrow]),
        FindingCodes.ReplayUnexpectedMatch => Validate(NarrowFile(Criterion.Exact("a"), Criterion.Wildcard), NarrowFleet,
            [new SampleEvent("narrow", ["b", 1]) { ExpectMatches = ["i1"] }], [Narrow]),
        FindingCodes.FuzzFault => Validate(TestContent.Channel291(Criterion.Exact("x")), TestContent.Fleet),
        _ => throw new ArgumentOutOfRangeException(nameof(code), code, "no trigger for this code: add one"),
    };

    [Theory]
    [MemberData(nameof(Codes))]
    public void Validate_Trigger_ReportsCodeWithDocumentedSeverity(string code)
    {
        var report = Trigger(code);

        var expected = FindingCodes.All.Single(c => c.Code == code).Severity;
        var finding = report.Findings.FirstOrDefault(f => f.Code == code);
        finding.ShouldNotBeNull($"{code} was not reported; findings: {string.Join("; ", report.Findings)}");
        finding.Severity.ShouldBe(expected);
        finding.Location.File.ShouldNotBeNullOrEmpty();
        report.Accepted.ShouldBe(!report.Findings.Any(f => f.Severity == FindingSeverity.Error));
    }

    [Fact]
    public void Validate_EmptyFileWithoutRetire_RejectedWithRF1011SayingHowToRetire()
    {
        var report = Validate(new ChannelFile("C-00000291", "narrow", 2, []), NarrowFleet, types: [Narrow]);

        report.Accepted.ShouldBeFalse();
        var finding = report.Findings.Single(f => f.Code == FindingCodes.EmptyChannelFile);
        finding.Severity.ShouldBe(FindingSeverity.Error);
        finding.Message.ShouldContain("remove every detection on channel C-00000291");
        finding.Message.ShouldContain("\"retire\": true");
    }

    [Fact]
    public void Validate_EmptyFileThatRetires_AcceptedWithTwoApproverWarning()
    {
        var report = Validate(new ChannelFile("C-00000291", "narrow", 2, []) { Retire = true }, NarrowFleet, types: [Narrow]);

        report.Accepted.ShouldBeTrue(string.Join("; ", report.Findings));
        report.Findings.ShouldNotContain(f => f.Code == FindingCodes.EmptyChannelFile);
        report.Findings.Single(f => f.Code == FindingCodes.RetiresChannel).Message.ShouldContain("two distinct approvers");
    }

    [Fact]
    public void Validate_RetireWithInstances_Rejected()
    {
        var report = Validate(NarrowFile(Criterion.Wildcard, Criterion.Wildcard) with { Retire = true }, NarrowFleet, types: [Narrow]);

        report.Accepted.ShouldBeFalse();
        report.Findings.ShouldContain(f => f.Code == FindingCodes.RetireWithInstances && f.Severity == FindingSeverity.Error);
        report.Findings.ShouldNotContain(f => f.Code == FindingCodes.RetiresChannel);
    }

    [Fact]
    public void FindingCodes_AreUniqueAndDocumented()
    {
        var docs = RepoFiles.Read("docs/validation.md");

        FindingCodes.All.Select(c => c.Code).ShouldBeUnique();
        foreach (var (code, _, _) in FindingCodes.All)
            docs.ShouldContain($"`{code}`", customMessage: $"{code} is missing from docs/validation.md");
    }

    [Fact]
    public void Validate_FuzzFault_NamesSeedLengthAndBuilds()
    {
        var fuzz = Trigger(FindingCodes.FuzzFault).Findings.Where(f => f.Code == FindingCodes.FuzzFault).ShouldHaveSingleItem();

        fuzz.Message.ShouldContain("20-value events");
        fuzz.Builds.ShouldBe(["win-7.11", "win-7.13"]);
        fuzz.Location.FieldNumber.ShouldBe(21);
    }

    [Fact]
    public void Validate_ReplayFault_NamesEventAndHosts()
    {
        var replay = Trigger(FindingCodes.ReplayFault).Findings.Where(f => f.Code == FindingCodes.ReplayFault).ShouldHaveSingleItem();

        replay.HostCount.ShouldBe(8_500_000);
        replay.Location.InstanceId.ShouldBe("ipc-0291");
    }

    [Fact]
    public void Validate_NoFleet_FuzzesAtFullLengthOnly()
    {
        var report = Validate(TestContent.Channel291(Criterion.Exact("x")));

        report.Accepted.ShouldBeTrue();
        report.Files.ShouldHaveSingleItem().FuzzEvents.ShouldBe(Fast.FuzzEventsPerLength);
    }

    // ------------------------------------------------------------------ the shipped examples

    private static ValidationReport ValidateExample(string name)
    {
        var types = ContentJson.ReadTemplateTypes(RepoFiles.Read("examples/template-types.json")).GetValueOrThrow();
        var fleet = ContentJson.ReadFleet(RepoFiles.Read("examples/fleet.json")).GetValueOrThrow();
        var corpus = ContentJson.ReadCorpus(RepoFiles.Read("examples/corpus.json")).GetValueOrThrow();
        var file = ContentJson.ReadChannelFile(RepoFiles.Read($"examples/{name}")).GetValueOrThrow();
        return ContentValidator.Validate(new ValidationRequest
        {
            Files = [new ContentDocument(name, file)], TemplateTypes = types, Fleet = fleet, Corpus = corpus, Options = Fast,
        });
    }

    [Fact]
    public void Examples_GoodChannel_AcceptedWithoutFindings() => ValidateExample("good-channel.json").Findings.ShouldBeEmpty();

    [Fact]
    public void Examples_Channel291_RejectedOn8Point5MillionWindowsHosts()
    {
        var report = ValidateExample("channel-291.json");

        report.Accepted.ShouldBeFalse();
        var finding = report.Findings.Where(f => f.Code == FindingCodes.FieldNotSupplied).ShouldHaveSingleItem();
        finding.Location.FieldNumber.ShouldBe(21);
        finding.Builds.ShouldBe(["win-7.11.18110", "win-7.12.18210", "win-7.13.18309"]);
        finding.HostCount.ShouldBe(8_500_000);
    }

    [Fact]
    public void Examples_Channel291Wildcard_AcceptedWithWarningOnly()
    {
        var report = ValidateExample("channel-291-wildcard.json");

        report.Accepted.ShouldBeTrue();
        report.Findings.ShouldHaveSingleItem().Code.ShouldBe(FindingCodes.FieldUnreachable);
    }
}
