using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Ringfence.Content;

namespace Ringfence.Fuzz.Targets;

/// <summary>The binary channel-file parser and the content JSON readers (Ringfence.Content).</summary>
public static class ContentTargets
{
    private static readonly string[] ChannelExamples = ["examples/good-channel.json", "examples/channel-291.json", "examples/channel-291-wildcard.json"];

    private static string Text(byte[] bytes) => Encoding.UTF8.GetString(bytes);

    /// <summary>
    /// <c>ChannelFileBinary.Read</c>: documented to throw only <see cref="ContentFormatException"/>. Three mutated inputs in
    /// four are re-sealed (payload length and SHA-256 fixed up) so the parser gets past the checksum into the sections.
    /// A file it accepts must also survive the path of <c>content inspect --json</c> then <c>content build</c>: JSON and back
    /// to the very same bytes.
    /// </summary>
    public static FuzzTarget ChannelBinary()
    {
        var seeds = new List<FuzzSeed>();
        foreach (var path in ChannelExamples)
            seeds.Add(new("rfc", ChannelFileBinary.Write(ContentJson.ReadChannelFile(Text(Corpus.Read(path))).GetValueOrThrow())));
        seeds.Add(new("rfc", ChannelFileBinary.Write(new ChannelFile("C-00000291", "ipc", 3, []) { Retire = true })));
        return new FuzzTarget("channel-binary", seeds, (_, input) => RunChannelBinary(input), ex => ex is ContentFormatException)
        {
            FixUp = Reseal,
        };
    }

    /// <summary>One input of <see cref="ChannelBinary"/> (also what the AFL harness runs).</summary>
    public static void RunChannelBinary(byte[] input)
    {
        var file = ChannelFileBinary.Read(input);
        var json = ContentJson.WriteChannelFile(file);
        var again = ContentJson.ReadChannelFile(json).GetValueOrThrow();
        if (!ChannelFileBinary.Write(again).AsSpan().SequenceEqual(input))
            throw new InvalidOperationException("an accepted .rfc does not round-trip through its JSON form to the same bytes");
    }

    /// <summary>One input of <see cref="ContentJsonReaders"/> for one reader (also what the AFL harness runs).</summary>
    public static void RunContentJson(string kind, byte[] input)
    {
        var text = Text(input);
        _ = kind switch
        {
            "channel" => ContentJson.ReadChannelFile(text).Errors.Count,
            "types" => ContentJson.ReadTemplateTypes(text).Errors.Count,
            "fleet" => ContentJson.ReadFleet(text).Errors.Count,
            _ => ContentJson.ReadCorpus(text).Errors.Count,
        };
    }

    private static byte[] Reseal(byte[] input, Random random)
    {
        if (random.Next(4) == 0 || input.Length < ChannelFileBinary.HeaderSize + ChannelFileBinary.HashSize)
            return input;
        var payload = input.Length - ChannelFileBinary.HeaderSize - ChannelFileBinary.HashSize;
        BinaryPrimitives.WriteUInt32LittleEndian(input.AsSpan(8), (uint)payload);
        SHA256.HashData(input.AsSpan(ChannelFileBinary.HeaderSize, payload), input.AsSpan(ChannelFileBinary.HeaderSize + payload));
        return input;
    }

    /// <summary>
    /// <c>ContentJson.Read*</c> (channel files, template types, fleet manifests, corpora): malformed JSON is a
    /// <see cref="ContentFormatException"/>, anything else a list of schema errors; never another exception.
    /// </summary>
    public static FuzzTarget ContentJsonReaders()
    {
        var seeds = new List<FuzzSeed>();
        foreach (var path in ChannelExamples)
            seeds.Add(new("channel", Corpus.Read(path)));
        seeds.Add(new("channel", """{ "id": "C-00000291", "templateType": "ipc", "version": 3, "retire": true, "instances": [] }"""u8.ToArray()));
        seeds.Add(new("types", Corpus.Read("examples/template-types.json")));
        seeds.Add(new("fleet", Corpus.Read("examples/fleet.json")));
        seeds.Add(new("corpus", Corpus.Read("examples/corpus.json")));
        return new FuzzTarget("content-json", seeds, RunContentJson, ex => ex is ContentFormatException);
    }
}
