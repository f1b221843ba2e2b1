using Ringfence.Trust;
using Ringfence.Trust.Metadata;

namespace Ringfence.Fuzz.Targets;

/// <summary>TUF metadata parsing (<c>MetadataCodec</c>, with the canonical JSON reader behind it) and signature counting.</summary>
public static class TrustTargets
{
    /// <summary>
    /// <c>MetadataCodec.Parse{Root,Targets,Snapshot,Timestamp}</c> on mutations of a real signed repository
    /// (bench/fuzz/corpus/tuf, one file per role): documented to throw only <see cref="TrustException"/>s
    /// (MalformedMetadata). What parses is then checked against the seed root's keys and threshold, which must refuse
    /// with a <see cref="TrustException"/> or accept; nothing else.
    /// </summary>
    public static FuzzTarget Metadata()
    {
        var seeds = Corpus.Folder("bench/fuzz/corpus/tuf").Select(f => new FuzzSeed(f.Name, f.Bytes)).ToList();
        var root = MetadataCodec.ParseRoot(seeds.Single(s => s.Kind == Roles.Root).Bytes, "root.json").Signed;
        return new FuzzTarget("tuf-metadata", seeds, (kind, input) =>
        {
            switch (kind)
            {
                case Roles.Root:
                    var parsedRoot = MetadataCodec.ParseRoot(input, "root.json");
                    MetadataCodec.VerifyThreshold(parsedRoot, parsedRoot.Signed, Roles.Root); // a new root signs itself
                    break;
                case Roles.Targets:
                    MetadataCodec.VerifyThreshold(MetadataCodec.ParseTargets(input, "targets.json"), root, Roles.Targets);
                    break;
                case Roles.Snapshot:
                    MetadataCodec.VerifyThreshold(MetadataCodec.ParseSnapshot(input, "snapshot.json"), root, Roles.Snapshot);
                    break;
                default:
                    MetadataCodec.VerifyThreshold(MetadataCodec.ParseTimestamp(input, "timestamp.json"), root, Roles.Timestamp);
                    break;
            }
        }, ex => ex is TrustException);
    }
}
