using Ringfence.Content;

namespace Ringfence.Content.Tests;

/// <summary>Shared builders: the 21-field IPC type, a fleet with the 20-value Windows family, random channel files.</summary>
internal static class TestContent
{
    public static TemplateType Ipc21 { get; } = new("ipc", "Named pipes",
        [.. Enumerable.Range(1, 21).Select(i => i switch
        {
            5 or 6 or 9 => TemplateField.Integer($"f{i}"),
            10 => TemplateField.Enum("direction", "inbound", "outbound", "duplex"),
            _ => TemplateField.String($"f{i}"),
        })]);

    public static ValueList<Criterion> IpcCriteria(Criterion field21, Criterion? field1 = null)
    {
        var list = Enumerable.Repeat(Criterion.Wildcard, 21).ToArray();
        list[0] = field1 ?? Criterion.Glob("msagent_*");
        list[20] = field21;
        return list;
    }

    public static ChannelFile Channel291(Criterion field21) => new("C-00000291", "ipc", 291,
    [
        new TemplateInstance("ipc-old", "detect", Severity.High, IpcCriteria(Criterion.Wildcard)),
        new TemplateInstance("ipc-0291", "detect", Severity.Critical, IpcCriteria(field21, Criterion.Glob("*"))),
    ])
    { Target = new ChannelTarget([AgentOs.Windows], VersionRange.Parse(">= 7.11")) };

    public static FleetManifest Fleet { get; } = new("test-fleet",
    [
        new AgentBuild("win-7.10", AgentOs.Windows, AgentVersion.Parse("7.10.17807"), [new TemplateContract("proc", 3)]),
        new AgentBuild("win-7.11", AgentOs.Windows, AgentVersion.Parse("7.11.18110"), [new TemplateContract("ipc", 20)]),
        new AgentBuild("win-7.13", AgentOs.Windows, AgentVersion.Parse("7.13.18309"), [new TemplateContract("ipc", 20)]),
        new AgentBuild("win-7.16", AgentOs.Windows, AgentVersion.Parse("7.16.18605"), [new TemplateContract("ipc", 21)]),
        new AgentBuild("mac-7.15", AgentOs.MacOs, AgentVersion.Parse("7.15.18513"), [new TemplateContract("ipc", 21), new TemplateContract("proc", 3)]),
    ],
    [
        new HostPopulation("win-7.10", "Windows 10 22H2", 300_000),
        new HostPopulation("win-7.11", "Windows 10 22H2", 1_000_000),
        new HostPopulation("win-7.11", "Windows Server 2019", 500_000),
        new HostPopulation("win-7.13", "Windows 11 23H2", 7_000_000),
        new HostPopulation("win-7.16", "Windows 11 24H2", 4_000),
        new HostPopulation("mac-7.15", "macOS 14", 400_000),
    ]);

    public static InputValue[] IpcEvent(int length, string pipe = "msagent_12", string field21 = "abc")
    {
        var values = new InputValue[length];
        for (var i = 0; i < length; i++)
        {
            var field = Ipc21.Fields[i];
            values[i] = field.Type switch
            {
                FieldType.Integer => 7,
                FieldType.Enum => "duplex",
                _ => $"v{i + 1}",
            };
        }
        if (length > 0)
            values[0] = pipe;
        if (length > 20)
            values[20] = field21;
        return values;
    }

    // ------------------------------------------------------------------ random content for round-trip properties

    private static readonly string[] Words = ["", "a", "msagent_*", @"C:\Windows\System32\*.exe", "?x?", "é中😀", "\"quoted\"", "tab\there", "^a+$", "/usr/bin/*", "line\nbreak"];

    public static ChannelFile RandomChannelFile(Random random)
    {
        var instances = new List<TemplateInstance>();
        var n = random.Next(0, 8);
        for (var i = 0; i < n; i++)
        {
            var criteria = new List<Criterion>();
            var fields = random.Next(0, 12);
            for (var f = 0; f < fields; f++)
                criteria.Add(RandomCriterion(random));
            instances.Add(new TemplateInstance($"inst-{i}-{Word(random)}", Word(random) + "act", (Severity)random.Next(1, 6), criteria));
        }
        var os = Enumerable.Range(0, random.Next(0, 3)).Select(_ => (AgentOs)random.Next(1, 4)).ToList();
        VersionRange? range = random.Next(3) switch
        {
            0 => null,
            1 => VersionRange.Parse($">= {random.Next(0, 9)}.{random.Next(0, 20)}"),
            _ => VersionRange.Parse($"> {random.Next(0, 9)}, <= {random.Next(0, 9)}.{random.Next(0, 99)}.{random.Next(0, 99999)}"),
        };
        return new ChannelFile($"C-{random.Next():x}", Word(random) + "type", random.NextInt64(0, long.MaxValue), instances)
        {
            Description = Word(random),
            Target = new ChannelTarget(os, range),
            Retire = random.Next(4) == 0, // the round trips carry the marker (the validator, not the format, ties it to emptiness)
        };
    }

    private static string Word(Random random) => Words[random.Next(Words.Length)] + (random.Next(2) == 0 ? "" : random.Next(1000).ToString(System.Globalization.CultureInfo.InvariantCulture));

    private static long Long(Random random) => random.Next(4) switch
    {
        0 => long.MinValue,
        1 => long.MaxValue,
        _ => random.NextInt64(-1_000_000, 1_000_000),
    };

    public static Criterion RandomCriterion(Random random) => random.Next(9) switch
    {
        0 => Criterion.Wildcard,
        1 => Criterion.Exact(Word(random), random.Next(2) == 0),
        2 => Criterion.Exact(Long(random)),
        3 => Criterion.Glob(Word(random), random.Next(2) == 0),
        4 => Criterion.Regex(Word(random), random.Next(2) == 0),
        5 => Criterion.Range(Long(random), Long(random)),
        6 => Criterion.Set(Enumerable.Range(0, random.Next(0, 5)).Select(_ => Word(random)).ToList(), random.Next(2) == 0),
        _ => Criterion.Set(Enumerable.Range(0, random.Next(0, 5)).Select(_ => Long(random)).ToList()),
    };
}
