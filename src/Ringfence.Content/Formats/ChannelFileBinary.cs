using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace Ringfence.Content;

/// <summary>
/// The compact binary form agents load (<c>.rfc</c>). Layout, little-endian:
/// <code>
/// 0   "RFCF"            magic
/// 4   u16 format version (1)
/// 6   u16 flags: 0x0001 = the file retires its channel (<see cref="ChannelFile.Retire"/>); other bits must be 0
/// 8   u32 payload length
/// 12  payload: sections, each u8 tag + u32 length + body (1 = header, 2 = instances, in that order)
/// end 32 bytes SHA-256 of the payload
/// </code>
/// Strings are u32 byte length + UTF-8. Every length is checked against <see cref="ContentLimits"/> and against the
/// bytes remaining before anything is allocated, so a corrupted file is refused with <see cref="ContentFormatException"/>.
/// Only the canonical encoding (exactly what <see cref="Write"/> produces for the content) is accepted, so the SHA-256 of
/// a file identifies its content.
/// </summary>
public static class ChannelFileBinary
{
    public static ReadOnlySpan<byte> Magic => "RFCF"u8;
    public const ushort FormatVersion = 1;
    public const int HeaderSize = 12;
    public const int HashSize = 32;
    private const byte HeaderSection = 1;
    private const byte InstancesSection = 2;
    /// <summary>Header flag: the file retires its channel.</summary>
    public const ushort FlagRetire = 0x0001;
    private const byte FlagIgnoreCase = 1;
    private const byte FlagInteger = 2;

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    public static byte[] Write(ChannelFile file)
    {
        var payload = new ArrayBufferWriterStream();
        WriteSection(payload, HeaderSection, w =>
        {
            WriteString(w, file.Id);
            WriteString(w, file.TemplateTypeId);
            w.WriteInt64(file.Version);
            WriteString(w, file.Description);
            w.WriteByte((byte)file.Target.Os.Count);
            foreach (var os in file.Target.Os)
                w.WriteByte((byte)os);
            WriteString(w, file.Target.Versions?.Text ?? "");
        });
        WriteSection(payload, InstancesSection, w =>
        {
            w.WriteUInt32((uint)file.Instances.Count);
            foreach (var instance in file.Instances)
            {
                WriteString(w, instance.Id);
                WriteString(w, instance.Action);
                w.WriteByte((byte)instance.Severity);
                w.WriteUInt16((ushort)instance.Criteria.Count);
                foreach (var c in instance.Criteria)
                    WriteCriterion(w, c);
            }
        });

        var body = payload.ToArray();
        var output = new byte[HeaderSize + body.Length + HashSize];
        Magic.CopyTo(output);
        BinaryPrimitives.WriteUInt16LittleEndian(output.AsSpan(4), FormatVersion);
        BinaryPrimitives.WriteUInt16LittleEndian(output.AsSpan(6), file.Retire ? FlagRetire : (ushort)0);
        BinaryPrimitives.WriteUInt32LittleEndian(output.AsSpan(8), (uint)body.Length);
        body.CopyTo(output, HeaderSize);
        SHA256.HashData(body, output.AsSpan(HeaderSize + body.Length));
        return output;
    }

    /// <summary>Reads a binary channel file, or throws <see cref="ContentFormatException"/> naming the offset.</summary>
    public static ChannelFile Read(ReadOnlySpan<byte> data, ContentLimits? limits = null)
    {
        limits ??= ContentLimits.Default;
        if (data.Length > limits.MaxFileBytes)
            throw new ContentFormatException($"file is {data.Length} bytes, over the {limits.MaxFileBytes}-byte limit", 0);
        if (data.Length < 4 || !data[..4].SequenceEqual(Magic))
            throw new ContentFormatException("wrong magic: not a Ringfence channel file (expected \"RFCF\")", 0);
        if (data.Length < HeaderSize)
            throw new ContentFormatException($"truncated header: {data.Length} bytes, need {HeaderSize}", data.Length);
        var version = BinaryPrimitives.ReadUInt16LittleEndian(data[4..]);
        if (version != FormatVersion)
            throw new ContentFormatException($"unsupported format version {version} (this reader knows {FormatVersion})", 4);
        var flags = BinaryPrimitives.ReadUInt16LittleEndian(data[6..]);
        if ((flags & ~FlagRetire) != 0)
            throw new ContentFormatException($"unknown flags 0x{flags:x4}", 6);
        var payloadLength = BinaryPrimitives.ReadUInt32LittleEndian(data[8..]);
        var expected = (long)HeaderSize + payloadLength + HashSize;
        if (expected > data.Length)
            throw new ContentFormatException($"truncated: payload length {payloadLength} needs {expected} bytes, file has {data.Length}", 8);
        if (expected < data.Length)
            throw new ContentFormatException($"{data.Length - expected} unexpected trailing bytes after the payload hash", expected);
        var payload = data.Slice(HeaderSize, (int)payloadLength);
        Span<byte> hash = stackalloc byte[HashSize];
        SHA256.HashData(payload, hash);
        if (!hash.SequenceEqual(data.Slice(HeaderSize + (int)payloadLength, HashSize)))
            throw new ContentFormatException("payload SHA-256 does not match: the file is corrupted", HeaderSize + payloadLength);

        var r = new Reader(payload, HeaderSize, limits);
        var headerBody = r.Section(HeaderSection, "header");
        var h = new Reader(headerBody, r.LastSectionBodyOffset, limits);
        var id = h.String("channel file id");
        var typeId = h.String("template type id");
        var fileVersion = h.Int64();
        var description = h.String("description");
        var osCount = h.Byte();
        var osList = new List<AgentOs>(osCount);
        for (var i = 0; i < osCount; i++)
            osList.Add(h.Enum<AgentOs>("target OS"));
        var rangeOffset = h.Position;
        var rangeText = h.String("target version range");
        VersionRange? range = null;
        if (rangeText.Length > 0 && !VersionRange.TryParse(rangeText, out range, out var rangeError))
            throw new ContentFormatException(rangeError, rangeOffset);
        h.End("header");

        var instancesBody = r.Section(InstancesSection, "instances");
        var s = new Reader(instancesBody, r.LastSectionBodyOffset, limits);
        var count = s.Count(limits.MaxInstances, 4 + 4 + 1 + 2, "instance count");
        var instances = new List<TemplateInstance>(count);
        for (var i = 0; i < count; i++)
        {
            var instanceId = s.String("instance id");
            var action = s.String("action");
            var severity = s.Enum<Severity>("severity");
            var criteriaCount = s.UInt16();
            if (criteriaCount > limits.MaxFields)
                s.Fail($"instance {instanceId}: {criteriaCount} criteria, over the {limits.MaxFields} limit", -2);
            var criteria = new List<Criterion>(Math.Min((int)criteriaCount, s.Remaining / 2));
            for (var c = 0; c < criteriaCount; c++)
                criteria.Add(ReadCriterion(ref s));
            instances.Add(new TemplateInstance(instanceId, action, severity, criteria));
        }
        s.End("instances");
        r.End("payload");

        var file = new ChannelFile(id, typeId, fileVersion, instances)
        {
            Description = description,
            Target = new ChannelTarget(osList, range),
            Retire = (flags & FlagRetire) != 0,
        };
        // One content, one encoding, one hash: a flag bit the kind ignores, or a version range spelled another way, would
        // load the same detections under a different SHA-256 and slip past the known-bad list (found by bench/fuzz).
        var canonical = Write(file);
        if (!canonical.AsSpan().SequenceEqual(data))
        {
            var at = data.CommonPrefixLength(canonical);
            throw new ContentFormatException($"not the canonical encoding of its content (first difference at offset {at}): the same content would have another hash", at);
        }
        return file;
    }

    private static Criterion ReadCriterion(ref Reader r)
    {
        var kindOffset = r.Position;
        var kind = r.Enum<CriterionKind>("criterion kind");
        var flags = r.Byte();
        if ((flags & ~(FlagIgnoreCase | FlagInteger)) != 0)
            r.Fail($"unknown criterion flags 0x{flags:x2}", -1);
        var ignoreCase = (flags & FlagIgnoreCase) != 0;
        var integer = (flags & FlagInteger) != 0;
        switch (kind)
        {
            case CriterionKind.Wildcard:
                return flags == 0 ? Criterion.Wildcard : throw new ContentFormatException("wildcard criterion with flags set", kindOffset);
            case CriterionKind.Exact:
                return integer ? Criterion.Exact(r.Int64()) : Criterion.Exact(r.String("exact value"), ignoreCase);
            case CriterionKind.Glob:
                return Criterion.Glob(r.String("glob pattern"), ignoreCase);
            case CriterionKind.Regex:
                return Criterion.Regex(r.String("regex pattern"), ignoreCase);
            case CriterionKind.Range:
                return Criterion.Range(r.Int64(), r.Int64());
            default: // Set
                if (integer)
                {
                    var n = r.Count(r.Limits.MaxSetValues, 8, "set size");
                    var values = new long[n];
                    for (var i = 0; i < n; i++)
                        values[i] = r.Int64();
                    return Criterion.Set(values);
                }
                else
                {
                    var n = r.Count(r.Limits.MaxSetValues, 4, "set size");
                    var values = new string[n];
                    for (var i = 0; i < n; i++)
                        values[i] = r.String("set value");
                    return Criterion.Set(values, ignoreCase);
                }
        }
    }

    private static void WriteCriterion(ArrayBufferWriterStream w, Criterion c)
    {
        w.WriteByte((byte)c.Kind);
        var flags = (byte)((c.IgnoreCase ? FlagIgnoreCase : 0) | (c.IsIntegerValued && c.Kind != CriterionKind.Range ? FlagInteger : 0));
        w.WriteByte(c.Kind == CriterionKind.Wildcard ? (byte)0 : flags);
        switch (c.Kind)
        {
            case CriterionKind.Exact when c.Integer is { } i:
                w.WriteInt64(i);
                break;
            case CriterionKind.Exact or CriterionKind.Glob or CriterionKind.Regex:
                WriteString(w, c.Text ?? "");
                break;
            case CriterionKind.Range:
                w.WriteInt64(c.Min);
                w.WriteInt64(c.Max);
                break;
            case CriterionKind.Set when c.IsIntegerSet:
                w.WriteUInt32((uint)c.Integers.Count);
                foreach (var v in c.Integers)
                    w.WriteInt64(v);
                break;
            case CriterionKind.Set:
                w.WriteUInt32((uint)c.Texts.Count);
                foreach (var v in c.Texts)
                    WriteString(w, v);
                break;
        }
    }

    private static void WriteSection(ArrayBufferWriterStream payload, byte tag, Action<ArrayBufferWriterStream> body)
    {
        var section = new ArrayBufferWriterStream();
        body(section);
        payload.WriteByte(tag);
        payload.WriteUInt32((uint)section.Length);
        payload.WriteBytes(section.ToArray());
    }

    private static void WriteString(ArrayBufferWriterStream w, string value)
    {
        var bytes = StrictUtf8.GetBytes(value);
        w.WriteUInt32((uint)bytes.Length);
        w.WriteBytes(bytes);
    }

    /// <summary>A bounds-checked cursor over a span; <see cref="Fail"/> reports absolute file offsets.</summary>
    private ref struct Reader(ReadOnlySpan<byte> data, long baseOffset, ContentLimits limits)
    {
        private readonly ReadOnlySpan<byte> _data = data;
        private int _pos;

        public readonly ContentLimits Limits => limits;
        public readonly long Position => baseOffset + _pos;
        public readonly int Remaining => _data.Length - _pos;
        public long LastSectionBodyOffset { get; private set; }

        public readonly void Fail(string message, int relative = 0) =>
            throw new ContentFormatException(message, baseOffset + _pos + relative);

        private readonly void Need(int n, string what)
        {
            if (n > Remaining)
                Fail($"truncated {what}: need {n} bytes, {Remaining} left");
        }

        public byte Byte()
        {
            Need(1, "byte");
            return _data[_pos++];
        }

        public ushort UInt16()
        {
            Need(2, "u16");
            var v = BinaryPrimitives.ReadUInt16LittleEndian(_data[_pos..]);
            _pos += 2;
            return v;
        }

        public uint UInt32(string what)
        {
            Need(4, what);
            var v = BinaryPrimitives.ReadUInt32LittleEndian(_data[_pos..]);
            _pos += 4;
            return v;
        }

        public long Int64()
        {
            Need(8, "i64");
            var v = BinaryPrimitives.ReadInt64LittleEndian(_data[_pos..]);
            _pos += 8;
            return v;
        }

        public T Enum<T>(string what)
            where T : struct, System.Enum
        {
            var b = Byte();
            var value = (T)(object)b;
            if (!System.Enum.IsDefined(value))
                Fail($"invalid {what} {b}", -1);
            return value;
        }

        /// <summary>A count bounded by a limit and by the bytes left (each element needs at least <paramref name="minElementBytes"/>).</summary>
        public int Count(int limit, int minElementBytes, string what)
        {
            var n = UInt32(what);
            if (n > (uint)limit)
                Fail($"{what} {n} is over the limit of {limit}", -4);
            if ((long)n * minElementBytes > Remaining)
                Fail($"{what} {n} cannot fit in the {Remaining} bytes left", -4);
            return (int)n;
        }

        public string String(string what)
        {
            var n = UInt32(what + " length");
            if (n > (uint)limits.MaxStringBytes)
                Fail($"{what} length {n} is over the {limits.MaxStringBytes}-byte limit", -4);
            Need((int)n, what);
            string s;
            try
            {
                s = StrictUtf8.GetString(_data.Slice(_pos, (int)n));
            }
            catch (DecoderFallbackException)
            {
                Fail($"{what} is not valid UTF-8");
                throw;
            }
            _pos += (int)n;
            return s;
        }

        public ReadOnlySpan<byte> Section(byte tag, string name)
        {
            Need(5, $"{name} section header");
            var actual = _data[_pos];
            if (actual != tag)
                Fail($"expected {name} section (tag {tag}), found tag {actual}");
            _pos++;
            var length = UInt32($"{name} section length");
            Need((int)Math.Min(length, int.MaxValue), $"{name} section");
            LastSectionBodyOffset = baseOffset + _pos;
            var body = _data.Slice(_pos, (int)length);
            _pos += (int)length;
            return body;
        }

        public readonly void End(string name)
        {
            if (Remaining != 0)
                Fail($"{Remaining} unexpected bytes at the end of the {name}");
        }
    }

    /// <summary>A tiny growable little-endian writer.</summary>
    private sealed class ArrayBufferWriterStream
    {
        private readonly MemoryStream _stream = new();

        public int Length => (int)_stream.Length;

        public void WriteByte(byte b) => _stream.WriteByte(b);

        public void WriteBytes(ReadOnlySpan<byte> bytes) => _stream.Write(bytes);

        public void WriteUInt16(ushort v)
        {
            Span<byte> b = stackalloc byte[2];
            BinaryPrimitives.WriteUInt16LittleEndian(b, v);
            _stream.Write(b);
        }

        public void WriteUInt32(uint v)
        {
            Span<byte> b = stackalloc byte[4];
            BinaryPrimitives.WriteUInt32LittleEndian(b, v);
            _stream.Write(b);
        }

        public void WriteInt64(long v)
        {
            Span<byte> b = stackalloc byte[8];
            BinaryPrimitives.WriteInt64LittleEndian(b, v);
            _stream.Write(b);
        }

        public byte[] ToArray() => _stream.ToArray();
    }
}
