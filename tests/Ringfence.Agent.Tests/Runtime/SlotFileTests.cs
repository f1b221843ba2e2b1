using System.Text;
using Ringfence.Agent.Runtime;

namespace Ringfence.Agent.Tests.Runtime;

public sealed class SlotFileTests
{
    private static byte[] Bytes(string s) => Encoding.UTF8.GetBytes(s);

    [Fact]
    public void Read_NothingWritten_ReturnsNull()
    {
        using var dir = new TempDirectory();

        new SlotFile(Path.Combine(dir.Path, "state.json"), durable: false).Read().ShouldBeNull();
    }

    [Fact]
    public void Write_Repeatedly_AlternatesSlotsAndReadReturnsNewest()
    {
        using var dir = new TempDirectory();
        var path = Path.Combine(dir.Path, "state.json");
        var slots = new SlotFile(path, durable: false);

        for (var i = 1; i <= 5; i++)
        {
            slots.Write(Bytes($"{{\"v\":{i}}}"));
            var read = new SlotFile(path, durable: false).Read()!;
            read.Body.ShouldBe(Bytes($"{{\"v\":{i}}}"));
            read.Sequence.ShouldBe(i);
            read.Sealed.ShouldBeTrue();
        }

        slots.AlternatePath.ShouldBe(Path.Combine(dir.Path, "state.alt.json"));
        File.Exists(slots.Path).ShouldBeTrue();
        File.Exists(slots.AlternatePath).ShouldBeTrue();
        File.Exists(path + ".tmp").ShouldBeFalse();
    }

    [Fact]
    public void Write_ShorterBodyInPlace_LeavesNoTailOfTheLongerOne()
    {
        using var dir = new TempDirectory();
        var path = Path.Combine(dir.Path, "state.json");
        var slots = new SlotFile(path, durable: true);
        slots.Write(Bytes(new string('x', 5000)));
        slots.Write(Bytes("b"));
        slots.Write(Bytes("short"));

        var read = new SlotFile(path, durable: false).Read()!;

        read.Body.ShouldBe(Bytes("short"));
        read.Path.ShouldBe(path);
        new FileInfo(path).Length.ShouldBeLessThan(200);
    }

    [Fact]
    public void Read_NewestSlotTornMidWrite_ReturnsThePreviousVersion()
    {
        using var dir = new TempDirectory();
        var path = Path.Combine(dir.Path, "state.json");
        var slots = new SlotFile(path, durable: false);
        slots.Write(Bytes("one"));
        slots.Write(Bytes("two"));
        slots.Write(Bytes("three-is-longer"));
        // A crash while the third write was in place in the first slot: only part of it reached the file.
        var torn = File.ReadAllBytes(path);
        File.WriteAllBytes(path, torn[..(torn.Length - 10)]);

        var read = new SlotFile(path, durable: false).Read()!;

        read.Body.ShouldBe(Bytes("two"));
        read.Path.ShouldBe(slots.AlternatePath);
    }

    [Fact]
    public void Read_NewestSlotBodyAltered_ChecksumRejectsItAndReturnsPrevious()
    {
        using var dir = new TempDirectory();
        var path = Path.Combine(dir.Path, "state.json");
        var slots = new SlotFile(path, durable: false);
        slots.Write(Bytes("first"));
        slots.Write(Bytes("second"));
        var bytes = File.ReadAllBytes(slots.AlternatePath);
        bytes[0] ^= 0x20;
        File.WriteAllBytes(slots.AlternatePath, bytes);

        new SlotFile(path, durable: false).Read()!.Body.ShouldBe(Bytes("first"));
    }

    [Fact]
    public void Write_AfterReadingOlderSlot_OverwritesTheOtherOneAndKeepsWhatWasRead()
    {
        using var dir = new TempDirectory();
        var path = Path.Combine(dir.Path, "state.json");
        var writer = new SlotFile(path, durable: false);
        writer.Write(Bytes("a1"));
        writer.Write(Bytes("b2"));

        var reopened = new SlotFile(path, durable: false);
        reopened.Read()!.Body.ShouldBe(Bytes("b2"));
        reopened.Write(Bytes("a3"));

        // The slot read (b2) was not touched; the write went to the other one with the next sequence.
        var read = new SlotFile(path, durable: false).Read()!;
        read.Body.ShouldBe(Bytes("a3"));
        read.Sequence.ShouldBe(3);
        File.ReadAllText(writer.AlternatePath).ShouldStartWith("b2");
    }

    [Fact]
    public void Write_WithoutRead_ContinuesAfterTheNewestSealedSlot()
    {
        using var dir = new TempDirectory();
        var path = Path.Combine(dir.Path, "state.json");
        var first = new SlotFile(path, durable: false);
        first.Write(Bytes("1"));
        first.Write(Bytes("2"));

        new SlotFile(path, durable: false).Write(Bytes("3"));

        new SlotFile(path, durable: false).Read()!.Body.ShouldBe(Bytes("3"));
    }

    [Fact]
    public void Read_PlainFileFromAnOlderWriter_IsReturnedUnsealedThenSupersededByTheNextWrite()
    {
        using var dir = new TempDirectory();
        var path = Path.Combine(dir.Path, "state.json");
        File.WriteAllText(path, "{\"legacy\":true}");
        var slots = new SlotFile(path, durable: false);

        var legacy = slots.Read()!;
        legacy.Sealed.ShouldBeFalse();
        legacy.Body.ShouldBe(Bytes("{\"legacy\":true}"));
        slots.Write(Bytes("{\"legacy\":false}"));

        File.ReadAllText(path).ShouldBe("{\"legacy\":true}");
        new SlotFile(path, durable: false).Read()!.Body.ShouldBe(Bytes("{\"legacy\":false}"));
    }

    [Fact]
    public void Read_SlotOverLimit_ThrowsNamingFileAndSize()
    {
        using var dir = new TempDirectory();
        var path = Path.Combine(dir.Path, "state.json");
        new SlotFile(path, durable: false).Write(new byte[4096]);

        var ex = Should.Throw<SlotFileTooLargeException>(() => new SlotFile(path, durable: false).Read(maxBytes: 1024));

        ex.Message.ShouldContain(path);
        ex.Message.ShouldContain("over the 1024-byte limit");
    }

    [Fact]
    public void Delete_BothSlotsAndMissingDirectory_LeavesNothingAndDoesNotThrow()
    {
        using var dir = new TempDirectory();
        var path = Path.Combine(dir.Path, "state.json");
        var slots = new SlotFile(path, durable: false);
        slots.Write(Bytes("x"));
        slots.Write(Bytes("y"));

        slots.Delete();
        new SlotFile(Path.Combine(dir.Path, "missing", "state.json"), durable: false).Delete();

        File.Exists(slots.Path).ShouldBeFalse();
        File.Exists(slots.AlternatePath).ShouldBeFalse();
        new SlotFile(path, durable: false).Read().ShouldBeNull();
    }
}
