using System.Text;
using NetTopologySuite.Geometries;

namespace GridMap.Server.Tiles;

/// <summary>
/// Writes one Mapbox Vector Tile layer (spec 2.1) straight to protobuf bytes: each feature's geometry commands and tags
/// go into reused scratch arrays and then into one growing buffer, with the layer's key and value tables built as it
/// goes. It replaces NetTopologySuite.IO.VectorTiles' object model (a protobuf-net object per feature, per tag list and
/// per value, serialised afterwards), which cost a dense building tile about a third of its time and most of its garbage.
/// Use: <see cref="BeginFeature"/> (false: the geometry collapsed at this zoom, skip the feature), then the Add methods,
/// then <see cref="EndFeature"/>; finally <see cref="ToTile"/>.
/// </summary>
public sealed class MvtLayerWriter
{
    // Protobuf wire types and the MVT field numbers (vector_tile.proto, spec 2.1).
    const int Varint = 0, Fixed64 = 1, Len = 2;
    const int TileLayers = 3;
    const int LayerName = 1, LayerFeatures = 2, LayerKeys = 3, LayerValues = 4, LayerExtent = 5, LayerVersion = 15;
    const int FeatureTags = 2, FeatureType = 3, FeatureGeometry = 4;
    const int ValueString = 1, ValueDouble = 3, ValueInt = 4, ValueBool = 7;
    const uint MoveTo = 1, LineTo = 2, ClosePath = 7;
    const uint PointType = 1, LineType = 2, PolygonType = 3;

    readonly uint _extent;
    readonly double _scale, _originX, _originY;

    readonly Dictionary<string, int> _keys = new(StringComparer.Ordinal);
    readonly List<string> _keyList = [];
    readonly Dictionary<Value, int> _values;
    readonly List<Value> _valueList;

    readonly ProtoBuffer _features;
    uint[] _tags = new uint[32];
    int _tagCount;
    uint[] _geometry = new uint[256];
    int _geometryCount;
    uint _type;
    int[] _points = new int[256];
    int _cursorX, _cursorY;

    /// <param name="features">Features expected: sizes the value table and buffer once (ids and versions make a dense tile's values mostly unique).</param>
    public MvtLayerWriter(TileAddress tile, uint extent, int features = 0)
    {
        _values = new Dictionary<Value, int>(Math.Min(features, 1 << 16) * 3);
        _valueList = new List<Value>(Math.Min(features, 1 << 16) * 3);
        _features = new ProtoBuffer(Math.Clamp(features * 48, 64 * 1024, 16 << 20));
        _extent = extent;
        _scale = (double)(1L << tile.Z) * extent;
        _originX = (double)tile.X * extent;
        _originY = (double)tile.Y * extent;
    }

    /// <summary>Features written so far.</summary>
    public int Count { get; private set; }

    /// <summary>
    /// Starts a feature with its geometry in tile coordinates (snapped to the grid, repeated points dropped, rings
    /// oriented as the spec wants: outer rings clockwise on screen, holes anticlockwise). A feature never vanishes: one
    /// whose lines or rings all collapse at this zoom (a district at z0) is written as a one-unit segment or square where
    /// it is, so a tile holds exactly the features that intersect it. False only for an empty or unknown geometry.
    /// </summary>
    public bool BeginFeature(Geometry geometry)
    {
        _tagCount = 0;
        _geometryCount = 0;
        _cursorX = _cursorY = 0;
        switch (geometry)
        {
            case Point p:
                _type = PointType;
                EncodePoints(p);
                break;
            case MultiPoint mp:
                _type = PointType;
                EncodePoints(mp);
                break;
            case LineString l:
                _type = LineType;
                EncodeLine(l.CoordinateSequence);
                break;
            case MultiLineString ml:
                _type = LineType;
                for (var i = 0; i < ml.NumGeometries; i++) EncodeLine(((LineString)ml.GetGeometryN(i)).CoordinateSequence);
                break;
            case Polygon polygon:
                _type = PolygonType;
                EncodePolygon(polygon);
                break;
            case MultiPolygon mpoly:
                _type = PolygonType;
                for (var i = 0; i < mpoly.NumGeometries; i++) EncodePolygon((Polygon)mpoly.GetGeometryN(i));
                break;
            default:
                return false;
        }
        if (_geometryCount == 0 && !geometry.IsEmpty && _type != PointType) Collapsed(geometry.EnvelopeInternal);
        return _geometryCount > 0;
    }

    /// <summary>A line or polygon smaller than a unit at this zoom: a one-unit segment or square at its north-west corner.</summary>
    void Collapsed(Envelope envelope)
    {
        var (x, y) = Project(envelope.MinX, envelope.MaxY);
        if (_points.Length < 8) _points = new int[8];
        (_points[0], _points[1], _points[2], _points[3]) = (x, y, x + 1, y);
        if (_type == LineType)
        {
            Path(2, false);
            return;
        }
        (_points[4], _points[5], _points[6], _points[7]) = (x + 1, y + 1, x, y + 1);
        Ring(4, outer: true);
    }

    /// <summary>Whether the current feature already has a tag of this name.</summary>
    public bool HasTag(string key)
    {
        if (!_keys.TryGetValue(key, out var k)) return false;
        for (var i = 0; i < _tagCount; i += 2)
            if (_tags[i] == k) return true;
        return false;
    }

    public void Add(string key, string value) => AddTag(key, new Value(ValueString, 0, value));

    /// <summary>A whole number: <c>int_value</c>, which GDAL reads as Integer and MapLibre as a number.</summary>
    public void Add(string key, long value) => AddTag(key, new Value(ValueInt, value, null));

    public void Add(string key, double value) => AddTag(key, new Value(ValueDouble, BitConverter.DoubleToInt64Bits(value), null));

    public void Add(string key, bool value) => AddTag(key, new Value(ValueBool, value ? 1 : 0, null));

    void AddTag(string key, Value value)
    {
        if (!_keys.TryGetValue(key, out var k))
        {
            k = _keyList.Count;
            _keys.Add(key, k);
            _keyList.Add(key);
        }
        ref var slot = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(_values, value, out var seen);
        if (!seen)
        {
            slot = _valueList.Count;
            _valueList.Add(value);
        }
        var v = slot;
        if (_tagCount + 2 > _tags.Length) Array.Resize(ref _tags, _tags.Length * 2);
        _tags[_tagCount++] = (uint)k;
        _tags[_tagCount++] = (uint)v;
    }

    /// <summary>Writes the current feature (no MVT id: GridMap's ids are strings, carried as the <c>id</c> tag).</summary>
    public void EndFeature()
    {
        var tagBytes = PackedSize(_tags, _tagCount);
        var geometryBytes = PackedSize(_geometry, _geometryCount);
        var size = 2 + (_tagCount > 0 ? 1 + VarintSize((ulong)tagBytes) + tagBytes : 0) + 1 + VarintSize((ulong)geometryBytes) + geometryBytes;
        var b = _features;
        b.Key(LayerFeatures, Len);
        b.Varint((ulong)size);
        if (_tagCount > 0)
        {
            b.Key(FeatureTags, Len);
            b.Varint((ulong)tagBytes);
            for (var i = 0; i < _tagCount; i++) b.Varint(_tags[i]);
        }
        b.Key(FeatureType, Varint);
        b.Varint(_type);
        b.Key(FeatureGeometry, Len);
        b.Varint((ulong)geometryBytes);
        for (var i = 0; i < _geometryCount; i++) b.Varint(_geometry[i]);
        Count++;
    }

    /// <summary>The whole tile: one layer named <paramref name="name"/> with the features written.</summary>
    public byte[] ToTile(string name)
    {
        var tables = new ProtoBuffer(4096);
        foreach (var key in _keyList)
        {
            tables.Key(LayerKeys, Len);
            tables.String(key);
        }
        foreach (var value in _valueList)
        {
            tables.Key(LayerValues, Len);
            switch (value.Kind)
            {
                case ValueString:
                    var n = Encoding.UTF8.GetByteCount(value.Text!);
                    tables.Varint((ulong)(1 + VarintSize((ulong)n) + n));
                    tables.Key(ValueString, Len);
                    tables.String(value.Text!, n);
                    break;
                case ValueDouble:
                    tables.Varint(9);
                    tables.Key(ValueDouble, Fixed64);
                    tables.Fixed64((ulong)value.Number);
                    break;
                default: // int (two's complement as uint64, as protobuf's int64) and bool
                    tables.Varint((ulong)(1 + VarintSize((ulong)value.Number)));
                    tables.Key(value.Kind, Varint);
                    tables.Varint((ulong)value.Number);
                    break;
            }
        }
        var nameBytes = Encoding.UTF8.GetByteCount(name);
        var layerSize = 1 + VarintSize((ulong)nameBytes) + nameBytes + _features.Length + tables.Length
                        + 1 + VarintSize(_extent) + 1 + 1;
        var tile = new ProtoBuffer(1 + VarintSize((ulong)layerSize) + layerSize);
        tile.Key(TileLayers, Len);
        tile.Varint((ulong)layerSize);
        tile.Key(LayerVersion, Varint);
        tile.Varint(2);
        tile.Key(LayerName, Len);
        tile.String(name, nameBytes);
        tile.Bytes(_features.Span);
        tile.Bytes(tables.Span);
        tile.Key(LayerExtent, Varint);
        tile.Varint(_extent);
        return tile.ToArray();
    }

    // ---- geometry ----

    void EncodePoints(Geometry points)
    {
        var n = points.NumGeometries;
        var start = _geometryCount;
        Command(MoveTo, 0);
        var written = 0;
        for (var i = 0; i < n; i++)
        {
            var p = (Point)points.GetGeometryN(i);
            if (p.IsEmpty) continue;
            var (x, y) = Project(p.X, p.Y);
            Delta(x, y);
            written++;
        }
        if (written == 0) _geometryCount = start;
        else _geometry[start] = CommandInteger(MoveTo, written);
    }

    void EncodeLine(CoordinateSequence sequence)
    {
        var n = Snap(sequence, sequence.Count);
        if (n < 2) return;
        Path(n, false);
    }

    void EncodePolygon(Polygon polygon)
    {
        var shell = polygon.Shell.CoordinateSequence;
        var n = Snap(shell, shell.Count - 1);
        if (n < 3) return;
        if (!Ring(n, outer: true)) return;
        foreach (var hole in polygon.Holes)
        {
            var h = Snap(hole.CoordinateSequence, hole.CoordinateSequence.Count - 1);
            if (h >= 3) Ring(h, outer: false);
        }
    }

    /// <summary>Orients and writes the <paramref name="n"/> snapped points as a ring; false when they enclose no area.</summary>
    bool Ring(int n, bool outer)
    {
        long area2 = 0;
        for (int i = 0, j = n - 1; i < n; j = i++)
            area2 += (long)_points[2 * j] * _points[2 * i + 1] - (long)_points[2 * i] * _points[2 * j + 1];
        if (area2 == 0) return false;
        // Tile coordinates have y down: the spec's outer ring has a positive surveyor's area (clockwise on screen).
        if (area2 > 0 != outer) Reverse(n);
        Path(n, true);
        return true;
    }

    void Reverse(int n)
    {
        for (int i = 0, j = n - 1; i < j; i++, j--)
        {
            (_points[2 * i], _points[2 * j]) = (_points[2 * j], _points[2 * i]);
            (_points[2 * i + 1], _points[2 * j + 1]) = (_points[2 * j + 1], _points[2 * i + 1]);
        }
    }

    /// <summary>MoveTo the first point, LineTo the rest, and ClosePath for a ring.</summary>
    void Path(int n, bool ring)
    {
        Command(MoveTo, 1);
        Delta(_points[0], _points[1]);
        Command(LineTo, n - 1);
        for (var i = 1; i < n; i++) Delta(_points[2 * i], _points[2 * i + 1]);
        if (ring) Command(ClosePath, 1);
    }

    /// <summary>The first <paramref name="count"/> points of the sequence in tile units, without consecutive repeats (nor a last equal to the first).</summary>
    int Snap(CoordinateSequence sequence, int count)
    {
        if (count <= 0) return 0;
        if (_points.Length < 2 * count) _points = new int[Math.Max(2 * count, _points.Length * 2)];
        var n = 0;
        for (var i = 0; i < count; i++)
        {
            var (x, y) = Project(sequence.GetX(i), sequence.GetY(i));
            if (n > 0 && _points[2 * n - 2] == x && _points[2 * n - 1] == y) continue;
            _points[2 * n] = x;
            _points[2 * n + 1] = y;
            n++;
        }
        while (n > 1 && _points[0] == _points[2 * n - 2] && _points[1] == _points[2 * n - 1]) n--;
        return n;
    }

    /// <summary>Web Mercator: lon/lat to this tile's units (0..extent inside the tile, y down), rounded to the nearest unit.</summary>
    (int X, int Y) Project(double lon, double lat)
    {
        var phi = Math.Clamp(lat, -85.05112878, 85.05112878) * (Math.PI / 180);
        var x = (lon + 180) / 360 * _scale - _originX;
        var y = (1 - Math.Asinh(Math.Tan(phi)) / Math.PI) / 2 * _scale - _originY;
        return ((int)Math.Floor(x + 0.5), (int)Math.Floor(y + 0.5));
    }

    void Command(uint id, int count)
    {
        if (_geometryCount + 1 > _geometry.Length) Array.Resize(ref _geometry, _geometry.Length * 2);
        _geometry[_geometryCount++] = CommandInteger(id, count);
    }

    static uint CommandInteger(uint id, int count) => (id & 0x7) | ((uint)count << 3);

    void Delta(int x, int y)
    {
        if (_geometryCount + 2 > _geometry.Length) Array.Resize(ref _geometry, _geometry.Length * 2);
        _geometry[_geometryCount++] = ZigZag(x - _cursorX);
        _geometry[_geometryCount++] = ZigZag(y - _cursorY);
        (_cursorX, _cursorY) = (x, y);
    }

    static uint ZigZag(int v) => (uint)((v << 1) ^ (v >> 31));

    static int PackedSize(uint[] values, int count)
    {
        var size = 0;
        for (var i = 0; i < count; i++) size += VarintSize(values[i]);
        return size;
    }

    static int VarintSize(ulong v)
    {
        var n = 1;
        while (v >= 0x80)
        {
            v >>= 7;
            n++;
        }
        return n;
    }

    /// <summary>A tag value of the layer's value table: its kind (the Value field number), a number (int, bool, double bits) or text.</summary>
    readonly record struct Value(int Kind, long Number, string? Text);

    /// <summary>A growing byte buffer with protobuf's primitive writes.</summary>
    sealed class ProtoBuffer(int capacity)
    {
        byte[] _bytes = new byte[Math.Max(16, capacity)];

        public int Length { get; private set; }

        public ReadOnlySpan<byte> Span => _bytes.AsSpan(0, Length);

        public byte[] ToArray() => Length == _bytes.Length ? _bytes : _bytes.AsSpan(0, Length).ToArray();

        void Room(int n)
        {
            if (Length + n > _bytes.Length) Array.Resize(ref _bytes, Math.Max(Length + n, _bytes.Length * 2));
        }

        public void Key(int field, int wireType) => Varint((ulong)((field << 3) | wireType));

        public void Varint(ulong v)
        {
            Room(10);
            while (v >= 0x80)
            {
                _bytes[Length++] = (byte)(v | 0x80);
                v >>= 7;
            }
            _bytes[Length++] = (byte)v;
        }

        public void Fixed64(ulong v)
        {
            Room(8);
            System.Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(_bytes.AsSpan(Length), v);
            Length += 8;
        }

        public void String(string s) => String(s, Encoding.UTF8.GetByteCount(s));

        public void String(string s, int byteCount)
        {
            Varint((ulong)byteCount);
            Room(byteCount);
            Length += Encoding.UTF8.GetBytes(s, _bytes.AsSpan(Length));
        }

        public void Bytes(ReadOnlySpan<byte> bytes)
        {
            Room(bytes.Length);
            bytes.CopyTo(_bytes.AsSpan(Length));
            Length += bytes.Length;
        }
    }
}
