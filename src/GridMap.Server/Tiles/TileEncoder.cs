using System.Buffers;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using GridMap.Core.Model;
using GridMap.Core.Spatial;
using GridMap.Server.Hosting;
using GridMap.Server.Settings;
using NetTopologySuite.Geometries;
using NetTopologySuite.Geometries.Utilities;
using NetTopologySuite.Operation.Overlay;
using NetTopologySuite.Operation.OverlayNG;
using Layer = GridMap.Core.Model.Layer;

namespace GridMap.Server.Tiles;

/// <summary>What one tile holds: the encoded MVT (empty when no feature is drawn), how many features it carries and how many were left out over the cap.</summary>
public sealed record EncodedTile(byte[] Bytes, int Features, int Dropped)
{
    public bool IsEmpty => Features == 0;
}

/// <summary>
/// Encodes one layer's stored features as one Mapbox Vector Tile (spec 2.1) with <see cref="MvtLayerWriter"/>: the
/// MVT layer is named after the layer key, each feature carries <c>id</c>, <c>version</c> and its scalar properties,
/// never personal data (docs/tiles.md). Both stores serve tiles through this one class.
/// </summary>
public static class TileEncoder
{
    /// <summary>Raise whenever the bytes for the same features change (properties, clipping, extent): it is part of every tile's ETag.</summary>
    public const int Version = 2;

    /// <summary>Tile coordinates per side: the MVT default, what MapLibre expects.</summary>
    public const uint Extent = 4096;

    /// <summary>How far past its edge a tile's geometry reaches (tile units), so outlines and lines show no seams at tile edges.</summary>
    public const uint Buffer = 64;

    /// <summary>
    /// Features per tile at most. A tile over it keeps the largest features (drop-smallest, as tippecanoe does) and says how
    /// many it left out; at the zooms the map draws a layer at, no tile of the 90k-building sample comes near it.
    /// </summary>
    public const int MaxFeatures = 20_000;

    /// <summary>Properties never in a tile, whatever the layer: personal data (contract) and lists too large for a tile.</summary>
    static readonly HashSet<string> Left = new(StringComparer.Ordinal) { "workers", "building_heads", "unit_ids", "units" };

    /// <summary>
    /// Left out of building tiles: a building's address is unique text that nothing draws, about 40 % of a building tile's
    /// bytes; the map reads it with the rest of a clicked feature (GET …/features/{id}, /api/lookup).
    /// </summary>
    static readonly HashSet<string> LeftFromBuildings = new(StringComparer.Ordinal) { "address" };

    /// <summary>
    /// The tile of <paramref name="features"/> (those of <paramref name="layer"/> that intersect the tile);
    /// <paramref name="band"/> adds grids' <c>band_status</c> as the grid list does.
    /// </summary>
    public static EncodedTile Encode(Layer layer, TileAddress tile, IReadOnlyList<StoredFeature> features, BandSetting? band)
    {
        var clip = tile.Buffered(Buffer, Extent);
        var near = tile.Buffered(Extent, Extent);
        var clipBox = GeometryRules.Factory.ToGeometry(clip);
        var kept = new List<(StoredFeature Stored, Geometry Geometry)>(features.Count);
        foreach (var f in features)
            if (Clip(f.Geometry, clip, near, clipBox) is { IsEmpty: false } g) kept.Add((f, g));

        var dropped = 0;
        if (kept.Count > MaxFeatures)
        {
            dropped = kept.Count - MaxFeatures;
            // Largest first, ties by id, then back to id order: the same features in the same order for the same data.
            kept = kept.OrderByDescending(k => Size(k.Stored.Geometry)).ThenBy(k => k.Stored.Id, StringComparer.Ordinal)
                .Take(MaxFeatures).OrderBy(k => k.Stored.Id, StringComparer.Ordinal).ToList();
        }
        if (kept.Count == 0) return new EncodedTile([], 0, dropped);

        var writer = new MvtLayerWriter(tile, Extent, kept.Count);
        var reader = new PropertyReader();
        foreach (var (stored, geometry) in kept)
        {
            if (!writer.BeginFeature(geometry)) continue;
            AddAttributes(stored, band, reader, writer);
            writer.EndFeature();
        }
        return writer.Count == 0 ? new EncodedTile([], 0, dropped) : new EncodedTile(writer.ToTile(layer.Key()), writer.Count, dropped);
    }

    /// <summary>
    /// Encodes one small tile, so that the first real one does not pay for the JIT
    /// (seconds on a busy machine, with tiered compilation off).
    /// </summary>
    public static void WarmUp()
    {
        var tile = new TileAddress(14, 13053, 6887);
        var b = tile.Bounds;
        var square = GeometryRules.Factory.ToGeometry(new Envelope(b.MinX, b.MinX + b.Width / 4, b.MinY, b.MinY + b.Height / 4));
        var line = GeometryRules.Factory.CreateLineString([new Coordinate(b.MinX - 1, b.Centre.Y), new Coordinate(b.MaxX + 1, b.Centre.Y)]);
        foreach (var (layer, g) in new[] { (Layer.Buildings, square), (Layer.Network, (Geometry)line), (Layer.Stations, GeometryRules.Factory.CreatePoint(b.Centre)) })
            Encode(layer, tile, [new StoredFeature(layer, "warm-up", 1, g, new JsonObject { ["name"] = "warm-up", ["households"] = 1 })], null);
    }

    /// <summary>
    /// The feature's part inside the buffered tile, of its own dimension (a polygon cut by the edge stays polygonal). A
    /// feature within a tile's width of the tile is kept whole: MVT geometry may reach past the extent and the renderer
    /// clips it, and an overlay for every building on a tile edge would cost more than its few extra points. Only large
    /// features (areas, grids, long roads) are cut, which also keeps their tile coordinates small at high zoom. An overlay
    /// that fails on a broken geometry retries on its repair.
    /// </summary>
    static Geometry? Clip(Geometry g, Envelope clip, Envelope near, Geometry clipBox)
    {
        if (near.Contains(g.EnvelopeInternal)) return g;
        if (!clip.Intersects(g.EnvelopeInternal)) return null;
        Geometry cut;
        try
        {
            cut = OverlayNGRobust.Overlay(g, clipBox, SpatialFunction.Intersection);
        }
        catch (Exception e) when (e is TopologyException or ArgumentException or InvalidOperationException)
        {
            cut = OverlayNGRobust.Overlay(GeometryFixer.Fix(g), clipBox, SpatialFunction.Intersection);
        }
        return OfDimension(cut, g.Dimension);
    }

    static Geometry? OfDimension(Geometry g, Dimension dimension)
    {
        if (g.IsEmpty) return null;
        if (g is not GeometryCollection || g is MultiPolygon or MultiLineString or MultiPoint) return g.Dimension == dimension ? g : null;
        // A mixed collection (a polygon that also touches the edge along a line): its parts of the feature's dimension.
        var parts = Enumerable.Range(0, g.NumGeometries).Select(g.GetGeometryN).Where(p => p.Dimension == dimension && !p.IsEmpty).ToList();
        return parts.Count switch
        {
            0 => null,
            1 => parts[0],
            _ => dimension switch
            {
                Dimension.Surface => GeometryRules.Factory.CreateMultiPolygon(parts.SelectMany(Polygons).ToArray()),
                Dimension.Curve => GeometryRules.Factory.CreateMultiLineString(parts.SelectMany(Lines).ToArray()),
                _ => GeometryRules.Factory.CreateMultiPoint(parts.SelectMany(Points).ToArray()),
            },
        };
    }

    static IEnumerable<Polygon> Polygons(Geometry g) => Enumerable.Range(0, g.NumGeometries).Select(g.GetGeometryN).OfType<Polygon>();
    static IEnumerable<LineString> Lines(Geometry g) => Enumerable.Range(0, g.NumGeometries).Select(g.GetGeometryN).OfType<LineString>();
    static IEnumerable<Point> Points(Geometry g) => Enumerable.Range(0, g.NumGeometries).Select(g.GetGeometryN).OfType<Point>();

    /// <summary>How much a feature shows at low zoom: area for polygons, length for lines, nothing for points.</summary>
    static double Size(Geometry g) => g.Dimension switch
    {
        Dimension.Surface => g.EnvelopeInternal.Area,
        Dimension.Curve => g.Length,
        _ => 0,
    };

    /// <summary>
    /// A feature's tile properties: <c>id</c>, <c>version</c>, then every stored property whose value is a string, number or
    /// boolean — never personal data (<see cref="PersonalData.Redact"/> for every caller, since tiles are cached and shared:
    /// a grid keeps only <c>workers_count</c>), nothing whose name says phone, and no arrays or objects (unit ids, units,
    /// gates, replaced_by: read them from the feature's GeoJSON), nor a building's address. Grids add <c>band_status</c>
    /// as the grid list does, and always carry <c>type</c> and <c>status</c> (their defaults when not stored).
    /// </summary>
    static void AddAttributes(StoredFeature f, BandSetting? band, PropertyReader reader, MvtLayerWriter writer)
    {
        // Grids lose names and phones the way every grid answer does; other layers' personal fields are in Left.
        var properties = f.Layer == Layer.Grids ? PersonalData.Redact(f.Properties) : f.Properties;
        writer.Add("id", f.Id);
        writer.Add("version", f.Version);
        reader.AddScalars(f.Layer, properties, writer);
        if (f.Layer == Layer.Grids)
        {
            // Defaults spelled out, so a style can filter on them without coalesce (schema: basic, active).
            if (!writer.HasTag("type")) writer.Add("type", "basic");
            if (!writer.HasTag("status")) writer.Add("status", "active");
            if (band is not null && BandSetting.StatusOf(f.Properties, band.For(f.Text("community_code"))) is { } status)
                writer.Add("band_status", status);
        }
    }

    /// <summary>Whether a property of this name goes into tiles of the layer; decided once per name (a tile repeats the same few thousands of times).</summary>
    static bool Kept(Layer layer, string key)
    {
        if (KeptNames.TryGetValue((layer, key), out var kept)) return kept;
        kept = !(key is "id" or "version" or "band_status" || Left.Contains(key) || IsContact(key) || layer == Layer.Buildings && LeftFromBuildings.Contains(key));
        // Property names are a schema's few dozen (OSM tags on roads a few hundred); past that, decide without remembering.
        if (KeptNames.Count < 10_000) KeptNames.TryAdd((layer, key), kept);
        return kept;
    }

    static readonly System.Collections.Concurrent.ConcurrentDictionary<(Layer Layer, string Key), bool> KeptNames = new();

    /// <summary>A phone number or contact by its name (OSM's phone, contact:phone, contact:mobile…), whatever layer carries it.</summary>
    static bool IsContact(string key) =>
        key.Contains("phone", StringComparison.OrdinalIgnoreCase) || key.Contains("mobile", StringComparison.OrdinalIgnoreCase)
        || key.StartsWith("contact", StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// Reads a feature's stored properties as JSON tokens rather than as nodes: a property bag the store parsed lazily is
    /// written straight from its parsed document and read back, so no node is made per property (for a dense building
    /// tile, 9 MB and a tenth of its time less). Property names, and short string values (codes, kinds), come from a
    /// per-tile cache, so thousands of features share one string.
    /// </summary>
    sealed class PropertyReader
    {
        readonly ArrayBufferWriter<byte> _buffer = new(1024);
        readonly Utf8JsonWriter _writer;
        readonly Dictionary<string, string> _names = new(StringComparer.Ordinal);
        readonly Dictionary<string, string>.AlternateLookup<ReadOnlySpan<char>> _lookup;
        readonly Dictionary<string, bool> _keys = new(StringComparer.Ordinal);
        readonly Dictionary<string, bool>.AlternateLookup<ReadOnlySpan<char>> _keyLookup;

        public PropertyReader()
        {
            _writer = new Utf8JsonWriter(_buffer, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, SkipValidation = true });
            _lookup = _names.GetAlternateLookup<ReadOnlySpan<char>>();
            _keyLookup = _keys.GetAlternateLookup<ReadOnlySpan<char>>();
        }

        /// <summary>Adds the kept scalar properties: strings, whole numbers (int64), other numbers (double) and booleans.</summary>
        public void AddScalars(Layer layer, JsonObject properties, MvtLayerWriter writer)
        {
            _buffer.ResetWrittenCount();
            _writer.Reset(_buffer);
            properties.WriteTo(_writer);
            _writer.Flush();
            var json = new Utf8JsonReader(_buffer.WrittenSpan);
            json.Read();
            while (json.Read() && json.TokenType == JsonTokenType.PropertyName)
            {
                var (key, kept) = Key(layer, ref json);
                json.Read();
                if (json.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray)
                {
                    json.Skip();
                    continue;
                }
                if (json.TokenType == JsonTokenType.Null || !kept || writer.HasTag(key)) continue;
                switch (json.TokenType)
                {
                    case JsonTokenType.String:
                        writer.Add(key, Name(ref json));
                        break;
                    case JsonTokenType.Number when json.TryGetInt64(out var whole):
                        writer.Add(key, whole);
                        break;
                    case JsonTokenType.Number:
                        writer.Add(key, json.GetDouble());
                        break;
                    case JsonTokenType.True or JsonTokenType.False:
                        writer.Add(key, json.GetBoolean());
                        break;
                }
            }
        }

        /// <summary>A property name and whether it goes into the tile: one lookup per property, decided once per name and tile.</summary>
        (string Name, bool Kept) Key(Layer layer, ref Utf8JsonReader json)
        {
            if (json.ValueIsEscaped || json.HasValueSequence || json.ValueSpan.Length > 128)
            {
                var text = json.GetString()!;
                return (text, Kept(layer, text));
            }
            Span<char> chars = stackalloc char[128];
            var n = Encoding.UTF8.GetChars(json.ValueSpan, chars);
            if (_keyLookup.TryGetValue(chars[..n], out var name, out var kept)) return (name, kept);
            name = Name(ref json);
            kept = Kept(layer, name);
            _keys[name] = kept;
            return (name, kept);
        }

        string Name(ref Utf8JsonReader json)
        {
            if (json.ValueIsEscaped || json.HasValueSequence || json.ValueSpan.Length > 128) return json.GetString()!;
            Span<char> chars = stackalloc char[128];
            var n = Encoding.UTF8.GetChars(json.ValueSpan, chars);
            if (_lookup.TryGetValue(chars[..n], out var name)) return name;
            name = new string(chars[..n]);
            _names[name] = name;
            return name;
        }
    }
}
