using Ringfence.Content;
using Ringfence.Fuzz.Targets;
using SharpFuzz;

// ringfence-fuzz-afl TARGET              run under afl-fuzz, one input per execution (Ringfence.Content.dll instrumented)
// ringfence-fuzz-afl TARGET --seeds DIR  write the target's seeds as AFL's input directory (with an uninstrumented copy)
// Targets: channel-binary, content-json-channel. Instrumented code must not run before Fuzzer.OutOfProcess.Run, so the
// seeds are not built here when fuzzing.
if (args.Length == 0 || args[0] is not ("channel-binary" or "content-json-channel"))
{
    Console.Error.WriteLine("usage: ringfence-fuzz-afl channel-binary|content-json-channel [--seeds DIR]");
    return 2;
}
var binary = args[0] == "channel-binary";
if (args.Length == 3 && args[1] == "--seeds")
{
    var target = binary ? ContentTargets.ChannelBinary() : ContentTargets.ContentJsonReaders();
    Directory.CreateDirectory(args[2]);
    var n = 0;
    foreach (var seed in target.Seeds.Where(s => binary || s.Kind == "channel"))
        File.WriteAllBytes(Path.Combine(args[2], $"seed{n++}"), seed.Bytes);
    return 0;
}
Fuzzer.OutOfProcess.Run(stream =>
{
    using var buffer = new MemoryStream();
    stream.CopyTo(buffer);
    try
    {
        if (binary)
            ContentTargets.RunChannelBinary(buffer.ToArray());
        else
            ContentTargets.RunContentJson("channel", buffer.ToArray());
    }
    catch (ContentFormatException)
    {
        // documented refusal: not a crash
    }
});
return 0;
