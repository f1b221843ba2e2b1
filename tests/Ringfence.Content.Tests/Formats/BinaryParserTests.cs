using System.Buffers.Binary;
using System.Security.Cryptography;
using Ringfence.Content;

namespace Ringfence.Content.Tests.Formats;

public class BinaryParserTests
{
    private static byte[] Valid() => ChannelFileBinary.Write(TestContent.Channel291(Criterion.Regex("^[0-9a-f]{64}$")));

    private static void Rehash(byte[] bytes)
    {
        if (bytes.Length < ChannelFileBinary.HeaderSize + ChannelFileBinary.HashSize)
            return;
        var length = (int)Math.Min(BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(8)), (uint)(bytes.Length - ChannelFileBinary.HeaderSize - ChannelFileBinary.HashSize));
        SHA256.HashData(bytes.AsSpan(ChannelFileBinary.HeaderSize, length), bytes.AsSpan(ChannelFileBinary.HeaderSize + length, ChannelFileBinary.HashSize));
    }

    [Fact]
    public void Read_WrongMagic_FormatErrorAtOffset0()
    {
        var bytes = Valid();
        bytes[0] = (byte)'X';

        var ex = Should.Throw<ContentFormatException>(() => ChannelFileBinary.Read(bytes));

        ex.Offset.ShouldBe(0);
        ex.Message.ShouldContain("magic");
    }

    [Theory]
    [InlineData(0)]
    [InlineData(3)]
    [InlineData(11)]
    [InlineData(40)]
    public void Read_Truncated_FormatError(int keep)
    {
        var ex = Should.Throw<ContentFormatException>(() => ChannelFileBinary.Read(Valid().AsSpan(0, keep)));

        ex.Message.ShouldNotBeEmpty();
    }

    [Fact]
    public void Read_CorruptedPayload_HashMismatch()
    {
        var bytes = Valid();
        bytes[30] ^= 0xFF;

        Should.Throw<ContentFormatException>(() => ChannelFileBinary.Read(bytes)).Message.ShouldContain("SHA-256");
    }

    [Fact]
    public void Read_TrailingBytes_FormatError() =>
        Should.Throw<ContentFormatException>(() => ChannelFileBinary.Read([.. Valid(), 0])).Message.ShouldContain("trailing");

    [Fact]
    public void Read_OverSizeLimit_RefusedBeforeParsing()
    {
        var ex = Should.Throw<ContentFormatException>(() => ChannelFileBinary.Read(Valid(), ContentLimits.Default with { MaxFileBytes = 100 }));

        ex.Message.ShouldContain("limit");
    }

    [Fact]
    public void Read_HugeInstanceCountWithValidHash_RefusedWithoutAllocating()
    {
        var bytes = Valid();
        // Locate the instances section: header section tag at 12, its length at 13.
        var headerLength = (int)BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(13));
        var countOffset = 12 + 5 + headerLength + 5;
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(countOffset), 99_999);
        Rehash(bytes);

        var ex = Should.Throw<ContentFormatException>(() => ChannelFileBinary.Read(bytes));

        ex.Offset.ShouldBe(countOffset);
        ex.Message.ShouldContain("cannot fit");
    }

    [Fact]
    public async Task Read_MutatedFiles_ParseOrTypedFormatErrorOnly()
    {
        // Thousands of seeded mutations; half re-hashed so they get past the checksum into the section parser.
        var seeds = new[] { 1, 2, 3 };
        var outcomes = new int[2];
        var work = Task.Run(() =>
        {
            foreach (var seed in seeds)
            {
                var random = new Random(seed);
                var original = ChannelFileBinary.Write(TestContent.RandomChannelFile(new Random(seed * 31)) with { });
                for (var i = 0; i < 1500; i++)
                {
                    var bytes = Mutate(original, random);
                    if (random.Next(2) == 0)
                        Rehash(bytes);
                    try
                    {
                        ChannelFileBinary.Read(bytes);
                        outcomes[0]++;
                    }
                    catch (ContentFormatException ex)
                    {
                        ex.Message.ShouldNotContain("\n");
                        outcomes[1]++;
                    }
                }
            }
        });

        var finished = await Task.WhenAny(work, Task.Delay(TimeSpan.FromSeconds(60)));
        finished.ShouldBe(work, "the parser hung on a mutated file");
        await work; // rethrows any exception other than ContentFormatException
        (outcomes[0] + outcomes[1]).ShouldBe(4500);
        outcomes[1].ShouldBeGreaterThan(1000); // most mutations must actually be refused
    }

    private static byte[] Mutate(byte[] original, Random random)
    {
        var bytes = (byte[])original.Clone();
        switch (random.Next(5))
        {
            case 0: // flip bits
                for (var k = random.Next(1, 4); k > 0; k--)
                    bytes[random.Next(bytes.Length)] ^= (byte)(1 << random.Next(8));
                return bytes;
            case 1: // truncate
                return bytes[..random.Next(bytes.Length)];
            case 2: // overwrite a u32 with an extreme length
                var at = random.Next(bytes.Length - 4);
                BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(at), random.Next(3) switch { 0 => uint.MaxValue, 1 => 0x7FFFFFFF, _ => (uint)random.Next(0, 300) });
                return bytes;
            case 3: // insert random bytes
                var pos = random.Next(bytes.Length);
                var extra = new byte[random.Next(1, 16)];
                random.NextBytes(extra);
                return [.. bytes[..pos], .. extra, .. bytes[pos..]];
            default: // random bytes after a valid header
                random.NextBytes(bytes.AsSpan(12 + random.Next(bytes.Length - 12)));
                return bytes;
        }
    }

    [Fact]
    public void Read_RetireFlag_ReadsAsRetiring()
    {
        var bytes = ChannelFileBinary.Write(new ChannelFile("C-00000291", "ipc", 2, []) { Retire = true });

        BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(6)).ShouldBe(ChannelFileBinary.FlagRetire);
        ChannelFileBinary.Read(bytes).Retire.ShouldBeTrue();
        ChannelFileBinary.Read(ChannelFileBinary.Write(new ChannelFile("C-00000291", "ipc", 2, []))).Retire.ShouldBeFalse();
    }

    [Fact]
    public void Read_UnknownHeaderFlagBesideRetire_FormatErrorAtOffset6()
    {
        var bytes = ChannelFileBinary.Write(new ChannelFile("C-00000291", "ipc", 2, []) { Retire = true });
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(6), (ushort)(ChannelFileBinary.FlagRetire | 0x0002));

        var ex = Should.Throw<ContentFormatException>(() => ChannelFileBinary.Read(bytes));

        ex.Offset.ShouldBe(6);
        ex.Message.ShouldContain("unknown flags 0x0003");
    }

    [Theory]
    [InlineData(CriterionKind.Glob, 0x02)] // the integer flag on a glob
    [InlineData(CriterionKind.Regex, 0x02)] // the integer flag on a regex
    [InlineData(CriterionKind.Range, 0x01)] // ignore-case on an integer range
    public void Read_FlagTheKindIgnores_RefusedAsNotCanonical(CriterionKind kind, byte flag)
    {
        // Regression (bench/fuzz): these bytes loaded the same content as the canonical file under another SHA-256, which
        // would slip a re-encoded known-bad file past the hash-based known-bad list.
        Criterion criterion = kind switch { CriterionKind.Glob => Criterion.Glob("*.exe"), CriterionKind.Regex => Criterion.Regex("^a$"), _ => Criterion.Range(1, 9) };
        var bytes = ChannelFileBinary.Write(new ChannelFile("c", "t", 1, [new TemplateInstance("i", "a", Severity.Low, [criterion])]));
        var flags = bytes.Length - ChannelFileBinary.HashSize - 1;
        while (!(bytes[flags - 1] == (byte)kind && bytes[flags] == 0))
            flags--; // the criterion's flag byte follows its kind byte
        bytes[flags] = flag;
        Rehash(bytes);

        var ex = Should.Throw<ContentFormatException>(() => ChannelFileBinary.Read(bytes));

        ex.Message.ShouldContain("not the canonical encoding");
        ex.Offset.ShouldBe(flags);
    }

    [Fact]
    public void Read_RandomBytes_FormatError()
    {
        var random = new Random(42);
        for (var i = 0; i < 500; i++)
        {
            var bytes = new byte[random.Next(0, 512)];
            random.NextBytes(bytes);
            Should.Throw<ContentFormatException>(() => ChannelFileBinary.Read(bytes));
        }
    }
}
