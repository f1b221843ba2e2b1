using Ringfence.Agent.Runtime;
using Ringfence.Content;

namespace Ringfence.Agent.Tests.Runtime;

public sealed class CompiledChannelCacheTests
{
    // The same type id as another build family defines it: one more field.
    private static readonly TemplateType OtherBuildsType = new("proc", "Process start", [TemplateField.Path("image"), TemplateField.String("command_line"), TemplateField.Integer("pid"), TemplateField.String("user")]);

    [Fact]
    public void GetOrCompile_SameBytesAndType_CompilesOnceAndSharesTheResult()
    {
        var cache = new CompiledChannelCache();
        var (_, bytes) = TestContent.Channel(17);
        var parses = 0;
        ChannelFile Parse() { parses++; return ChannelFileBinary.Read(bytes); }

        var first = cache.GetOrCompile(bytes, TestContent.Type, Parse);
        var second = cache.GetOrCompile(bytes.ToArray(), TestContent.Type, Parse);

        second.ShouldBeSameAs(first);
        parses.ShouldBe(1);
        first.File.Version.ShouldBe(17);
    }

    [Fact]
    public void GetOrCompile_OtherBytesOrOtherTypeDefinition_CompilesSeparately()
    {
        var cache = new CompiledChannelCache();
        var (_, v17) = TestContent.Channel(17);
        var (_, v18) = TestContent.Channel(18);

        var a = cache.GetOrCompile(v17, TestContent.Type, () => ChannelFileBinary.Read(v17));
        var b = cache.GetOrCompile(v18, TestContent.Type, () => ChannelFileBinary.Read(v18));
        var wider = new ChannelFile("C-test", "proc", 17, [new TemplateInstance("rule-17", "detect", Severity.High, [Criterion.Glob(@"C:\temp\*"), Criterion.Wildcard, Criterion.Wildcard, Criterion.Wildcard])]);
        var c = cache.GetOrCompile(v17, OtherBuildsType, () => wider);

        b.ShouldNotBeSameAs(a);
        b.File.Version.ShouldBe(18);
        c.ShouldNotBeSameAs(a);
        c.Type.ShouldBeSameAs(OtherBuildsType);
        cache.Count.ShouldBe(3);
    }

    [Fact]
    public void GetOrCompile_Full_StartsOverAndStaysWithinCapacity()
    {
        var cache = new CompiledChannelCache(capacity: 2);
        for (var v = 1; v <= 5; v++)
        {
            var (_, bytes) = TestContent.Channel(v);
            cache.GetOrCompile(bytes, TestContent.Type, () => ChannelFileBinary.Read(bytes)).File.Version.ShouldBe(v);
            cache.Count.ShouldBeLessThanOrEqualTo(2);
        }
    }
}
