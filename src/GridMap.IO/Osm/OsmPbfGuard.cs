using System.IO.Compression;
using System.Runtime.InteropServices;
using System.Text;

namespace GridMap.IO.Osm;

/// <summary>What a PBF held, as <see cref="OsmPbfGuard.Scan"/> counted it.</summary>
public sealed record PbfScan(int Blobs, long Elements, long BytesInflated);

/// <summary>
/// Walks a PBF file blob by blob before OsmSharp sees it, with a small protobuf reader of our own: OsmSharp inflates each
/// blob without a cap and decodes a whole block (every string of its table, every integer) into objects, so a 30 KB
/// file can make it allocate gigabytes. Each blob is inflated through a counter that stops at
/// <see cref="OsmLimits.MaxBlobBytes"/> whatever <c>raw_size</c> declares; each data block's string table, elements
/// and integers are counted without being decoded; the file's elements are summed. Any limit passed:
/// <see cref="OsmRefusedException"/>. OsmSharp then inflates the same bytes again, now known to be bounded.
/// </summary>
public static class OsmPbfGuard
{
    /// <summary>The format's bound on a BlobHeader (it should stay under 32 KiB).</summary>
    public const int MaxHeaderBytes = 64 * 1024;

    const int Chunk = 64 * 1024;

    /// <summary>Scans from the stream's position to its end and puts the position back.</summary>
    public static PbfScan Scan(Stream stream, OsmLimits limits)
    {
        var start = stream.Position;
        try
        {
            var blobs = 0;
            long elements = 0, inflated = 0;
            Span<byte> prefix = stackalloc byte[4];
            while (true)
            {
                var got = stream.ReadAtLeast(prefix, 4, throwOnEndOfStream: false);
                if (got == 0) break;
                if (got < 4) throw new InvalidDataException("the file ends inside a blob's length");
                var headerLength = (uint)((prefix[0] << 24) | (prefix[1] << 16) | (prefix[2] << 8) | prefix[3]);
                // Past the format's bound it is no PBF (text starts this way), rather than a large one.
                if (headerLength > MaxHeaderBytes)
                    throw new InvalidDataException($"blob {blobs + 1}: a blob header of {headerLength:N0} bytes (the PBF format allows at most {MaxHeaderBytes:N0}): not a PBF file");
                var header = ReadExactly(stream, (int)headerLength);
                string? type = null;
                long dataSize = -1;
                foreach (var f in new Fields(header))
                {
                    if (f.Number == 1 && f.IsBytes) type = Encoding.UTF8.GetString(f.Bytes.Span);
                    if (f.Number == 3 && !f.IsBytes) dataSize = f.Value;
                }
                blobs++;
                if (type is null || dataSize < 0) throw new InvalidDataException($"blob {blobs}: its header names no type or size");
                // A blob's stored bytes are bounded like its inflated ones (raw data is stored as it is).
                if (dataSize > limits.MaxBlobBytes)
                    throw OsmRefusedException.Limit("pbf_blob_bytes", limits.MaxBlobBytes,
                        $"blob {blobs}: {dataSize:N0} bytes stored; at most {limits.MaxBlobBytes:N0} bytes a blob", dataSize);
                var blob = ReadExactly(stream, (int)dataSize);
                var block = Unpack(blob, blobs, limits, ref inflated);
                if (type == "OSMData")
                {
                    elements += CountBlock(block, blobs, limits);
                    if (elements > limits.MaxElements)
                        throw OsmRefusedException.Limit("elements", limits.MaxElements,
                            $"the extract holds more than {limits.MaxElements:N0} nodes, ways and relations (the limit); cut a smaller extract", elements);
                }
            }
            return new PbfScan(blobs, elements, inflated);
        }
        finally
        {
            stream.Position = start;
        }
    }

    /// <summary>
    /// Inflates zlib data into at most <paramref name="cap"/> bytes: reading stops at the first chunk beyond it, so no more
    /// than cap + 64 KiB are ever produced. <paramref name="inflated"/> counts what was produced, also when refused.
    /// </summary>
    public static byte[] Inflate(ReadOnlyMemory<byte> zlib, int cap, string where, ref long inflated)
    {
        using var input = MemoryMarshal.TryGetArray(zlib, out var segment)
            ? new MemoryStream(segment.Array!, segment.Offset, segment.Count, writable: false)
            : new MemoryStream(zlib.ToArray(), writable: false);
        using var z = new ZLibStream(input, CompressionMode.Decompress);
        using var output = new MemoryStream();
        var buffer = new byte[Chunk];
        int n;
        while ((n = z.Read(buffer)) > 0)
        {
            inflated += n;
            if (output.Length + n > cap)
                throw OsmRefusedException.Limit("pbf_blob_bytes", cap,
                    $"{where}: inflates to more than {cap:N0} bytes (at most {cap:N0} bytes a blob, whatever its raw_size says)", output.Length + n);
            output.Write(buffer, 0, n);
        }
        return output.ToArray();
    }

    /// <summary>A Blob's block: raw (1) or zlib (3); the other compressions OsmSharp cannot read.</summary>
    static ReadOnlyMemory<byte> Unpack(byte[] blob, int index, OsmLimits limits, ref long inflated)
    {
        foreach (var f in new Fields(blob))
        {
            switch (f.Number)
            {
                case 1 when f.IsBytes: return f.Bytes;
                case 3 when f.IsBytes: return Inflate(f.Bytes, limits.MaxBlobBytes, $"blob {index}", ref inflated);
                case 4 or 5 or 6 or 7:
                    var name = f.Number switch { 4 => "lzma", 5 => "bzip2", 6 => "lz4", _ => "zstd" };
                    throw new OsmRefusedException("unsupported_compression",
                        $"blob {index} is compressed with {name}; GridMap reads PBF blobs stored raw or with zlib (osmium cat -f pbf rewrites it)", false,
                        new Dictionary<string, object?> { ["compression"] = name });
            }
        }
        return ReadOnlyMemory<byte>.Empty;
    }

    /// <summary>A PrimitiveBlock's elements, after checking its string table, elements and integers against the limits.</summary>
    static long CountBlock(ReadOnlyMemory<byte> block, int index, OsmLimits limits)
    {
        long strings = 0, elements = 0, integers = 0;
        foreach (var f in new Fields(block))
        {
            if (!f.IsBytes) continue;
            var bytes = f.Bytes;
            if (f.Number == 1)
                foreach (var s in new Fields(bytes))
                    if (s.Number == 1) strings++;
            if (f.Number != 2) continue;
            integers += VarintEnds(bytes.Span);
            foreach (var g in new Fields(bytes))
            {
                if (g.Number is 1 or 3 or 4 or 5) elements++; // a node, way, relation or changeset
                else if (g.Number == 2 && g.IsBytes)
                    foreach (var d in new Fields(g.Bytes))
                        if (d.Number == 1 && d.IsBytes) elements += VarintEnds(d.Bytes.Span); // packed ids: one a node
            }
        }
        if (strings > limits.MaxStringsPerBlock)
            throw OsmRefusedException.Limit("pbf_strings_per_block", limits.MaxStringsPerBlock,
                $"blob {index}: its string table has {strings:N0} entries; at most {limits.MaxStringsPerBlock:N0} a block", strings);
        if (elements > limits.MaxElementsPerBlock)
            throw OsmRefusedException.Limit("pbf_elements_per_block", limits.MaxElementsPerBlock,
                $"blob {index}: {elements:N0} elements; at most {limits.MaxElementsPerBlock:N0} a block", elements);
        if (integers > limits.MaxIntegersPerBlock)
            throw OsmRefusedException.Limit("pbf_integers_per_block", limits.MaxIntegersPerBlock,
                $"blob {index}: up to {integers:N0} integers; at most {limits.MaxIntegersPerBlock:N0} a block", integers);
        return elements;
    }

    /// <summary>Bytes that end a varint (high bit clear): at least as many as the varints packed in them.</summary>
    static long VarintEnds(ReadOnlySpan<byte> bytes)
    {
        long n = 0;
        foreach (var b in bytes) if (b < 0x80) n++;
        return n;
    }

    static byte[] ReadExactly(Stream stream, int count)
    {
        var buffer = new byte[count];
        if (stream.ReadAtLeast(buffer, count, throwOnEndOfStream: false) < count) throw new InvalidDataException("the file ends inside a blob");
        return buffer;
    }

    /// <summary>One protobuf field: its number, a varint value, or (<see cref="IsBytes"/>) the bytes of a length-delimited field.</summary>
    readonly record struct Field(int Number, long Value, ReadOnlyMemory<byte> Bytes, bool IsBytes);

    /// <summary>The fields of a protobuf message, read without a schema (wire types 0, 1, 2 and 5); slices, never copies.</summary>
    readonly struct Fields(ReadOnlyMemory<byte> data)
    {
        public IEnumerator<Field> GetEnumerator()
        {
            var i = 0;
            while (i < data.Length)
            {
                var key = Varint(data.Span, ref i);
                var number = (int)(key >> 3);
                switch (key & 7)
                {
                    case 0: yield return new Field(number, Varint(data.Span, ref i), default, false); break;
                    case 1: i += 8; break;
                    case 2:
                        var length = Varint(data.Span, ref i);
                        if (length < 0 || length > data.Length - i) throw new InvalidDataException("a protobuf field runs past its message");
                        yield return new Field(number, length, data.Slice(i, (int)length), true);
                        i += (int)length;
                        break;
                    case 5: i += 4; break;
                    default: throw new InvalidDataException($"protobuf wire type {key & 7} is not one OSM PBF uses");
                }
                if (i > data.Length) throw new InvalidDataException("a protobuf field runs past its message");
            }
        }
    }

    static long Varint(ReadOnlySpan<byte> data, ref int i)
    {
        long result = 0;
        for (var shift = 0; shift < 64; shift += 7)
        {
            if (i >= data.Length) throw new InvalidDataException("a protobuf varint runs past its message");
            var b = data[i++];
            result |= (long)(b & 0x7f) << shift;
            if (b < 0x80) return result;
        }
        throw new InvalidDataException("a protobuf varint is too long");
    }
}
