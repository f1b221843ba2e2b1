using System.Buffers;
using System.Globalization;
using System.Text.Json;

namespace Ringfence.Trust.Json;

/// <summary>
/// OLPC canonical JSON straight from raw UTF-8, without building a document: one pass with <see cref="Utf8JsonReader"/>
/// records the tokens in a pooled array, a second pass writes them with each object's members sorted. Produces exactly the
/// bytes of <see cref="CanonicalJson.Encode(JsonElement)"/> (the reference, kept for tests) and fails the same way.
/// The input must already have been parsed as valid JSON (the metadata codec parses it first).
/// </summary>
internal static class CanonicalJsonReader
{
    private enum Kind : byte
    {
        StartObject,
        StartArray,
        End,
        PropertyName,
        String,
        Number,
        True,
        False,
        Null,
    }

    /// <summary>A token: where its raw bytes are in the input, and for containers the index of the token after their end.</summary>
    private struct Token
    {
        public Kind Kind;
        public bool Escaped;
        public int Start;
        public int Length;
        public int Next;
    }

    /// <summary>
    /// True only when <paramref name="utf8Json"/> is already its own canonical form, so a signature can be checked over these
    /// very bytes without re-encoding: no whitespace, no escapes, plain ASCII member names in strictly increasing order (so
    /// no duplicates), integers in shortest form. Anything else answers false and takes the full encoder; false is always safe.
    /// </summary>
    public static bool IsCanonical(ReadOnlySpan<byte> utf8Json)
    {
        var reader = new Utf8JsonReader(utf8Json, new JsonReaderOptions { MaxDepth = 64 });
        // Per open object: where its previous member name is (start, length); -1 before the first.
        Span<(int Start, int Length)> previousName = stackalloc (int, int)[65];
        var depth = 0;
        var end = 0;
        try
        {
            while (reader.Read())
            {
                var start = (int)reader.TokenStartIndex;
                // Between two tokens canonical JSON has nothing, or exactly one ',' or ':'.
                var gap = start - end;
                if (gap > 1 || (gap == 1 && utf8Json[end] is not ((byte)',' or (byte)':')) || (end == 0 && start != 0))
                    return false;
                switch (reader.TokenType)
                {
                    case JsonTokenType.StartObject:
                        previousName[++depth] = (-1, 0);
                        end = start + 1;
                        break;
                    case JsonTokenType.StartArray:
                        previousName[++depth] = (-2, 0);
                        end = start + 1;
                        break;
                    case JsonTokenType.EndObject:
                    case JsonTokenType.EndArray:
                        depth--;
                        end = start + 1;
                        break;
                    case JsonTokenType.PropertyName:
                    {
                        var name = reader.ValueSpan;
                        if (reader.ValueIsEscaped || name.ContainsAnyExceptInRange((byte)0x20, (byte)0x7e))
                            return false;
                        var (previousStart, previousLength) = previousName[depth];
                        if (previousStart >= 0 && utf8Json.Slice(previousStart, previousLength).SequenceCompareTo(name) >= 0)
                            return false;
                        previousName[depth] = (start + 1, name.Length);
                        end = start + name.Length + 2;
                        break;
                    }
                    case JsonTokenType.String:
                        // Canonical strings escape only '"' and '\'; any escape here takes the slow path.
                        if (reader.ValueIsEscaped)
                            return false;
                        end = start + reader.ValueSpan.Length + 2;
                        break;
                    case JsonTokenType.Number:
                    {
                        var digits = reader.ValueSpan;
                        if (!System.Buffers.Text.Utf8Parser.TryParse(digits, out long _, out var consumed) || consumed != digits.Length
                            || digits.IndexOfAny((byte)'e', (byte)'E') >= 0 || digits.IndexOfAny((byte)'.', (byte)'+') >= 0
                            || (digits.Length > 1 && digits[0] == '0') || (digits.Length >= 2 && digits[0] == '-' && digits[1] == '0'))
                            return false;
                        end = start + digits.Length;
                        break;
                    }
                    case JsonTokenType.True:
                    case JsonTokenType.Null:
                        end = start + 4;
                        break;
                    case JsonTokenType.False:
                        end = start + 5;
                        break;
                    default:
                        return false;
                }
            }
        }
        catch (JsonException)
        {
            return false;
        }
        return end == utf8Json.Length && depth == 0;
    }

    public static byte[] Encode(ReadOnlyMemory<byte> utf8Json)
    {
        var tokens = ArrayPool<Token>.Shared.Rent(Math.Max(16, utf8Json.Length / 8));
        var order = ArrayPool<int>.Shared.Rent(64);
        var output = ArrayPool<byte>.Shared.Rent(Math.Max(256, utf8Json.Length));
        try
        {
            Tokenise(utf8Json.Span, ref tokens);
            var state = new Writer(utf8Json, tokens, order, output);
            try
            {
                state.Write(0);
                return state.Output.AsSpan(0, state.Written).ToArray();
            }
            finally
            {
                order = state.Order;
                output = state.Output;
            }
        }
        finally
        {
            ArrayPool<Token>.Shared.Return(tokens);
            ArrayPool<int>.Shared.Return(order);
            ArrayPool<byte>.Shared.Return(output);
        }
    }

    private static void Tokenise(ReadOnlySpan<byte> utf8Json, ref Token[] tokens)
    {
        var reader = new Utf8JsonReader(utf8Json, new JsonReaderOptions { MaxDepth = 64 });
        Span<int> open = stackalloc int[64];
        var depth = 0;
        var count = 0;
        while (reader.Read())
        {
            if (count == tokens.Length)
            {
                var larger = ArrayPool<Token>.Shared.Rent(tokens.Length * 2);
                tokens.AsSpan(0, count).CopyTo(larger);
                ArrayPool<Token>.Shared.Return(tokens);
                tokens = larger;
            }
            ref var token = ref tokens[count];
            token = default;
            switch (reader.TokenType)
            {
                case JsonTokenType.StartObject:
                case JsonTokenType.StartArray:
                    token.Kind = reader.TokenType == JsonTokenType.StartObject ? Kind.StartObject : Kind.StartArray;
                    open[depth++] = count;
                    break;
                case JsonTokenType.EndObject:
                case JsonTokenType.EndArray:
                    token.Kind = Kind.End;
                    tokens[open[--depth]].Next = count + 1;
                    break;
                case JsonTokenType.PropertyName:
                    token.Kind = Kind.PropertyName;
                    break;
                case JsonTokenType.String:
                    token.Kind = Kind.String;
                    break;
                case JsonTokenType.Number:
                    token.Kind = Kind.Number;
                    break;
                case JsonTokenType.True:
                    token.Kind = Kind.True;
                    break;
                case JsonTokenType.False:
                    token.Kind = Kind.False;
                    break;
                case JsonTokenType.Null:
                    token.Kind = Kind.Null;
                    break;
                default:
                    throw new FormatException($"unexpected JSON token {reader.TokenType}");
            }
            if (token.Kind is Kind.PropertyName or Kind.String or Kind.Number)
            {
                // The reader gives strings without their quotes; the span is a slice of the contiguous input.
                token.Start = (int)reader.TokenStartIndex + (token.Kind == Kind.Number ? 0 : 1);
                token.Length = reader.ValueSpan.Length;
                token.Escaped = reader.ValueIsEscaped;
            }
            token.Next = count + 1;
            count++;
        }
    }

    private struct Writer(ReadOnlyMemory<byte> input, Token[] tokens, int[] order, byte[] output)
    {
        private readonly ReadOnlyMemory<byte> _input = input;
        private readonly Token[] _tokens = tokens;
        private readonly Comparison<int> _byBytes = new ByteOrder(tokens, input).Compare;
        private int _orderUsed;

        public int[] Order = order;
        public byte[] Output = output;
        public int Written;

        /// <summary>Writes the value starting at token <paramref name="index"/>.</summary>
        public void Write(int index)
        {
            var token = _tokens[index];
            switch (token.Kind)
            {
                case Kind.StartObject:
                    WriteObject(index);
                    break;
                case Kind.StartArray:
                    WriteByte((byte)'[');
                    var end = token.Next - 1;
                    for (var item = index + 1; item < end; item = _tokens[item].Next)
                    {
                        if (item != index + 1)
                            WriteByte((byte)',');
                        Write(item);
                    }
                    WriteByte((byte)']');
                    break;
                case Kind.String:
                    // Without a backslash the raw UTF-8 is the value itself, and cannot contain '"' either: already canonical.
                    if (token.Escaped)
                        WriteString(Decode(token));
                    else
                        WriteQuoted(Raw(token));
                    break;
                case Kind.Number:
                    WriteNumber(Raw(token));
                    break;
                case Kind.True:
                    WriteBytes("true"u8);
                    break;
                case Kind.False:
                    WriteBytes("false"u8);
                    break;
                case Kind.Null:
                    WriteBytes("null"u8);
                    break;
                default:
                    throw new FormatException($"unexpected JSON token {token.Kind}");
            }
        }

        private void WriteObject(int index)
        {
            var end = _tokens[index].Next - 1;
            // Collect the member name tokens in a stack-disciplined slice of the shared order buffer.
            var first = _orderUsed;
            var plainNames = true;
            for (var name = index + 1; name < end; name = _tokens[name + 1].Next)
            {
                if (_orderUsed == Order.Length)
                {
                    var larger = ArrayPool<int>.Shared.Rent(Order.Length * 2);
                    Order.AsSpan(0, _orderUsed).CopyTo(larger);
                    ArrayPool<int>.Shared.Return(Order);
                    Order = larger;
                }
                Order[_orderUsed++] = name;
                // Plain ASCII names without escapes sort the same as bytes as they do as UTF-16 code units (what tuf-js sorts by).
                var raw = Raw(_tokens[name]);
                if (raw.ContainsAnyExceptInRange((byte)0x20, (byte)0x7e) || raw.IndexOf((byte)'\\') >= 0)
                    plainNames = false;
            }
            var count = _orderUsed - first;
            var members = Order.AsSpan(first, count);
            // Sorted with the same algorithm and comparisons as the reference (Span.Sort with a Comparison is List.Sort's), so
            // even the order among duplicate keys, and so which error is reported first, is the same.
            string[]? names = null;
            if (plainNames)
            {
                // Metadata is often written in order already: a strictly ascending order is the only sorted one, keep it.
                if (!IsStrictlySortedByBytes(members))
                    members.Sort(_byBytes);
            }
            else
            {
                var byPosition = new string[count];
                for (var i = 0; i < count; i++)
                    byPosition[i] = Decode(_tokens[members[i]]);
                var tokenAt = members.ToArray();
                var positions = new int[count];
                for (var i = 0; i < count; i++)
                    positions[i] = i;
                positions.AsSpan().Sort((a, b) => string.CompareOrdinal(byPosition[a], byPosition[b]));
                names = new string[count];
                for (var i = 0; i < count; i++)
                {
                    members[i] = tokenAt[positions[i]];
                    names[i] = byPosition[positions[i]];
                }
            }
            WriteByte((byte)'{');
            for (var i = 0; i < count; i++)
            {
                var name = Order[first + i];
                if (i > 0)
                {
                    // Duplicate keys would let two parsers see two different documents under one signature.
                    var previous = Order[first + i - 1];
                    var duplicate = names is null
                        ? Raw(_tokens[name]).SequenceEqual(Raw(_tokens[previous]))
                        : names[i] == names[i - 1];
                    if (duplicate)
                        throw new FormatException($"duplicate key \"{Decode(_tokens[name])}\"");
                    WriteByte((byte)',');
                }
                if (names is null)
                    WriteQuoted(Raw(_tokens[name]));
                else
                    WriteString(names[i]);
                WriteByte((byte)':');
                Write(name + 1);
            }
            WriteByte((byte)'}');
            _orderUsed = first;
        }

        private readonly bool IsStrictlySortedByBytes(ReadOnlySpan<int> members)
        {
            for (var i = 1; i < members.Length; i++)
            {
                if (Raw(_tokens[members[i - 1]]).SequenceCompareTo(Raw(_tokens[members[i]])) >= 0)
                    return false;
            }
            return true;
        }

        private readonly ReadOnlySpan<byte> Raw(Token token) => _input.Span.Slice(token.Start, token.Length);

        private readonly string Decode(Token token)
        {
            // Re-read the one string token to unescape it the way JsonElement.GetString does.
            var quoted = _input.Span.Slice(token.Start - 1, token.Length + 2);
            var reader = new Utf8JsonReader(quoted);
            reader.Read();
            return reader.GetString()!;
        }

        private void WriteNumber(ReadOnlySpan<byte> digits)
        {
            // The same test as JsonElement.TryGetInt64.
            if (!System.Buffers.Text.Utf8Parser.TryParse(digits, out long value, out var consumed) || consumed != digits.Length)
                throw new FormatException($"non-integer number {System.Text.Encoding.UTF8.GetString(digits)} is not allowed in canonical JSON");
            if (digits.IndexOfAny((byte)'e', (byte)'E') >= 0 || digits.IndexOf((byte)'.') >= 0 || (digits.Length > 1 && digits[0] == '0') || (digits.Length >= 2 && digits[0] == '-' && digits[1] == '0'))
                WriteBytes(System.Text.Encoding.ASCII.GetBytes(value.ToString(CultureInfo.InvariantCulture)));
            else
                WriteBytes(digits);
        }

        private void WriteString(string value)
        {
            WriteByte((byte)'"');
            var maxBytes = System.Text.Encoding.UTF8.GetMaxByteCount(value.Length) * 2;
            var span = GetSpan(maxBytes);
            var written = 0;
            if (value.AsSpan().IndexOfAny('"', '\\') < 0)
            {
                written = System.Text.Encoding.UTF8.GetBytes(value, span);
            }
            else
            {
                foreach (var rune in value.EnumerateRunes())
                {
                    if (rune.Value is '"' or '\\')
                        span[written++] = (byte)'\\';
                    written += rune.EncodeToUtf8(span[written..]);
                }
            }
            Written += written;
            WriteByte((byte)'"');
        }

        private void WriteQuoted(ReadOnlySpan<byte> raw)
        {
            var span = GetSpan(raw.Length + 2);
            span[0] = (byte)'"';
            raw.CopyTo(span[1..]);
            span[raw.Length + 1] = (byte)'"';
            Written += raw.Length + 2;
        }

        private void WriteBytes(ReadOnlySpan<byte> bytes)
        {
            bytes.CopyTo(GetSpan(bytes.Length));
            Written += bytes.Length;
        }

        private void WriteByte(byte value)
        {
            GetSpan(1)[0] = value;
            Written++;
        }

        private Span<byte> GetSpan(int size)
        {
            if (Output.Length - Written < size)
            {
                var larger = ArrayPool<byte>.Shared.Rent(Math.Max(Output.Length * 2, Written + size));
                Output.AsSpan(0, Written).CopyTo(larger);
                ArrayPool<byte>.Shared.Return(Output);
                Output = larger;
            }
            return Output.AsSpan(Written);
        }
    }

    private sealed class ByteOrder(Token[] tokens, ReadOnlyMemory<byte> input)
    {
        public int Compare(int a, int b) =>
            input.Span.Slice(tokens[a].Start, tokens[a].Length).SequenceCompareTo(input.Span.Slice(tokens[b].Start, tokens[b].Length));
    }
}
