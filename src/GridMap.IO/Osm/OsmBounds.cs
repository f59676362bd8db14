using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using NetTopologySuite.Geometries;

namespace GridMap.IO.Osm;

/// <summary>
/// The rectangle an extract was cut to: the <c>&lt;bounds&gt;</c> element of OSM XML, or the bbox of a PBF's header
/// block (OsmSharp reads neither). Null when the file does not say; the importer then takes the bbox of its nodes.
/// </summary>
internal static partial class OsmBounds
{
    public static Envelope? Read(Stream stream, bool isXml)
    {
        var start = stream.Position;
        try { return isXml ? FromXml(stream) : FromPbf(stream); }
        catch (Exception e) when (e is IOException or InvalidDataException or FormatException or OverflowException or ArgumentException or IndexOutOfRangeException)
        {
            return null; // a header we cannot read is no reason to refuse the file
        }
        finally { stream.Position = start; }
    }

    [GeneratedRegex("""<bounds\b([^>]*)>""")]
    private static partial Regex BoundsElement();

    [GeneratedRegex("""(minlat|minlon|maxlat|maxlon)\s*=\s*["']([-+0-9.eE]+)["']""")]
    private static partial Regex Attribute();

    static Envelope? FromXml(Stream stream)
    {
        // <bounds> comes first, right after <osm>: the head of the file is enough.
        var buffer = new byte[16 * 1024];
        var n = stream.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false);
        var head = Encoding.UTF8.GetString(buffer, 0, n);
        if (BoundsElement().Match(head) is not { Success: true } m) return null;
        var values = Attribute().Matches(m.Groups[1].Value).ToDictionary(a => a.Groups[1].Value, a => double.Parse(a.Groups[2].Value, CultureInfo.InvariantCulture));
        if (!values.TryGetValue("minlon", out var x0) || !values.TryGetValue("maxlon", out var x1)
            || !values.TryGetValue("minlat", out var y0) || !values.TryGetValue("maxlat", out var y1)) return null;
        return Valid(x0, x1, y0, y1);
    }

    /// <summary>PBF: a 4-byte length, a BlobHeader ("OSMHeader"), a Blob (raw or zlib) holding a HeaderBlock whose field 1 is the bbox in nanodegrees.</summary>
    static Envelope? FromPbf(Stream stream)
    {
        Span<byte> size = stackalloc byte[4];
        stream.ReadExactly(size);
        var headerLength = (size[0] << 24) | (size[1] << 16) | (size[2] << 8) | size[3];
        if (headerLength is <= 0 or > 64 * 1024) return null;
        var header = new byte[headerLength];
        stream.ReadExactly(header);
        string? type = null;
        long dataSize = 0;
        foreach (var (field, value, bytes) in Fields(header))
        {
            if (field == 1 && bytes is not null) type = Encoding.UTF8.GetString(bytes);
            if (field == 3) dataSize = value;
        }
        if (type != "OSMHeader" || dataSize is <= 0 or > 32 * 1024 * 1024) return null;
        var blob = new byte[dataSize];
        stream.ReadExactly(blob);
        byte[]? block = null;
        foreach (var (field, _, bytes) in Fields(blob))
        {
            if (field == 1 && bytes is not null) block = bytes;
            if (field == 3 && bytes is not null)
            {
                long inflated = 0; // bounded like every blob (OsmPbfGuard has checked the file by now)
                block = OsmPbfGuard.Inflate(bytes, new OsmLimits().MaxBlobBytes, "the header blob", ref inflated);
            }
        }
        if (block is null) return null;
        foreach (var (field, _, bytes) in Fields(block))
        {
            if (field != 1 || bytes is null) continue;
            var box = new Dictionary<int, double>();
            foreach (var (f, v, _) in Fields(bytes)) box[f] = ((long)((ulong)v >> 1) ^ -(v & 1)) / 1e9; // sint64, nanodegrees
            if (box.TryGetValue(1, out var left) && box.TryGetValue(2, out var right) && box.TryGetValue(3, out var top) && box.TryGetValue(4, out var bottom))
                return Valid(left, right, bottom, top);
        }
        return null;
    }

    static Envelope? Valid(double x0, double x1, double y0, double y1) =>
        x0 < x1 && y0 < y1 && x0 >= -180 && x1 <= 180 && y0 >= -90 && y1 <= 90 ? new Envelope(x0, x1, y0, y1) : null;

    /// <summary>Protocol buffer fields: (number, varint value, bytes of a length-delimited field).</summary>
    static IEnumerable<(int Field, long Value, byte[]? Bytes)> Fields(byte[] data)
    {
        var i = 0;
        while (i < data.Length)
        {
            var key = Varint(data, ref i);
            var field = (int)(key >> 3);
            switch (key & 7)
            {
                case 0: yield return (field, Varint(data, ref i), null); break;
                case 1: i += 8; break;
                case 2:
                    var length = (int)Varint(data, ref i);
                    if (length < 0 || i + length > data.Length) throw new InvalidDataException("truncated field");
                    yield return (field, length, data[i..(i + length)]);
                    i += length;
                    break;
                case 5: i += 4; break;
                default: throw new InvalidDataException("unknown wire type");
            }
        }
    }

    static long Varint(byte[] data, ref int i)
    {
        long result = 0;
        for (var shift = 0; shift < 64; shift += 7)
        {
            var b = data[i++];
            result |= (long)(b & 0x7f) << shift;
            if (b < 0x80) return result;
        }
        throw new InvalidDataException("varint too long");
    }
}
