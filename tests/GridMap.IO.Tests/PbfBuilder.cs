using System.IO.Compression;
using System.Text;

namespace GridMap.IO.Tests;

/// <summary>
/// A tiny protobuf writer for hostile OSM PBF files: blobs whose header and <c>raw_size</c> say one thing and whose zlib
/// data inflate to another. Only what the tests need: varints, keys, length-delimited fields, blob framing.
/// </summary>
public static class PbfBuilder
{
    public static void Varint(Stream s, ulong v)
    {
        while (v >= 0x80)
        {
            s.WriteByte((byte)(v | 0x80));
            v >>= 7;
        }
        s.WriteByte((byte)v);
    }

    public static void Key(Stream s, int field, int wireType) => Varint(s, (ulong)((field << 3) | wireType));

    public static void VarintField(Stream s, int field, long value)
    {
        Key(s, field, 0);
        Varint(s, (ulong)value);
    }

    public static void BytesField(Stream s, int field, ReadOnlySpan<byte> bytes)
    {
        Key(s, field, 2);
        Varint(s, (ulong)bytes.Length);
        s.Write(bytes);
    }

    public static byte[] Message(Action<Stream> write)
    {
        var m = new MemoryStream();
        write(m);
        return m.ToArray();
    }

    /// <summary>One framed blob: the 4-byte big-endian header length, the BlobHeader, the Blob.</summary>
    public static byte[] Framed(string type, byte[] blob)
    {
        var header = Message(h =>
        {
            BytesField(h, 1, Encoding.UTF8.GetBytes(type));
            VarintField(h, 3, blob.Length);
        });
        var m = new MemoryStream();
        m.Write([(byte)(header.Length >> 24), (byte)(header.Length >> 16), (byte)(header.Length >> 8), (byte)header.Length]);
        m.Write(header);
        m.Write(blob);
        return m.ToArray();
    }

    /// <summary>A zlib blob that declares <paramref name="declaredRawSize"/> and holds whatever <paramref name="block"/> writes.</summary>
    public static byte[] ZlibBlob(string type, int declaredRawSize, Action<Stream> block)
    {
        var compressed = new MemoryStream();
        using (var z = new ZLibStream(compressed, CompressionLevel.SmallestSize, leaveOpen: true)) block(z);
        var blob = Message(b =>
        {
            VarintField(b, 2, declaredRawSize);
            BytesField(b, 3, compressed.ToArray());
        });
        return Framed(type, blob);
    }

    /// <summary>An OSMData block whose string table has <paramref name="entries"/> one-letter strings (3 bytes each), declared 100 bytes.</summary>
    public static byte[] StringTableBomb(int entries) => ZlibBlob("OSMData", 100, z =>
    {
        var table = (long)entries * 3;
        Key(z, 1, 2); // PrimitiveBlock.stringtable
        Varint(z, (ulong)table);
        var chunk = new byte[3 * 4096];
        for (var i = 0; i < chunk.Length; i += 3) (chunk[i], chunk[i + 1], chunk[i + 2]) = (0x0a, 0x01, (byte)'a');
        for (long left = entries; left > 0; left -= 4096) z.Write(chunk, 0, (int)Math.Min(left, 4096) * 3);
    });

    /// <summary>An OSMData block holding one string of <paramref name="bytes"/> zero bytes: inflates to that much, declared 100.</summary>
    public static byte[] InflationBomb(int bytes) => ZlibBlob("OSMData", 100, z =>
    {
        Key(z, 1, 2);
        var inner = new MemoryStream();
        Key(inner, 1, 2);
        Varint(inner, (ulong)bytes);
        Varint(z, (ulong)(inner.Length + bytes));
        z.Write(inner.ToArray());
        var zeros = new byte[1 << 16];
        for (var left = bytes; left > 0; left -= zeros.Length) z.Write(zeros, 0, Math.Min(left, zeros.Length));
    });

    /// <summary>An OSMData block of <paramref name="count"/> dense nodes (ids 1, 2, 3, …; every coordinate 0).</summary>
    public static byte[] DenseNodes(int count) => ZlibBlob("OSMData", 0, z =>
    {
        BytesField(z, 1, Message(t => BytesField(t, 1, [])));
        var dense = Message(d =>
        {
            BytesField(d, 1, Enumerable.Repeat((byte)2, count).ToArray()); // sint64 delta +1 each
            BytesField(d, 8, new byte[count]);
            BytesField(d, 9, new byte[count]);
        });
        BytesField(z, 2, Message(g => BytesField(g, 2, dense)));
    });
}
