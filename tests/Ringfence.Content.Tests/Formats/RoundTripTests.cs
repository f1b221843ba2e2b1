using FsCheck;
using FsCheck.Fluent;
using Ringfence.Content;

namespace Ringfence.Content.Tests.Formats;

public class RoundTripTests
{
    private static Arbitrary<ChannelFile> Files => Arb.From(Gen.Choose(0, int.MaxValue).Select(seed => TestContent.RandomChannelFile(new Random(seed))));

    [Fact]
    public void Binary_WriteThenRead_IsLossless() =>
        Prop.ForAll(Files, file => ChannelFileBinary.Read(ChannelFileBinary.Write(file)) == file).QuickCheckThrowOnFailure();

    [Fact]
    public void Json_WriteThenRead_IsLossless() =>
        Prop.ForAll(Files, file => ContentJson.ReadChannelFile(ContentJson.WriteChannelFile(file)).GetValueOrThrow() == file).QuickCheckThrowOnFailure();

    [Fact]
    public void BinaryToJsonToBinary_SameBytes() =>
        Prop.ForAll(Files, file =>
        {
            var bytes = ChannelFileBinary.Write(file);
            var viaJson = ContentJson.ReadChannelFile(ContentJson.WriteChannelFile(ChannelFileBinary.Read(bytes))).GetValueOrThrow();
            return ChannelFileBinary.Write(viaJson).AsSpan().SequenceEqual(bytes);
        }).QuickCheckThrowOnFailure();

    [Fact]
    public void Json_CanonicalForm_IsStable() =>
        Prop.ForAll(Files, file =>
        {
            var once = ContentJson.WriteChannelFile(file);
            return ContentJson.WriteChannelFile(ContentJson.ReadChannelFile(once).GetValueOrThrow()) == once;
        }).QuickCheckThrowOnFailure();

    [Fact]
    public void Write_SameFile_SameBytes()
    {
        var file = TestContent.RandomChannelFile(new Random(7));

        ChannelFileBinary.Write(file).ShouldBe(ChannelFileBinary.Write(file with { }));
    }

    [Fact]
    public void Fleet_WriteThenRead_IsLossless()
    {
        var back = ContentJson.ReadFleet(ContentJson.WriteFleet(TestContent.Fleet)).GetValueOrThrow();

        back.ShouldBe(TestContent.Fleet);
    }

    [Fact]
    public void TemplateTypes_WriteThenRead_IsLossless()
    {
        var back = ContentJson.ReadTemplateTypes(ContentJson.WriteTemplateTypes([TestContent.Ipc21])).GetValueOrThrow();

        back.ShouldHaveSingleItem().ShouldBe(TestContent.Ipc21);
    }
}
